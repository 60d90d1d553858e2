package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// runLocal runs a local cluster of f.local nodes, each a process of this
// program on loopback ports: node 1 bootstraps, the others join it. Once
// all are members it prints curl lines to try (or, with -bench, measures
// the cluster: bench.go); when ctx ends (Ctrl-C) it stops every node with
// SIGTERM and waits for them. The nodes keep their
// raft stores under f.dir (a new temporary directory, removed at the end,
// if none is given: then nothing outlives the run).
func runLocal(ctx context.Context, f flags, out io.Writer) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	dir := f.dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "hurrah-cluster-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	exited := make(chan error, f.local) // each process's Wait: never blocks
	var procs []*exec.Cmd
	var waits sync.WaitGroup
	defer func() { stopAll(procs, &waits) }()
	for i := 1; i <= f.local; i++ {
		cmd := exec.Command(exe, localArgs(f, i, dir)...)
		cmd.Env = append(os.Environ(), "HURRAH_TOKEN="+f.token) // not in argv, where ps shows it
		cmd.Stdout, cmd.Stderr = out, os.Stderr
		if err := cmd.Start(); err != nil {
			return err
		}
		procs = append(procs, cmd)
		waits.Go(func() { exited <- exitError(i, cmd.Wait()) })
	}
	if err := waitMembers(ctx, f, exited); err != nil {
		return err
	}
	if f.bench > 0 {
		return runBench(ctx, f, out) // then every node is stopped
	}
	printTry(out, f, dir)
	select {
	case <-ctx.Done():
		return nil
	case err := <-exited:
		return err
	}
}

// exitError says that node i exited, and why.
func exitError(i int, err error) error {
	if err == nil {
		return fmt.Errorf("node n%d exited", i)
	}
	return fmt.Errorf("node n%d exited: %w", i, err)
}

// localArgs returns the flags of node i of a local cluster.
func localArgs(f flags, i int, dir string) []string {
	args := []string{
		"-id", "n" + strconv.Itoa(i), "-dir", filepath.Join(dir, "n"+strconv.Itoa(i)),
		"-http", localHTTP(f, i), "-raft", "127.0.0.1:" + strconv.Itoa(f.localPort+100+i),
		"-log", f.logLevel,
	}
	if f.heartbeat > 0 {
		args = append(args, "-heartbeat", f.heartbeat.String())
	}
	if i == 1 {
		args = append(args, "-bootstrap")
	} else {
		args = append(args, "-join", localHTTP(f, 1))
	}
	if f.tls() {
		args = append(args, "-tls-cert", f.tlsCert, "-tls-key", f.tlsKey, "-tls-ca", f.tlsCA)
	}
	return args
}

// localHTTP is the HTTP address of node i of a local cluster.
func localHTTP(f flags, i int) string { return "127.0.0.1:" + strconv.Itoa(f.localPort+i) }

// stopAll sends SIGTERM to every process still running and waits until
// each has exited (waits counts the goroutines waiting for them); one
// still running 20 s later gets SIGKILL.
func stopAll(procs []*exec.Cmd, waits *sync.WaitGroup) {
	for _, p := range procs {
		_ = p.Process.Signal(syscall.SIGTERM) // one that exited already: nothing to do
	}
	done := make(chan struct{})
	go func() { waits.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		for _, p := range procs {
			_ = p.Process.Kill()
		}
		<-done
	}
}

// waitMembers waits until node 1 lists f.local members, each with its HTTP
// address, or a node exits, or 60 s pass.
func waitMembers(ctx context.Context, f flags, exited <-chan error) error {
	tlsConf, err := loadTLS(f)
	if err != nil {
		return err
	}
	c := httpClient(tlsConf)
	defer c.CloseIdleConnections()
	deadline := time.After(60 * time.Second)
	for {
		code, body, err := call(ctx, c, f, http.MethodGet, localHTTP(f, 1), "/status", nil)
		var s statusBody
		if err == nil && code == http.StatusOK && json.Unmarshal(body, &s) == nil && complete(s, f.local) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-exited:
			return err
		case <-deadline:
			return errors.New("the cluster did not form within 60 s")
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// complete reports whether s lists n members, each with its HTTP address.
func complete(s statusBody, n int) bool {
	if len(s.Members) != n {
		return false
	}
	for _, m := range s.Members {
		if m.HTTP == "" {
			return false
		}
	}
	return true
}
