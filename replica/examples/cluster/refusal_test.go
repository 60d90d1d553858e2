package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hurrahdb/hurrah"
	"github.com/stretchr/testify/require"
)

// Bad input gets 400 (413 for a value over the limit) with a message, on
// the leader and on a follower alike, and proposes nothing.
func TestAPIBadInput(t *testing.T) {
	c := newTestCluster(t, 3, "")
	c.must(http.StatusNoContent, "PUT", c.leader(), "/key/k", "v")
	longKey := strings.Repeat("k", hurrah.DefaultMaxKeySize+1)
	cases := []struct {
		name, method, path, body string
		code                     int
		says                     string
	}{
		{"empty key", "PUT", "/key/", "v", 400, "invalid key"},
		{"reserved key", "PUT", "/key/_cluster/http/n1", "evil:1", 400, "reserved"},
		{"reserved key read", "GET", "/key/_cluster/http/n1", "", 400, "reserved"},
		{"reserved key delete", "DELETE", "/key/_cluster/http/n1", "", 400, "reserved"},
		{"long key", "PUT", "/key/" + longKey, "v", 400, "too large"},
		{"ttl not a duration", "PUT", "/key/k?ttl=soon", "v2", 400, "ttl"},
		{"negative ttl", "PUT", "/key/k?ttl=-1s", "v2", 400, "ttl"},
		{"stale neither 0 nor 1", "GET", "/key/k?stale=maybe", "", 400, "stale"},
		{"value over the limit", "PUT", "/key/k", strings.Repeat("v", hurrah.DefaultMaxValueSize+1), 413, "too large"},
		{"join not JSON", "POST", "/join", "n4 n4", 400, "not JSON"},
		{"join unknown field", "POST", "/join", `{"id":"n4","addr":"h:1","role":"boss"}`, 400, "unknown field"},
		{"join without addr", "POST", "/join", `{"id":"n4"}`, 400, "needs an id and an addr"},
		{"join bad addr", "POST", "/join", `{"id":"n4","addr":"nowhere"}`, 400, "host:port"},
		{"join bad http", "POST", "/join", `{"id":"n4","addr":"h:1","http":"nowhere"}`, 400, "host:port"},
		{"join long id", "POST", "/join", `{"id":"` + strings.Repeat("n", 257) + `","addr":"h:1"}`, 400, "over 256 bytes"},
		{"remove without id", "POST", "/remove", `{}`, 400, "needs an id"},
		{"remove two values", "POST", "/remove", `{"id":"n2"} {"id":"n3"}`, 400, "one JSON value"},
		{"wrong method", "POST", "/key/k", "v", 405, ""},
	}
	before := c.applied()
	for _, tc := range cases {
		for _, i := range []int{c.leader(), c.follower()} {
			code, body := c.do(tc.method, i, tc.path, tc.body)
			require.Equal(t, tc.code, code, "%s on n%d: %s", tc.name, i+1, body)
			require.Contains(t, body, tc.says, tc.name)
		}
	}
	require.Equal(t, before, c.applied(), "bad input proposed an entry")
	require.Equal(t, "v", c.must(http.StatusOK, "GET", c.follower(), "/key/k", ""))
	require.Len(t, c.status(c.leader()).Members, 3)
}

// With a token, a request without it, or with another, gets 401 and
// changes nothing: writes, joins and removes included. With it, the
// request works, forwarded by a follower too.
func TestAPITokenRequired(t *testing.T) {
	const token = "s3cret"
	c := newTestCluster(t, 3, token)
	c.must(http.StatusNoContent, "PUT", c.follower(), "/key/k", "v")
	before := c.applied()
	headers := map[string]http.Header{
		"none":        {},
		"wrong token": {"Authorization": {"Bearer s3cres"}},
		"longer":      {"Authorization": {"Bearer " + token + "x"}},
		"not bearer":  {"Authorization": {"Basic " + token}},
		"bare token":  {"Authorization": {token}},
	}
	requests := []struct{ method, path, body string }{
		{"PUT", "/key/k", "changed"},
		{"PUT", "/key/new", "v"},
		{"DELETE", "/key/k", ""},
		{"GET", "/key/k", ""},
		{"GET", "/status", ""},
		{"POST", "/join", `{"id":"n4","addr":"n4:1"}`},
		{"POST", "/remove", `{"id":"n2"}`},
	}
	for name, h := range headers {
		for _, r := range requests {
			for i := range c.nodes {
				code, body := c.doWith(r.method, i, r.path, r.body, h)
				require.Equal(t, http.StatusUnauthorized, code, "%s: %s %s on n%d: %s", name, r.method, r.path, i+1, body)
				require.NotContains(t, body, `"v"`)
			}
		}
	}
	require.Equal(t, before, c.applied(), "a refused request proposed an entry")
	require.Equal(t, "v", c.must(http.StatusOK, "GET", c.follower(), "/key/k", ""))
	c.must(http.StatusNotFound, "GET", c.follower(), "/key/new", "")
	require.Len(t, c.status(c.leader()).Members, 3)
}
