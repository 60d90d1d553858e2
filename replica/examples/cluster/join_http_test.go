package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// A join of a member already in the cluster with another HTTP address is
// refused with 409 and changes nothing: a token holder cannot repoint the
// leader's address, to which followers forward requests and their token.
// The same address again changes nothing; a member removed and joined
// again may come back at another one.
func TestJoinCannotRepointMember(t *testing.T) {
	c := newTestCluster(t, 3, "secret")
	c.applied()
	l, f := c.leader(), c.follower()
	join := func(i int, http string) string {
		return fmt.Sprintf(`{"id":%q,"addr":%q,"http":%q}`, c.nodes[i].ID(), c.nodes[i].Addr(), http)
	}
	leaderHTTP := strings.TrimPrefix(c.urls[l], "http://")
	before := c.applied()
	answer := c.must(http.StatusConflict, "POST", f, "/join", join(l, "attacker.example:80"))
	require.Contains(t, answer, "remov")
	require.Equal(t, before, c.applied(), "a refused join proposed an entry")
	require.Equal(t, leaderHTTP, c.status(f).Leader.HTTP)
	c.must(http.StatusNoContent, "POST", f, "/join", join(l, leaderHTTP)) // the same: nothing

	other := 3 - l - f
	c.must(http.StatusNoContent, "POST", f, "/remove", fmt.Sprintf(`{"id":%q}`, c.nodes[other].ID()))
	c.must(http.StatusNoContent, "POST", f, "/join", join(other, "moved.example:8080"))
	c.applied()
	moved := map[string]string{}
	for _, m := range c.status(f).Members {
		moved[m.ID] = m.HTTP
	}
	require.Equal(t, "moved.example:8080", moved[c.nodes[other].ID()])
}
