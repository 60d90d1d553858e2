package store

// SetLenBudget sets how many heap nodes QueryLen visits before it gives up
// (lenBudget) and returns a function that restores it.
func SetLenBudget(n int) (restore func()) {
	was := lenBudget
	lenBudget = n
	return func() { lenBudget = was }
}

// TimersMeasure reports whether the owner trusts kv's expiry timer.
func TimersMeasure(kv *KV) bool { return kv.timersMeasure() }
