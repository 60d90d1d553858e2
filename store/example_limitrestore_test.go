package store_test

import (
	"fmt"

	"github.com/hurrahdb/hurrah/store"
)

// LimitRestore bounds the room a restore makes before the records come,
// for a count read from a header not yet checked: the map grows past it
// as they come, and a count the records do not match is still refused.
func ExampleKV_LimitRestore() {
	records := func(yield func(key, value []byte) bool) {
		for _, k := range []string{"a", "b", "c"} {
			if !yield([]byte(k), []byte(k+"!")) {
				return
			}
		}
	}
	kv := store.NewKV(0)
	kv.LimitRestore(2)
	fmt.Println(kv.Restore(3, records))
	v, ok := kv.Get("c")
	fmt.Println(string(v), ok)

	kv.LimitRestore(2)
	fmt.Println(kv.Restore(1<<40, records) != nil) // no map for 1<<40 keys
	// Output:
	// <nil>
	// c! true
	// true
}
