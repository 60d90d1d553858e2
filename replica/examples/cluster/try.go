package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// printTry prints curl lines that try a local cluster of f.local nodes.
func printTry(out io.Writer, f flags, dir string) {
	var opts []string
	if f.token != "" {
		opts = append(opts, `-H "Authorization: Bearer $HURRAH_TOKEN"`)
	}
	if f.tls() {
		dir := filepath.Dir(f.tlsCA) // where -gen-certs put the client's certificate too
		opts = append(opts, "--cacert "+f.tlsCA, "--cert "+filepath.Join(dir, "client.pem"), "--key "+filepath.Join(dir, "client-key.pem"))
	}
	c := strings.Join(append([]string{"curl"}, opts...), " ")
	u := func(i int, path string) string { return fmt.Sprintf("%s://%s%s", f.scheme(), localHTTP(f, i), path) }
	last := f.local
	fmt.Fprintf(out, "\nA cluster of %d nodes is up; raft's stores are under %s. Try:\n\n", f.local, dir)
	fmt.Fprintf(out, "  %s -X PUT --data-binary 'hello' %s\n", c, u(1, "/key/greeting"))
	fmt.Fprintf(out, "  %s %s            # any node: a follower forwards to the leader\n", c, u(last, "/key/greeting"))
	fmt.Fprintf(out, "  %s '%s'   # this node's copy, at once\n", c, u(last, "/key/greeting?stale=1"))
	fmt.Fprintf(out, "  %s -X PUT --data-binary 'soon gone' '%s'\n", c, u(last, "/key/brief?ttl=30s"))
	fmt.Fprintf(out, "  %s -X DELETE %s\n", c, u(last, "/key/greeting"))
	fmt.Fprintf(out, "  %s %s\n\n", c, u(1, "/status"))
	fmt.Fprintln(out, "Ctrl-C stops every node.")
}
