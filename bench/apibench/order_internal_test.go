package apibench

import "testing"

// TestBalancedOrders checks the design the benchmarks that compare
// variants run in: each variant once in each position of the rounds, and
// each ordered pair of variants adjacent equally often.
func TestBalancedOrders(t *testing.T) {
	for n := 2; n <= 6; n++ {
		rows := balancedOrders(n)
		if want := n + n%2*n; len(rows) != want {
			t.Fatalf("n=%d: %d rows, want %d", n, len(rows), want)
		}
		at := make(map[[2]int]int)    // (variant, position) -> count
		after := make(map[[2]int]int) // (before, after) -> count
		for _, row := range rows {
			seen := make(map[int]bool)
			for i, v := range row {
				if v < 0 || v >= n || seen[v] {
					t.Fatalf("n=%d: row %v is not an order of the variants", n, row)
				}
				seen[v] = true
				at[[2]int{v, i}]++
				if i > 0 {
					after[[2]int{row[i-1], v}]++
				}
			}
		}
		perPos, perPair := len(rows)/n, len(rows)/n
		for v := range n {
			for i := range n {
				if at[[2]int{v, i}] != perPos {
					t.Errorf("n=%d: variant %d in position %d %d times, want %d", n, v, i, at[[2]int{v, i}], perPos)
				}
				if v != i && after[[2]int{v, i}] != perPair {
					t.Errorf("n=%d: %d directly before %d %d times, want %d", n, v, i, after[[2]int{v, i}], perPair)
				}
			}
		}
	}
}
