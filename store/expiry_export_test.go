package store

// SetLenBudget sets how many heap nodes QueryLen visits before it gives up
// (lenBudget) and returns a function that restores it.
func SetLenBudget(n int) (restore func()) {
	was := lenBudget
	lenBudget = n
	return func() { lenBudget = was }
}

// TrustAnyClock makes the owner trust its expiry timer whatever the KV's
// clock (see timersMeasure) and returns a function that restores it.
func TrustAnyClock() (restore func()) {
	trustAnyClock.Store(true)
	return func() { trustAnyClock.Store(false) }
}

// IsWallClock reports whether timersMeasure takes now for a WallClock.
func IsWallClock(now func() int64) bool {
	kv := KV{clock: now}
	return kv.timersMeasure()
}
