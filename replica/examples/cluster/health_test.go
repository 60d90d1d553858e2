package main

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/hurrahdb/hurrah/replica"
	"github.com/stretchr/testify/require"
)

// /status reports a node's health ("ok" while it serves). A node halted
// by a damaged log entry (replica's corrupt_test.go halts one) or a
// failed store (stores_fault_test.go), or a
// leader too busy to take a call, answers 503: retry, later or elsewhere.
func TestStatusHealth(t *testing.T) {
	c := newTestCluster(t, 1, "")
	require.Equal(t, "ok", c.status(0).Health)
	for _, e := range []error{replica.ErrCorruptEntry, replica.ErrStoreFailed, replica.ErrBusy} {
		require.Equal(t, http.StatusServiceUnavailable, statusOf(fmt.Errorf("replica: wrapped: %w", e)), e.Error())
	}
}
