package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Every node takes every request: a follower forwards writes and
// linearizable reads to the leader; a stale read answers from its copy.
func TestAPIKeysOnEveryNode(t *testing.T) {
	c := newTestCluster(t, 3, "")
	f := c.follower()
	c.must(http.StatusNoContent, "PUT", f, "/key/greeting", "hello")
	for i := range c.nodes {
		require.Equal(t, "hello", c.must(http.StatusOK, "GET", i, "/key/greeting", ""), "n%d", i+1)
	}
	c.applied()
	require.Equal(t, "hello", c.must(http.StatusOK, "GET", f, "/key/greeting?stale=1", ""))

	c.must(http.StatusNoContent, "PUT", c.leader(), "/key/a/b%20c", "slash and space")
	require.Equal(t, "slash and space", c.must(http.StatusOK, "GET", f, "/key/a/b%20c", ""))

	c.must(http.StatusNoContent, "DELETE", f, "/key/greeting", "")
	for i := range c.nodes {
		c.must(http.StatusNotFound, "GET", i, "/key/greeting", "")
	}
	c.must(http.StatusNoContent, "DELETE", f, "/key/greeting", "") // missing: no error
}

// A ttl replicates as a deadline: the key is there, then gone, on every
// node.
func TestAPITTL(t *testing.T) {
	c := newTestCluster(t, 3, "")
	c.must(http.StatusNoContent, "PUT", c.follower(), "/key/brief?ttl=300ms", "v")
	c.must(http.StatusNoContent, "PUT", c.follower(), "/key/lasting?ttl=1h", "v")
	require.Eventually(t, func() bool {
		code, _ := c.do("GET", c.follower(), "/key/brief", "")
		return code == http.StatusNotFound
	}, 20*time.Second, 10*time.Millisecond)
	c.applied()
	for i := range c.nodes {
		c.must(http.StatusNotFound, "GET", i, "/key/brief?stale=1", "")
		c.must(http.StatusOK, "GET", i, "/key/lasting?stale=1", "")
	}
}

// Join (through a follower too), status and remove; a duplicate member
// and an unknown one are refused and change nothing.
func TestAPIMembership(t *testing.T) {
	c := newTestCluster(t, 3, "")
	c.applied() // every node knows every member's HTTP address
	for i := range c.nodes {
		s := c.status(i)
		require.Equal(t, c.nodes[i].ID(), s.ID)
		require.NotNil(t, s.Leader)
		require.Equal(t, c.nodes[c.leader()].ID(), s.Leader.ID)
		require.Equal(t, strings.TrimPrefix(c.urls[c.leader()], "http://"), s.Leader.HTTP)
		require.Len(t, s.Members, 3)
		for _, m := range s.Members {
			require.NotEmpty(t, m.HTTP, "%s has no HTTP address", m.ID)
		}
	}
	f := c.follower()
	before := c.applied()
	c.must(http.StatusConflict, "POST", f, "/join", `{"id":"n2","addr":"elsewhere:1"}`)
	c.must(http.StatusNotFound, "POST", f, "/remove", `{"id":"n9"}`)
	require.Equal(t, before, c.applied(), "a refused change proposed an entry")
	c.must(http.StatusNoContent, "POST", f, "/join", `{"id":"n2","addr":"n2:7000","http":"`+strings.TrimPrefix(c.urls[1], "http://")+`"}`) // again: nothing

	gone := (c.leader() + 2) % 3
	c.must(http.StatusNoContent, "POST", f, "/remove", `{"id":"`+c.nodes[gone].ID()+`"}`)
	s := c.status(c.leader())
	require.Len(t, s.Members, 2)
	for _, m := range s.Members {
		require.NotEqual(t, c.nodes[gone].ID(), m.ID)
	}
	require.Eventually(t, func() bool {
		_, err := c.nodes[c.leader()].GetBytes(t.Context(), httpKey(c.nodes[gone].ID()))
		return err != nil
	}, 20*time.Second, 10*time.Millisecond, "the removed node's HTTP address is kept")

	l := c.leader() // removing the leader, through the last follower: it steps down
	f = 3 - l - gone
	c.must(http.StatusNoContent, "POST", f, "/remove", `{"id":"`+c.nodes[l].ID()+`"}`)
	require.Eventually(t, func() bool { return c.nodes[f].IsLeader() }, 20*time.Second, 10*time.Millisecond)
	s = c.status(f)
	require.Len(t, s.Members, 1)
	require.Equal(t, c.nodes[f].ID(), s.Members[0].ID)
}

// A request forwarded once that finds no leader is not forwarded again:
// 503, naming the leader with its HTTP address.
func TestAPIForwardsOnce(t *testing.T) {
	c := newTestCluster(t, 3, "")
	f, l := c.follower(), c.leader()
	before := c.applied()
	code, body := c.doWith("PUT", f, "/key/k", "v", http.Header{forwardedHeader: {"n9"}})
	require.Equal(t, http.StatusServiceUnavailable, code, body)
	var e errorBody
	require.NoError(t, json.Unmarshal([]byte(body), &e))
	require.NotNil(t, e.Leader, body)
	require.Equal(t, c.nodes[l].ID(), e.Leader.ID)
	require.Equal(t, strings.TrimPrefix(c.urls[l], "http://"), e.Leader.HTTP)
	require.Equal(t, before, c.applied())
}
