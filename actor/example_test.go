package actor_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/hurrahdb/hurrah/actor"
)

// counterMsg either adds to the counter or, with get set, asks for its value.
type counterMsg struct {
	add int
	get chan int // buffered to one, so the actor never blocks on it
}

// counter is owned by its actor's goroutine: only Handle touches n.
type counter struct{ n int }

func (c *counter) Handle(batch []counterMsg) {
	for _, m := range batch {
		c.n += m.add
		if m.get != nil {
			m.get <- c.n
		}
	}
}

// Stop runs in the actor's goroutine after the last message.
func (c *counter) Stop() error {
	fmt.Println("stopped at", c.n)
	return nil
}

// A counter owned by an actor: callers add to it by message and read it with
// a request that carries its own reply channel.
func Example() {
	ctx := context.Background()
	a := actor.Start[counterMsg](&counter{}, actor.Options{})

	for i := 1; i <= 4; i++ {
		if err := a.Send(ctx, counterMsg{add: i}); err != nil {
			fmt.Println(err)
		}
	}

	get := make(chan int, 1)
	if err := a.Send(ctx, counterMsg{get: get}); err != nil {
		fmt.Println(err)
	}
	n, err := actor.Await(ctx, get, a.Done())
	fmt.Println(n, err)

	_ = a.Send(ctx, counterMsg{add: 5}) // still handled: Close drains first
	fmt.Println(a.Close())

	err = a.Send(ctx, counterMsg{add: 1})
	fmt.Println(errors.Is(err, actor.ErrClosed))

	// Output:
	// 10 <nil>
	// stopped at 15
	// <nil>
	// true
}
