package replica

import (
	"syscall"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// A vote half written: raft v1.7.2 persists a vote as two writes, the
// term and then the candidate, and a node whose second write failed (or
// that was killed between them) kept the term of the new vote beside the
// candidate of its older one. Started again in that term, it granted
// that older candidate a vote without comparing logs (raft takes it for
// a repeated request of a vote it cast): a candidate with a stale log
// could be elected, and overwrite committed entries. The guard writes a
// candidate no node is first, so a vote half written refuses every
// candidate in its term (refusing a vote is always safe).
func TestVoteHalfWrittenGrantsNone(t *testing.T) {
	c, fs := faultCluster(t, nil)
	c.setKeys("before", 10)
	l := c.leader()
	var f *Node // a follower that has voted (one at least did, for l)
	var oldCand []byte
	for _, g := range c.followers(l) {
		if cand, err := fs[g.ID()].StableStore.Get([]byte("LastVoteCand")); err == nil {
			f, oldCand = g, cand
		}
	}
	require.NotNil(t, f, "no follower has voted")
	oldTerm, err := fs[f.ID()].StableStore.GetUint64([]byte("LastVoteTerm"))
	require.NoError(t, err)
	fs[f.ID()].arm("Set LastVoteCand after SetUint64 LastVoteTerm", syscall.EIO) // raft's second write
	c.partition(l.ID())                                                          // an election: f is asked for a vote
	storeFailed(t, f, syscall.EIO)
	c.heal(l.ID())
	term, err := fs[f.ID()].StableStore.GetUint64([]byte("LastVoteTerm"))
	require.NoError(t, err)
	require.Greater(t, term, oldTerm, "the vote's term was written, not its candidate")
	c.closeAll()

	// f alone, started again on its stores, is asked for a vote in that
	// term by the candidate of its older vote, with an empty log.
	mem := fs[f.ID()].LogStore.(*raft.InmemStore)
	_, tr := raft.NewInmemTransport(raft.ServerAddress(f.ID()))
	n, err := NewNode(Config{ID: f.ID(), Transport: tr, LogStore: mem, StableStore: mem,
		SnapshotStore: fs[f.ID()].snaps, Raft: testRaft()})
	require.NoError(t, err)
	defer n.Close()
	_, peer := raft.NewInmemTransport(raft.ServerAddress(oldCand))
	peer.Connect(raft.ServerAddress(f.ID()), tr)
	tr.Connect(raft.ServerAddress(oldCand), peer)
	req := &raft.RequestVoteRequest{
		RPCHeader: raft.RPCHeader{ProtocolVersion: raft.ProtocolVersionMax, ID: oldCand, Addr: oldCand}, Term: term,
		LastLogIndex: 0, LastLogTerm: 0, // a stale log: a whole vote refuses it
	}
	var resp raft.RequestVoteResponse
	require.NoError(t, peer.RequestVote(raft.ServerID(f.ID()), raft.ServerAddress(f.ID()), req, &resp))
	require.Equal(t, term, resp.Term)
	require.False(t, resp.Granted, "a vote granted, unchecked, to %s in term %d", oldCand, term)
}
