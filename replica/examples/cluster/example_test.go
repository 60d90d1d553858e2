package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"github.com/hurrahdb/hurrah/replica"
)

// The HTTP API of a one-node cluster, in process: set a key, read it,
// and be refused without the token.
func Example() {
	_, transport := raft.NewInmemTransport("n1:7000")
	rc := raft.DefaultConfig()
	rc.Logger = hclog.NewNullLogger()
	node, err := replica.NewNode(replica.Config{ID: "n1", Transport: transport, Raft: rc})
	if err != nil {
		log.Fatal(err)
	}
	defer node.Close()
	if err := node.Bootstrap(replica.Server{ID: "n1", Addr: "n1:7000"}); err != nil {
		log.Fatal(err)
	}
	if _, err := node.WaitLeader(context.Background()); err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	srv.Config.Handler = newAPI(node, srv.Listener.Addr().String(), "http", "s3cret", http.DefaultClient)
	srv.Start()
	defer srv.Close()

	send := func(method, path, body, token string) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		fmt.Println(strings.TrimSpace(fmt.Sprintf("%s %s: %d %s", method, path, resp.StatusCode, b)))
	}
	send("PUT", "/key/greeting", "hello", "s3cret")
	send("GET", "/key/greeting", "", "s3cret")
	send("DELETE", "/key/greeting", "", "")
	send("GET", "/key/missing", "", "s3cret")
	// Output:
	// PUT /key/greeting: 204
	// GET /key/greeting: 200 hello
	// DELETE /key/greeting: 401 {"error":"missing or wrong bearer token"}
	// GET /key/missing: 404 {"error":"hurrah: key not found: \"missing\""}
}
