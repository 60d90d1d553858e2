package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/hurrahdb/hurrah"
)

// Session is one logged-in user.
type Session struct {
	UserID int
}

// ttl is how long a session lives unless it is used.
const ttl = 300 * time.Millisecond

// login creates a session and returns its token.
func login(ctx context.Context, db *hurrah.DB, userID int) (string, error) {
	tok := "session:" + rand.Text()
	return tok, hurrah.Set(ctx, db, tok, Session{UserID: userID}, hurrah.TTL(ttl))
}

// use looks a session up and, if it is live, gives it another ttl.
func use(ctx context.Context, db *hurrah.DB, tok string) (Session, error) {
	var s Session
	err := db.Update(ctx, func(tx *hurrah.Tx) error {
		var err error
		if s, err = hurrah.TxGet[Session](tx, tok); err != nil {
			return err
		}
		return hurrah.TxSet(tx, tok, s, hurrah.TTL(ttl))
	})
	return s, err
}

// Each example is a whole program to copy from, so the lines that pick a
// directory and open the store are repeated across examples on purpose.
func main() {
	dir := flag.String("dir", "", "store directory (default: a new temporary one)")
	flag.Parse()
	if *dir == "" {
		tmp, err := os.MkdirTemp("", "hurrah-sessions-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(tmp)
		*dir = tmp
	}
	ctx := context.Background()
	db, err := hurrah.Open(*dir, &hurrah.Options{Durability: hurrah.Synced})
	if err != nil {
		log.Fatal(err)
	}
	ada, err := login(ctx, db, 1)
	if err != nil {
		log.Fatal(err)
	}
	eve, err := login(ctx, db, 3)
	if err != nil {
		log.Fatal(err)
	}
	n, _ := db.Len(ctx)
	fmt.Printf("logged in: %d sessions\n", n)

	// Ada keeps using hers; Eve goes away.
	for range 3 {
		time.Sleep(ttl / 2)
		if _, err := use(ctx, db, ada); err != nil {
			log.Fatal(err)
		}
	}
	_, err = use(ctx, db, eve)
	fmt.Printf("eve's session expired: %v\n", errors.Is(err, hurrah.ErrNotFound))
	if err := db.Close(); err != nil {
		log.Fatal(err)
	}

	// Reopened, Ada's session keeps its deadline: the journal holds it.
	db, err = hurrah.Open(*dir, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	s, err := use(ctx, db, ada)
	if err != nil {
		log.Fatal(err)
	}
	n, _ = db.Len(ctx)
	fmt.Printf("after reopening: user %d still logged in, %d session(s)\n", s.UserID, n)
}
