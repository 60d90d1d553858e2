package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"github.com/hurrahdb/hurrah/replica"
	"github.com/stretchr/testify/require"
)

// An in-process cluster for the API's tests: nodes on raft's in-memory
// transport, each behind its API on an httptest server.

type testCluster struct {
	t     *testing.T
	token string
	nodes []*replica.Node
	urls  []string // each node's API, "http://host:port"
}

// newTestCluster starts n nodes, bootstraps n1, and joins the others
// through n1's API, with token (if not empty) on every request.
func newTestCluster(t *testing.T, n int, token string) *testCluster {
	c := &testCluster{t: t, token: token}
	trans := make([]*raft.InmemTransport, n)
	for i := range n {
		id := fmt.Sprintf("n%d", i+1)
		_, trans[i] = raft.NewInmemTransport(raft.ServerAddress(id + ":7000")) // host:port, as /join wants
		node, err := replica.NewNode(replica.Config{ID: id, Transport: trans[i], Raft: testRaft()})
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, node.Close()) })
		srv := httptest.NewUnstartedServer(nil)
		client := &http.Client{}
		srv.Config.Handler = newAPI(node, srv.Listener.Addr().String(), "http", token, client)
		srv.Start()
		t.Cleanup(func() { srv.Close(); client.CloseIdleConnections() })
		c.nodes, c.urls = append(c.nodes, node), append(c.urls, srv.URL)
	}
	for i := range trans {
		for j := range trans {
			if i != j {
				trans[i].Connect(trans[j].LocalAddr(), trans[j])
			}
		}
	}
	ctx := t.Context()
	require.NoError(t, c.nodes[0].Bootstrap(replica.Server{ID: "n1", Addr: c.nodes[0].Addr()}))
	_, err := c.nodes[0].WaitLeader(ctx)
	require.NoError(t, err)
	require.NoError(t, c.nodes[0].SetBytes(ctx, httpKey("n1"), []byte(strings.TrimPrefix(c.urls[0], "http://"))))
	for i := 1; i < n; i++ {
		id := fmt.Sprintf("n%d", i+1)
		c.must(http.StatusNoContent, "POST", 0, "/join", fmt.Sprintf(`{"id":%q,"addr":%q,"http":%q}`, id, c.nodes[i].Addr(), strings.TrimPrefix(c.urls[i], "http://")))
	}
	return c
}

// testRaft returns raft settings with short timeouts and no logging.
func testRaft() *raft.Config {
	rc := raft.DefaultConfig()
	rc.HeartbeatTimeout, rc.ElectionTimeout, rc.LeaderLeaseTimeout = 250*time.Millisecond, 250*time.Millisecond, 250*time.Millisecond
	rc.CommitTimeout = 5 * time.Millisecond
	rc.Logger = hclog.NewNullLogger()
	return rc
}

// do sends a request to node i's API with the cluster's token and returns
// the answer's status and body.
func (c *testCluster) do(method string, i int, path, body string) (int, string) {
	return c.doWith(method, i, path, body, http.Header{"Authorization": {"Bearer " + c.token}})
}

// doWith sends a request with the headers h (and nothing else).
func (c *testCluster) doWith(method string, i int, path, body string, h http.Header) (int, string) {
	c.t.Helper()
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.urls[i]+path, strings.NewReader(body))
	require.NoError(c.t, err)
	req.Header = h
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return resp.StatusCode, string(b)
}

// must sends a request and requires the status code; it returns the body.
func (c *testCluster) must(code int, method string, i int, path, body string) string {
	c.t.Helper()
	got, answer := c.do(method, i, path, body)
	require.Equal(c.t, code, got, "%s %s on n%d: %s", method, path, i+1, answer)
	return answer
}

// status returns node i's GET /status.
func (c *testCluster) status(i int) statusBody {
	c.t.Helper()
	var s statusBody
	require.NoError(c.t, json.Unmarshal([]byte(c.must(http.StatusOK, "GET", i, "/status", "")), &s))
	return s
}

// leader returns the index of the leader, once there is one.
func (c *testCluster) leader() int {
	c.t.Helper()
	var l int
	require.Eventually(c.t, func() bool {
		for i, n := range c.nodes {
			if n.IsLeader() {
				l = i
				return true
			}
		}
		return false
	}, 20*time.Second, 5*time.Millisecond)
	return l
}

// follower returns the index of a node that is not the leader.
func (c *testCluster) follower() int { return (c.leader() + 1) % len(c.nodes) }

// applied returns the leader's applied index, once every node has it.
func (c *testCluster) applied() uint64 {
	c.t.Helper()
	want := c.nodes[c.leader()].AppliedIndex()
	for _, n := range c.nodes {
		require.Eventually(c.t, func() bool { return n.AppliedIndex() >= want }, 20*time.Second, 5*time.Millisecond)
	}
	return want
}
