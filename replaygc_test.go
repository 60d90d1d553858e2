package hurrah

import "testing"

// fakeGC stands in for debug.SetGCPercent, so that the test neither
// changes nor reads the process's setting (other tests run beside it).
type fakeGC struct{ percent, calls int }

func (f *fakeGC) set(p int) int {
	prev := f.percent
	f.percent, f.calls = p, f.calls+1
	return prev
}

func TestRelaxGCRaisesAndRestores(t *testing.T) {
	f := &fakeGC{percent: 100}
	g := gcRelaxer{set: f.set}
	done := g.relax(400)
	if f.percent != 400 {
		t.Fatalf("GOGC while relaxed = %d, want 400", f.percent)
	}
	done()
	done() // a second call changes nothing
	if f.percent != 100 {
		t.Fatalf("GOGC after = %d, want 100", f.percent)
	}
}

func TestRelaxGCOverlappingHoldsRestoreOnce(t *testing.T) {
	f := &fakeGC{percent: 100}
	g := gcRelaxer{set: f.set}
	a := g.relax(400)
	b := g.relax(400)
	a()
	if f.percent != 400 {
		t.Fatalf("GOGC with one hold left = %d, want 400", f.percent)
	}
	b()
	if f.percent != 100 {
		t.Fatalf("GOGC after both = %d, want 100", f.percent)
	}
}

func TestRelaxGCLeavesHigherOrOffAlone(t *testing.T) {
	for _, start := range []int{-1, 400, 800} {
		f := &fakeGC{percent: start}
		g := gcRelaxer{set: f.set}
		done := g.relax(400)
		if f.percent != start {
			t.Errorf("GOGC %d while relaxed = %d, want it unchanged", start, f.percent)
		}
		done()
		if f.percent != start {
			t.Errorf("GOGC %d after = %d, want it unchanged", start, f.percent)
		}
	}
}
