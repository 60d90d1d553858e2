package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"sync"
	"time"

	"github.com/hurrahdb/hurrah"
)

const (
	workers   = 64
	perWorker = 200
)

func main() {
	dir, err := os.MkdirTemp("", "hurrah-concurrent-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	db, err := hurrah.Open(dir, &hurrah.Options{Durability: hurrah.Synced})
	if err != nil {
		log.Fatal(err)
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				if err := hurrah.Set(ctx, db, fmt.Sprintf("w%02d:%04d", w, i), i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		log.Fatal(err)
	}
	elapsed := time.Since(start)
	if err := db.Close(); err != nil {
		log.Fatal(err)
	}

	db, err = hurrah.Open(dir, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	n, err := db.Len(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d goroutines wrote %d synced keys in %v (%.0f writes/s)\n",
		workers, workers*perWorker, elapsed.Round(time.Millisecond), float64(workers*perWorker)/elapsed.Seconds())
	fmt.Printf("after reopen: %d keys\n", n)
}
