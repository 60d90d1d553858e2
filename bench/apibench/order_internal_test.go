package apibench

import "testing"

// TestBalancedCycle checks the order the benchmarks that compare variants
// run in: each variant n-1 times, and each ordered pair of different
// variants adjacent exactly once, the cycle's end joined to its start.
func TestBalancedCycle(t *testing.T) {
	for n := 2; n <= 6; n++ {
		cycle := balancedCycle(n)
		if len(cycle) != n*(n-1) {
			t.Fatalf("n=%d: cycle %v has %d runs, want %d", n, cycle, len(cycle), n*(n-1))
		}
		times := make(map[int]int)
		after := make(map[[2]int]int) // (before, after) -> count
		for i, v := range cycle {
			if v < 0 || v >= n {
				t.Fatalf("n=%d: cycle %v names variant %d", n, cycle, v)
			}
			times[v]++
			after[[2]int{cycle[(i+len(cycle)-1)%len(cycle)], v}]++
		}
		for v := range n {
			if times[v] != n-1 {
				t.Errorf("n=%d: variant %d runs %d times in %v, want %d", n, v, times[v], cycle, n-1)
			}
			for w := range n {
				want := 1
				if v == w {
					want = 0
				}
				if after[[2]int{v, w}] != want {
					t.Errorf("n=%d: %d directly before %d %d times in %v, want %d", n, v, w, after[[2]int{v, w}], cycle, want)
				}
			}
		}
	}
}
