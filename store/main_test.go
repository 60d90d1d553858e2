package store_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any test leaves a goroutine behind: an engine
// that was never closed, a caller stuck in Update, or a fake sink's settler.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
