package apibench

// balancedOrders returns orders in which to run n variants, one round
// after another: a Williams design. Each variant runs once in each
// position, and each variant directly follows each other one equally
// often within the rounds (once for even n over n rounds, twice for odd n
// over 2n). A benchmark that compares variants run one after another on
// the same process needs this: what a run leaves behind (the collector's
// debt for the garbage it made, a store's state) falls on the run after it.
// A rotation of one order (A B C, B C A, C A B) has every variant follow
// the same one every time: BenchmarkExpiryCost's earlier order had the
// get of keys with deadlines follow a run of sets in half its rounds, and
// plain gets never; with both stores plain, that order alone measured the
// second get 1.04 to 1.10 times the first.
func balancedOrders(n int) [][]int {
	first := make([]int, n) // 0, 1, n-1, 2, n-2, ...
	for i, lo, hi := 1, 1, n-1; i < n; i++ {
		if i%2 == 1 {
			first[i], lo = lo, lo+1
		} else {
			first[i], hi = hi, hi-1
		}
	}
	var rows [][]int
	for r := range n {
		row := make([]int, n)
		for i, v := range first {
			row[i] = (v + r) % n
		}
		rows = append(rows, row)
	}
	if n%2 == 1 {
		for r := range n {
			row := make([]int, n)
			for i, v := range rows[r] {
				row[n-1-i] = v
			}
			rows = append(rows, row)
		}
	}
	return rows
}
