package replica

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// A write, a read or a membership change that raft did not take within ApplyTimeout is
// ErrBusy (raft's own error still matches): nothing was proposed, so it
// is not ErrUncertain, and a retry is safe.
func TestEnqueueTimeoutIsBusy(t *testing.T) {
	n := &node{}
	timeout := fmt.Errorf("apply: %w", raft.ErrEnqueueTimeout)
	change := n.change(context.Background(), enqueueTimeout{timeout})
	for name, err := range map[string]error{"write": n.writeErr(timeout), "read": n.readErr(timeout), "membership": change} {
		require.ErrorIs(t, err, ErrBusy, name)
		require.ErrorIs(t, err, raft.ErrEnqueueTimeout, name)
		require.NotErrorIs(t, err, ErrUncertain, name)
	}
}

// enqueueTimeout is the future raft returns for a call it did not take.
type enqueueTimeout struct{ err error }

func (f enqueueTimeout) Error() error  { return f.err }
func (f enqueueTimeout) Index() uint64 { return 0 }
