package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/hurrahdb/hurrah"
	"github.com/stretchr/testify/require"
)

// getBackup sends GET path to node i with the cluster's token and returns
// the status, the body and the X-Hurrah-Index trailer.
func (c *testCluster) getBackup(i int, path string) (int, []byte, string) {
	c.t.Helper()
	req, err := http.NewRequestWithContext(c.t.Context(), "GET", c.urls[i]+path, nil)
	require.NoError(c.t, err)
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return resp.StatusCode, b, resp.Trailer.Get(indexTrailer)
}

// GET /backup on a follower is forwarded to the leader, with the index in
// a trailer; ?stale=1 answers from the follower's own copy. Both need the
// token.
func TestAPIBackup(t *testing.T) {
	c := newTestCluster(t, 3, "s3cret")
	c.must(http.StatusNoContent, "PUT", c.leader(), "/key/a", "1")
	applied := c.applied()
	f := c.follower()
	for _, path := range []string{"/backup", "/backup?stale=1"} {
		code, b, index := c.getBackup(f, path)
		require.Equal(t, http.StatusOK, code, path)
		at, err := strconv.ParseUint(index, 10, 64)
		require.NoError(t, err, path)
		require.GreaterOrEqual(t, at, applied, path)
		db, lsn, err := hurrah.OpenBackup(context.Background(), bytes.NewReader(b), nil)
		require.NoError(t, err, path)
		require.Equal(t, at, lsn, path)
		v, err := db.GetBytes(context.Background(), "a")
		require.NoError(t, err)
		require.Equal(t, "1", string(v))
		require.NoError(t, db.Close())
	}
	code, _ := c.doWith("GET", f, "/backup", "", http.Header{})
	require.Equal(t, http.StatusUnauthorized, code)
	code, _ = c.do("GET", f, "/backup?stale=maybe", "")
	require.Equal(t, http.StatusBadRequest, code)
}

// POST /restore on the leader replaces the state on every node and keeps
// the members' HTTP addresses (a follower still forwards); on a follower
// it answers 503 naming the leader; a damaged backup gets 400; all need
// the token. Nothing changes on a refusal.
func TestAPIRestore(t *testing.T) {
	c := newTestCluster(t, 3, "s3cret")
	l := c.leader()
	c.must(http.StatusNoContent, "PUT", l, "/key/a", "old")
	_, backup, _ := c.getBackup(l, "/backup")
	c.must(http.StatusNoContent, "PUT", l, "/key/a", "new")
	c.must(http.StatusNoContent, "PUT", l, "/key/b", "new")

	f := c.follower()
	code, body := c.do("POST", f, "/restore", string(backup))
	require.Equal(t, http.StatusServiceUnavailable, code)
	var e errorBody
	require.NoError(t, json.Unmarshal([]byte(body), &e))
	require.NotNil(t, e.Leader)
	require.Equal(t, c.nodes[l].ID(), e.Leader.ID)
	code, _ = c.doWith("POST", l, "/restore", string(backup), http.Header{})
	require.Equal(t, http.StatusUnauthorized, code)
	code, _ = c.do("POST", l, "/restore", string(backup[:len(backup)-3]))
	require.Equal(t, http.StatusBadRequest, code)
	require.Equal(t, "new", c.must(http.StatusOK, "GET", l, "/key/a", ""))

	c.must(http.StatusNoContent, "POST", l, "/restore", string(backup))
	require.Equal(t, "old", c.must(http.StatusOK, "GET", f, "/key/a", "")) // forwarded: the leader's address is kept
	c.must(http.StatusNotFound, "GET", f, "/key/b", "")
	c.must(http.StatusNoContent, "PUT", f, "/key/c", "after")
	c.applied()
	for i := range c.nodes {
		require.Equal(t, "old", c.must(http.StatusOK, "GET", i, "/key/a?stale=1", ""))
		require.Equal(t, "after", c.must(http.StatusOK, "GET", i, "/key/c?stale=1", ""))
		s := c.status(i)
		require.Len(t, s.Members, 3)
		for _, m := range s.Members {
			require.True(t, strings.HasPrefix(m.HTTP, "127.0.0.1:"), "member %s HTTP %q", m.ID, m.HTTP)
		}
	}
}
