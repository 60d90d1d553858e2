package replica

import (
	"context"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// failedFuture is a raft future that has failed with err.
type failedFuture struct{ err error }

func (f failedFuture) Error() error  { return f.err }
func (f failedFuture) Index() uint64 { return 0 }

// A membership change whose leader lost leadership before the change was
// known to commit may or may not have taken effect: ErrUncertain, as for
// a write, with raft's error kept for errors.Is.
func TestMembershipChangeLeadershipLostIsUncertain(t *testing.T) {
	var n node
	err := n.change(context.Background(), failedFuture{raft.ErrLeadershipLost})
	require.ErrorIs(t, err, ErrUncertain)
	require.ErrorIs(t, err, raft.ErrLeadershipLost)
}
