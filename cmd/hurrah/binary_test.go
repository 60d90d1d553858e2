package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
)

// bin is the hurrah binary the tests run, built once by testMain: the
// tests run the command as a user does, in a process of its own.
var bin string

// testMain builds the binary, runs the tests, and checks that they leaked
// no goroutine. The binary is built without the race detector even under
// -race: it would make every run several times slower, and the command's
// one concurrent piece, the spinner, runs only on a terminal.
func testMain(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "hurrah-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer os.RemoveAll(tmp)
	bin = filepath.Join(tmp, "hurrah")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building hurrah: %v\n%s", err, out)
		return 2
	}
	status := m.Run()
	if status == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return status
}

// runBinary runs the binary with args, standard input empty, and returns
// its exit status and output.
func runBinary(args ...string) (status int, stdout, stderr string) {
	cmd := exec.Command(bin, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		status = ee.ExitCode()
	case err != nil:
		panic(err) // the binary did not start: nothing to test
	}
	return status, o.String(), e.String()
}
