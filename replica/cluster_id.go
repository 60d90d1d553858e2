package replica

import (
	"bytes"
	"fmt"

	"github.com/hashicorp/raft"
)

// The identity a node's stores record: the cluster's name and the node's
// ID, in raft's stable store (the file Dir/raft.db), so that a directory
// cannot be started as another node or as a node of another cluster.
var (
	clusterKey = []byte("hurrah.replica.cluster")
	nodeKey    = []byte("hurrah.replica.node")
)

// identity is the cluster name and node ID a node starts as.
type identity struct{ cluster, node string }

// field is one key of an identity and the value wanted for it.
type field struct {
	key  []byte
	want string
}

// missing compares the identity that lookup reads (nil for a key not
// there) with w, and returns the fields not recorded yet. A recorded
// value that differs returns ErrOtherCluster. An empty cluster name is
// not compared.
func (w identity) missing(lookup func(key []byte) ([]byte, error)) ([]field, error) {
	var out []field
	for _, f := range []field{{clusterKey, w.cluster}, {nodeKey, w.node}} {
		if f.want == "" {
			continue
		}
		got, err := lookup(f.key)
		switch {
		case err != nil:
			return nil, err
		case len(got) == 0:
			out = append(out, f)
		case !bytes.Equal(got, []byte(f.want)):
			return nil, fmt.Errorf("%w: the stores record %s %q, not %q", ErrOtherCluster, f.key, got, f.want)
		}
	}
	return out, nil
}

// claim checks the identity st records against w and records what it
// does not hold yet. A mismatch returns ErrOtherCluster and writes
// nothing.
func (w identity) claim(st raft.StableStore) error {
	missing, err := w.missing(func(key []byte) ([]byte, error) {
		v, err := st.Get(key)
		// raft's stores report a missing key as an error "not found",
		// with no sentinel to test.
		if err != nil && err.Error() != "not found" {
			return nil, fmt.Errorf("replica: read %s: %w", key, err)
		}
		return v, nil
	})
	if err != nil {
		return err
	}
	for _, f := range missing {
		if err := st.Set(f.key, []byte(f.want)); err != nil {
			return fmt.Errorf("replica: record %s: %w", f.key, err)
		}
	}
	return nil
}
