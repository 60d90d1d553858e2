package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/hurrahdb/hurrah"
	"github.com/hurrahdb/hurrah/replica"
)

// api is a node's HTTP API: the handlers of main.go's table, behind the
// bearer token if one is set.
type api struct {
	node   *replica.Node
	self   string       // this node's HTTP address, as others reach it
	scheme string       // "http" or "https": the scheme of every node's API
	client *http.Client // forwards requests to the leader's API
}

// newAPI returns the API of node, reached at self over scheme, that
// forwards to the leader with client and asks for token, if not empty.
func newAPI(node *replica.Node, self, scheme, token string, client *http.Client) http.Handler {
	a := &api{node: node, self: self, scheme: scheme, client: client}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /key/{key...}", a.getKey)
	mux.HandleFunc("PUT /key/{key...}", a.putKey)
	mux.HandleFunc("DELETE /key/{key...}", a.deleteKey)
	mux.HandleFunc("POST /join", a.join)
	mux.HandleFunc("POST /remove", a.remove)
	mux.HandleFunc("GET /status", a.status)
	mux.HandleFunc("GET /backup", a.backup)
	mux.HandleFunc("POST /restore", a.restore)
	return requireToken(token, mux)
}

// errBadRequest marks a request this API cannot read: a bad body, ttl or
// key. Nothing is changed.
var errBadRequest = errors.New("bad request")

// errorBody is the JSON of an error answer; Leader is set when the node
// is not the leader and knows one.
type errorBody struct {
	Error  string  `json:"error"`
	Leader *member `json:"leader,omitempty"`
}

// fail answers err with its status and, for a *replica.NotLeaderError,
// the leader this node knows of.
func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	body := errorBody{Error: err.Error()}
	var nl *replica.NotLeaderError
	if errors.As(err, &nl) && nl.LeaderID != "" {
		body.Leader = &member{ID: nl.LeaderID, Raft: nl.LeaderAddr, HTTP: a.httpOf(r.Context(), nl.LeaderID)}
	}
	if errors.Is(err, replica.ErrNotLeader) || errors.Is(err, replica.ErrUncertain) {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, statusOf(err), body)
}

// statusOf maps an error to the HTTP status that main.go's doc lists.
func statusOf(err error) int {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, errBadRequest), errors.Is(err, errBadBackup), errors.Is(err, hurrah.ErrInvalidKey),
		errors.Is(err, hurrah.ErrTooLarge), errors.Is(err, hurrah.ErrInvalidExpiry):
		return http.StatusBadRequest
	case errors.Is(err, hurrah.ErrNotFound), errors.Is(err, replica.ErrUnknownMember):
		return http.StatusNotFound
	case errors.Is(err, replica.ErrDuplicateID), errors.Is(err, errMemberHTTP):
		return http.StatusConflict
	case errors.Is(err, replica.ErrNotLeader), errors.Is(err, replica.ErrUncertain),
		errors.Is(err, replica.ErrClosed), errors.Is(err, replica.ErrTooStale),
		errors.Is(err, replica.ErrCorruptEntry), errors.Is(err, replica.ErrStoreFailed),
		errors.Is(err, replica.ErrBusy),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// writeJSON answers v as JSON with status code.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v) // the client may be gone: nothing to do
}
