package reliability

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any test leaves a goroutine behind: an owner or
// journal actor that was never stopped, or a caller stuck waiting for a
// reply. A re-executed child (see TestHelperProcess) runs through here too;
// it either exits cleanly or is killed.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
