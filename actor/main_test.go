package actor_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any test leaves a goroutine behind, such as an
// actor that was never closed or a caller stuck in Send or Await.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
