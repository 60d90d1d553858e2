package journal_test

import (
	"bytes"
	"context"
	"fmt"

	"github.com/hurrahdb/hurrah/journal"
)

// Records hands a backup's records to the caller as it reads them, and
// returns nil only once it has checked all of them: keep nothing of them
// until then (hurrah.OpenBackup loads them into a store it throws away if
// Records fails).
func ExampleBackupReader_Records() {
	var backup bytes.Buffer
	w, err := journal.NewBackupWriterDeadlines(&backup, 1, 42, 2)
	if err != nil {
		panic(err)
	}
	w.AddAt("a", []byte("1"), 0)
	w.AddAt("b", []byte("2"), 1e18)
	if _, err := w.Close(); err != nil {
		panic(err)
	}

	r, err := journal.NewBackupReader(&backup, "backup")
	if err != nil {
		panic(err)
	}
	fmt.Printf("%+v\n", r.Info())
	got := map[string]string{}
	err = r.Records(context.Background(), journal.CopyOptions{KeyRequired: true}, func(key, value []byte, at int64) bool {
		got[string(key)] = fmt.Sprintf("%s at %d", value, at) // key and value are reused: copy them
		return true
	})
	fmt.Println(got, err)
	// Output:
	// {Kind:1 LSN:42 Count:2 Deadlines:true}
	// map[a:1 at 0 b:2 at 1000000000000000000] <nil>
}
