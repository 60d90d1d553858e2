package main

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/hurrahdb/hurrah"
)

// Session is a cached value.
type Session struct {
	UserID int
	Roles  []string
}

func main() {
	ctx := context.Background()
	db, err := hurrah.Open("", nil) // no directory: memory only
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	if err := hurrah.Set(ctx, db, "session:abc", Session{UserID: 7, Roles: []string{"reader"}}); err != nil {
		log.Fatal(err)
	}
	s, err := hurrah.Get[Session](ctx, db, "session:abc")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("session:abc = %+v\n", s)

	if _, err := db.Delete(ctx, "session:abc"); err != nil {
		log.Fatal(err)
	}
	_, err = hurrah.Get[Session](ctx, db, "session:abc")
	fmt.Println("after delete, not found:", errors.Is(err, hurrah.ErrNotFound))
	fmt.Println("durability:", db.Durability())
}
