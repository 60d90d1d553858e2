package wake

import (
	"sync"
	"sync/atomic"
	"testing"
)

func TestNotifyClosesWhatWaitReturned(t *testing.T) {
	var s Signal
	c := s.Wait()
	if c2 := s.Wait(); c2 != c {
		t.Fatal("two waits before a notify got different channels")
	}
	select {
	case <-c:
		t.Fatal("closed before Notify")
	default:
	}
	s.Notify()
	<-c // closed, or the test hangs
	if c3 := s.Wait(); c3 == c {
		t.Fatal("a wait after Notify got the closed channel")
	}
	s.Notify()
	s.Notify() // no waiter: nothing to close twice
}

// TestNoLostWakeUp has a writer advance a counter while readers wait for
// each value in turn: a reader that missed a wake-up would hang.
func TestNoLostWakeUp(t *testing.T) {
	var s Signal
	var v atomic.Uint64
	const n = 20000
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for want := uint64(1); want <= n; {
				c := s.Wait()
				if v.Load() >= want {
					want = v.Load() + 1
					continue
				}
				<-c
			}
		}()
	}
	for i := uint64(1); i <= n; i++ {
		v.Store(i)
		s.Notify()
	}
	wg.Wait()
}
