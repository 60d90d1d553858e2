package apibench

// balancedCycle returns the order in which to run n variants, a cycle to
// repeat: each variant appears n-1 times, and each variant directly
// follows each other one exactly once, the last run of the cycle counting
// as the one before its first (an Euler circuit of the complete directed
// graph on n vertices). A benchmark that compares variants run one after
// another in one process needs this: what a run leaves behind (the
// collector's debt for the garbage it made, a store's state) falls on the
// run after it, so each variant must follow every other one equally often.
// A rotation of one order (A B C, B C A, C A B) has every variant follow
// the same one every time; rows of a Latin square balanced within each
// row still leave the joins between rows unbalanced. BenchmarkExpiryCost's
// earlier order had the get of keys with deadlines follow a run of sets in
// half its rounds and plain gets never: with both stores plain, that order
// alone measured the second get 1.04 to 1.10 times the first.
func balancedCycle(n int) []int {
	// Hierholzer's algorithm: out[v] holds the arcs from v not yet used.
	out := make([][]int, n)
	for v := range n {
		for w := n - 1; w >= 0; w-- {
			if w != v {
				out[v] = append(out[v], w)
			}
		}
	}
	var circuit []int
	stack := []int{0}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		if len(out[v]) == 0 {
			circuit = append(circuit, v)
			stack = stack[:len(stack)-1]
			continue
		}
		w := out[v][len(out[v])-1]
		out[v] = out[v][:len(out[v])-1]
		stack = append(stack, w)
	}
	// circuit is reversed and closed (its first vertex is its last):
	// reverse it and drop the repeat.
	cycle := make([]int, 0, len(circuit)-1)
	for i := len(circuit) - 1; i > 0; i-- {
		cycle = append(cycle, circuit[i])
	}
	return cycle
}
