package main

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"github.com/hurrahdb/hurrah/replica"
	"github.com/stretchr/testify/require"
)

// Whatever a client sends, a healthy one-node cluster's API answers it
// without a panic or a 5xx: bad input is the client's error (4xx). (Joins
// and removes with the token are left out: a valid one may remove the
// only node, or add one that never answers, and leave no leader.)
func FuzzAPI(f *testing.F) {
	seeds := []struct{ method, path, query, body, auth string }{
		{"PUT", "/key/k", "", "v", "Bearer t"},
		{"PUT", "/key/k", "ttl=1h", "v", "Bearer t"},
		{"PUT", "/key/k", "ttl=-5m", "v", "Bearer t"},
		{"GET", "/key/k", "stale=1", "", "Bearer t"},
		{"GET", "/key/", "", "", "Bearer t"},
		{"DELETE", "/key/_cluster/http/n1", "", "", "Bearer t"},
		{"POST", "/join", "", `{"id":"n1","addr":"n1:7000"}`, "Bearer t"},
		{"POST", "/join", "", `{"id":"","addr":":"}`, "Bearer t"},
		{"POST", "/remove", "", `{"id":"n9"}`, "Bearer t"},
		{"POST", "/remove", "", `[`, "Bearer t"},
		{"GET", "/status", "", "", "Bearer x"},
		{"PATCH", "/key/k", "", "", ""},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.query, s.body, s.auth)
	}
	_, transport := raft.NewInmemTransport("n1:7000")
	rc := raft.DefaultConfig()
	rc.Logger = hclog.NewNullLogger()
	node, err := replica.NewNode(replica.Config{ID: "n1", Transport: transport, Raft: rc})
	require.NoError(f, err)
	f.Cleanup(func() { require.NoError(f, node.Close()) })
	require.NoError(f, node.Bootstrap(replica.Server{ID: "n1", Addr: "n1:7000"}))
	_, err = node.WaitLeader(f.Context())
	require.NoError(f, err)
	h := newAPI(node, "127.0.0.1:1", "http", "t", &http.Client{})

	f.Fuzz(func(t *testing.T, method, path, query, body, auth string) {
		if strings.ContainsAny(method, " \t\r\n") || method == "" || method == "CONNECT" {
			return // not a request line a server would parse
		}
		if method == "POST" && (path == "/join" || path == "/remove") && auth == "Bearer t" {
			return // a real change of members could leave no leader: see TestAPIBadInput
		}
		r := &http.Request{
			Method: method, URL: &url.URL{Path: path, RawQuery: query}, RequestURI: path,
			Header: http.Header{"Authorization": {auth}}, Body: http.NoBody, Host: "n1",
		}
		if body != "" {
			r.Body, r.ContentLength = readCloser{strings.NewReader(body)}, int64(len(body))
		}
		r = r.WithContext(t.Context())
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		require.Less(t, w.Code, 500, "%s %s?%s %q: %s", method, path, query, body, w.Body)
	})
}

// readCloser gives a reader a no-op Close.
type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }
