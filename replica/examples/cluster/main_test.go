package main

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(removingBuild{m})
}

// removingBuild runs the tests, then removes the example server's binary
// (about 15 MB) before goleak's check.
type removingBuild struct{ m *testing.M }

// Run runs the tests and removes the binary they built, if any.
func (r removingBuild) Run() int {
	defer removeBuild()
	return r.m.Run()
}
