package hurrah_test

import (
	"bytes"
	"context"
	"fmt"
	"log"

	"github.com/hurrahdb/hurrah"
)

// A System's State frozen at one moment and written later, at a position
// the caller numbers (as the replica module writes its raft index), then
// opened in memory from that stream.
func ExampleSystem_Image() {
	ctx := context.Background()
	sys, err := hurrah.OpenSystem[library, loan]("", nil, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer sys.Close()
	if err := sys.Commit(ctx, loan{Book: "Dune", Reader: "ada"}); err != nil {
		log.Fatal(err)
	}
	img, err := sys.Image(ctx) // the State now
	if err != nil {
		log.Fatal(err)
	}
	if err := sys.Commit(ctx, loan{Book: "Emma", Reader: "bob"}); err != nil {
		log.Fatal(err)
	}

	var buf bytes.Buffer
	if err := img.Backup(ctx, &buf, 7); err != nil {
		log.Fatal(err)
	}
	copied, lsn, err := hurrah.OpenSystemBackup[library, loan](ctx, &buf, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer copied.Close()
	loans, err := hurrah.Query(ctx, copied, func(s *library) int { return len(s.Loans) })
	fmt.Println("at", lsn, "loans:", loans, err)
	// Output: at 7 loans: 1 <nil>
}
