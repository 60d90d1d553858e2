package replica

import (
	"fmt"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// A write or a read that raft did not take within ApplyTimeout is
// ErrBusy (raft's own error still matches): nothing was proposed, so it
// is not ErrUncertain, and a retry is safe.
func TestEnqueueTimeoutIsBusy(t *testing.T) {
	n := &node{}
	timeout := fmt.Errorf("apply: %w", raft.ErrEnqueueTimeout)
	for name, err := range map[string]error{"write": n.writeErr(timeout), "read": n.readErr(timeout)} {
		require.ErrorIs(t, err, ErrBusy, name)
		require.ErrorIs(t, err, raft.ErrEnqueueTimeout, name)
		require.NotErrorIs(t, err, ErrUncertain, name)
	}
}
