package hurrah

import (
	"context"

	"github.com/hurrahdb/hurrah/store"
)

// WriteReusing applies b as Write does, but reads b's operations where
// they are rather than copying them (Write copies them so that b may be
// reused even while a write whose ctx has ended is still on its way): it
// takes no ctx and returns only once the store has answered. It then
// empties b, as Reset does, whatever the outcome, keeping b's memory for
// the next batch. The store keeps the values b holds (SetBytes copied
// them in), never b's list of operations. For a caller that fills one
// batch, writes it and fills it again, as a replicated store applies its
// log entries: it saves an allocation and a copy of the list per batch.
func (db *DB) WriteReusing(b *Batch) error {
	if b != nil { // write refuses a nil b, after a closed store (ErrClosed wins)
		defer b.Reset()
	}
	// No ctx that could end: the write returns once the owner has
	// answered, and the owner reads the list only before it answers.
	return db.write(context.Background(), b, func(muts []store.Mutation) []store.Mutation { return muts })
}
