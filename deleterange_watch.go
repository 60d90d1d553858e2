package hurrah

import (
	"strings"

	"github.com/hurrahdb/hurrah/store"
)

// wanted reports whether a watcher limited to prefix reports the change c:
// a clear always, a range delete if its range and the prefix's meet, any
// other change if its key has the prefix.
func wanted(c store.Change, prefix string) bool {
	switch c.Op {
	case store.OpClear:
		return true
	case store.OpDeleteRange:
		pend := store.PrefixEnd(prefix)
		return (pend == "" || c.Key < pend) && (c.End == "" || c.End > prefix)
	}
	return strings.HasPrefix(c.Key, prefix)
}
