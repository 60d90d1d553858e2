package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/hurrahdb/hurrah"
	"github.com/hurrahdb/hurrah/replica"
)

// reserved starts the keys this example keeps for itself (the members'
// HTTP addresses, see members.go): the key API refuses them.
const reserved = "_cluster/"

// key returns the request's key, or errBadRequest for a reserved one.
// (An empty or too long key is refused by the node, with hurrah's errors.)
func key(r *http.Request) (string, error) {
	k := r.PathValue("key")
	if strings.HasPrefix(k, reserved) {
		return "", fmt.Errorf("%w: keys starting with %q are reserved", errBadRequest, reserved)
	}
	return k, nil
}

// getKey answers the value of a key: linearizably from the leader (a
// follower forwards), or with ?stale=1 from this node's copy at once.
func (a *api) getKey(w http.ResponseWriter, r *http.Request) {
	k, opts, err := readArgs(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	v, err := a.node.GetBytes(r.Context(), k, opts...)
	if a.forward(w, r, nil, err) {
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(v) // the client may be gone: nothing to do
}

// readArgs returns a read's key and the options its ?stale= asks for.
func readArgs(r *http.Request) (string, []replica.ReadOption, error) {
	k, err := key(r)
	if err != nil {
		return "", nil, err
	}
	opts, err := staleArg(r)
	if err != nil {
		return "", nil, err
	}
	return k, opts, nil
}

// putKey sets a key to the request's body, with the deadline ?ttl= gives.
func (a *api) putKey(w http.ResponseWriter, r *http.Request) {
	k, opts, err := setArgs(r)
	var body []byte
	if err == nil {
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, hurrah.DefaultMaxValueSize))
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	err = a.node.SetBytes(r.Context(), k, body, opts...)
	a.answerWrite(w, r, body, err)
}

// setArgs returns a set's key and the deadline its ?ttl= asks for.
func setArgs(r *http.Request) (string, []replica.SetOption, error) {
	k, err := key(r)
	s := r.URL.Query().Get("ttl")
	if err != nil || s == "" {
		return k, nil, err
	}
	ttl, err := time.ParseDuration(s)
	if err != nil || ttl <= 0 {
		return "", nil, fmt.Errorf("%w: ttl %q is not a positive duration such as 30s", errBadRequest, s)
	}
	return k, []replica.SetOption{replica.TTL(ttl)}, nil
}

// deleteKey deletes a key; a missing one is no error.
func (a *api) deleteKey(w http.ResponseWriter, r *http.Request) {
	k, err := key(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.answerWrite(w, r, nil, a.node.Delete(r.Context(), k))
}

// answerWrite answers a write's err: 204 for none; a follower's refusal
// is forwarded to the leader with body.
func (a *api) answerWrite(w http.ResponseWriter, r *http.Request, body []byte, err error) {
	if a.forward(w, r, body, err) {
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
