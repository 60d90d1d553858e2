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
	UserID  int
	Expires time.Time
}

// Sessions is the State: every live session, by token.
type Sessions struct {
	Tokens map[string]Session
}

// Command kinds.
const (
	Create = "create"
	Delete = "delete"
	Expire = "expire"
)

// Command changes Sessions. Everything Apply needs is in the command:
// Apply reads no clock and draws no random numbers, so a replay makes the
// same change.
type Command struct {
	Kind    string
	Token   string    // Create, Delete
	UserID  int       // Create
	Expires time.Time // Create
	Now     time.Time // Expire: sessions that expired by then go
}

// errUnknownToken is returned for a Delete of a token that is not there.
var errUnknownToken = errors.New("unknown token")

// Apply implements hurrah.Command. A command that returns an error changes
// nothing and is not journaled.
func (c Command) Apply(s *Sessions) error {
	switch c.Kind {
	case Create:
		if s.Tokens == nil {
			s.Tokens = map[string]Session{}
		}
		s.Tokens[c.Token] = Session{UserID: c.UserID, Expires: c.Expires}
	case Delete:
		if _, ok := s.Tokens[c.Token]; !ok {
			return errUnknownToken
		}
		delete(s.Tokens, c.Token)
	case Expire:
		for tok, sess := range s.Tokens { // deleting while ranging is fine; order does not matter
			if !sess.Expires.After(c.Now) {
				delete(s.Tokens, tok)
			}
		}
	default:
		return fmt.Errorf("unknown command %q", c.Kind)
	}
	return nil
}

// newToken draws a random token, outside Apply.
func newToken() string { return rand.Text() }

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
	initial := func() Sessions { return Sessions{Tokens: map[string]Session{}} }

	sys, err := hurrah.OpenSystem[Sessions, Command](*dir, initial, &hurrah.Options{Durability: hurrah.Synced})
	if err != nil {
		log.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC) // a fixed clock, so the output is the same every run
	ada, bob, eve := newToken(), newToken(), newToken()
	for _, c := range []Command{
		{Kind: Create, Token: ada, UserID: 1, Expires: now.Add(time.Hour)},
		{Kind: Create, Token: bob, UserID: 2, Expires: now.Add(2 * time.Hour)},
		{Kind: Create, Token: eve, UserID: 3, Expires: now.Add(10 * time.Minute)},
	} {
		if err := sys.Commit(ctx, c); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println("created 3 sessions")

	// A snapshot bounds the journal: the next Open restores it and replays
	// only the commands after it.
	if err := sys.Snapshot(ctx); err != nil {
		log.Fatal(err)
	}
	if err := sys.Commit(ctx, Command{Kind: Delete, Token: bob}); err != nil {
		log.Fatal(err)
	}
	err = sys.Commit(ctx, Command{Kind: Delete, Token: "no-such-token"})
	fmt.Printf("deleting an unknown token: %v (nothing journaled)\n", err)
	if err := sys.Commit(ctx, Command{Kind: Expire, Now: now.Add(30 * time.Minute)}); err != nil {
		log.Fatal(err)
	}
	if err := sys.Close(); err != nil {
		log.Fatal(err)
	}

	// Open again: the snapshot, then the two commands after it.
	sys, err = hurrah.OpenSystem[Sessions, Command](*dir, initial, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer sys.Close()
	rec := sys.Recovery()
	fmt.Printf("reopened: snapshot at command %d, then %d command(s) replayed\n", rec.SnapshotLSN, rec.Records)

	// A query runs in the owner goroutine and copies what it returns.
	users, err := hurrah.Query(ctx, sys, func(s *Sessions) []int {
		var ids []int
		for _, tok := range []string{ada, bob, eve} {
			if sess, ok := s.Tokens[tok]; ok {
				ids = append(ids, sess.UserID)
			}
		}
		return ids
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("live sessions belong to users %v\n", users)
}
