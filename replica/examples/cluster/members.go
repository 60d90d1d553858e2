package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"

	"github.com/hurrahdb/hurrah"
	"github.com/hurrahdb/hurrah/replica"
)

// The members' HTTP addresses are kept in the replicated store itself,
// under reserved+"http/"+id, so that every node, and a new leader, knows
// where to forward to. A join writes the joining node's; a bootstrapping
// node writes its own.

// member is a node as the API shows it.
type member struct {
	ID   string `json:"id"`
	Raft string `json:"raft"`
	HTTP string `json:"http,omitempty"` // empty if not known
}

// httpKey is the key holding node id's HTTP address.
func httpKey(id string) string { return reserved + "http/" + id }

// httpOf returns node id's HTTP address as this node's copy has it, or "".
func (a *api) httpOf(ctx context.Context, id string) string {
	b, err := a.node.GetBytes(ctx, httpKey(id), replica.Stale(0))
	if err != nil {
		return ""
	}
	return string(b)
}

// maxID is the longest node ID, or address, a join may give.
const maxID = 256

// joinRequest is the body of POST /join.
type joinRequest struct {
	ID   string `json:"id"`
	Addr string `json:"addr"`           // raft address
	HTTP string `json:"http,omitempty"` // API address, for forwarding
}

// join adds a node to the cluster and records its HTTP address.
func (a *api) join(w http.ResponseWriter, r *http.Request) {
	var req joinRequest
	body, err := decode(w, r, &req)
	if err == nil {
		err = req.check()
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	err = a.keepsHTTP(r.Context(), req)
	if err == nil {
		err = a.node.Join(r.Context(), req.ID, req.Addr)
	}
	if err == nil && req.HTTP != "" {
		err = a.node.SetBytes(r.Context(), httpKey(req.ID), []byte(req.HTTP))
	}
	a.answerWrite(w, r, body, err)
}

// errMemberHTTP marks a join that would change a member's recorded HTTP
// address: 409, and nothing is changed.
var errMemberHTTP = errors.New("a member's HTTP address changes only by removing it and joining it again")

// keepsHTTP refuses (errMemberHTTP) a join of a member, already in the
// cluster, with an HTTP address other than the one recorded for it. The
// others forward requests, bearer token and all, to the leader's recorded
// address: a join that could change it would let any token holder send
// them elsewhere. A member moved to another address is removed and
// joined again. (The read is linearizable, so a follower forwards the
// join; two joins of one new node racing may both pass it, and the
// later address wins.)
func (a *api) keepsHTTP(ctx context.Context, q joinRequest) error {
	if q.HTTP == "" {
		return nil
	}
	old, err := a.node.GetBytes(ctx, httpKey(q.ID))
	switch {
	case errors.Is(err, hurrah.ErrNotFound):
		return nil
	case err != nil || string(old) == q.HTTP:
		return err
	}
	members, err := a.node.Members(ctx)
	if err != nil {
		return err
	}
	for _, m := range members {
		if m.ID == q.ID {
			return fmt.Errorf("%w: %s is at %s", errMemberHTTP, q.ID, old)
		}
	}
	return nil // a removed member's address, left behind
}

// check refuses a join request that lacks a field or has a bad address.
func (q joinRequest) check() error {
	if q.ID == "" || q.Addr == "" {
		return fmt.Errorf("%w: join needs an id and an addr", errBadRequest)
	}
	if len(q.ID) > maxID || len(q.Addr) > maxID || len(q.HTTP) > maxID {
		return fmt.Errorf("%w: an id or address over %d bytes", errBadRequest, maxID)
	}
	for _, addr := range []string{q.Addr, q.HTTP} {
		if _, _, err := net.SplitHostPort(addr); addr != "" && err != nil {
			return fmt.Errorf("%w: %q is not host:port", errBadRequest, addr)
		}
	}
	return nil
}

// removeRequest is the body of POST /remove.
type removeRequest struct {
	ID string `json:"id"`
}

// remove removes a node from the cluster, and its HTTP address if it can.
func (a *api) remove(w http.ResponseWriter, r *http.Request) {
	var req removeRequest
	body, err := decode(w, r, &req)
	if err == nil && req.ID == "" {
		err = fmt.Errorf("%w: remove needs an id", errBadRequest)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	err = a.node.Remove(r.Context(), req.ID)
	if err == nil {
		// Best effort: a leader that removed itself has stepped down and
		// cannot, and the removal is done. A key left is harmless: only
		// members' addresses are looked up.
		_ = a.node.Delete(r.Context(), httpKey(req.ID))
	}
	a.answerWrite(w, r, body, err)
}

// decode reads the request's body, at most 64 KiB of JSON, into v, which
// must hold every field it names; it returns the body for forwarding.
func decode(w http.ResponseWriter, r *http.Request, v any) ([]byte, error) {
	var body json.RawMessage
	in := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	err := in.Decode(&body)
	if err == nil {
		if _, end := in.Token(); end != io.EOF {
			err = errors.New("the body must be one JSON value")
		}
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("%w: body is not JSON: %v", errBadRequest, err)
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return nil, fmt.Errorf("%w: %v", errBadRequest, err)
	}
	return body, nil
}

// statusBody is the answer of GET /status.
type statusBody struct {
	member
	State   string   `json:"state"`            // Leader, Follower, Candidate; Halted
	Leader  *member  `json:"leader,omitempty"` // nil while none is known
	Members []member `json:"members"`          // none once halted: the node has left raft
	Applied uint64   `json:"applied"`          // raft index of the last write applied here
	// Health is "ok" while the node serves, or why not (Node.Health):
	// "replica: damaged log entry..." says to wipe its -dir and restart it.
	Health string `json:"health"`
}

// status answers this node's view of the cluster, without asking the
// leader: it works on every node, even one cut off.
func (a *api) status(w http.ResponseWriter, r *http.Request) {
	servers, err := a.node.Members(r.Context())
	if err != nil && !halted(err) { // no members, health says why
		a.fail(w, r, err)
		return
	}
	s := statusBody{
		member:  member{ID: a.node.ID(), Raft: a.node.Addr(), HTTP: a.self},
		State:   a.node.Raft().State().String(),
		Members: []member{},
		Applied: a.node.AppliedIndex(),
		Health:  "ok",
	}
	if a.node.Left() { // raft's own State may not say so (see Left)
		s.State = "Shutdown"
	}
	if err := a.node.Health(); err != nil {
		s.Health = err.Error()
		if halted(err) {
			s.State = "Halted" // it leaves raft, whose state is then stale
		}
	}
	if id, addr := a.node.Leader(); id != "" {
		s.Leader = &member{ID: id, Raft: addr, HTTP: a.httpOf(r.Context(), id)}
	}
	for _, m := range servers {
		s.Members = append(s.Members, member{ID: m.ID, Raft: m.Addr, HTTP: a.httpOf(r.Context(), m.ID)})
	}
	writeJSON(w, http.StatusOK, s)
}

// halted reports whether err says the node has halted: a damaged log
// entry, or one of raft's stores failed.
func halted(err error) bool {
	return errors.Is(err, replica.ErrCorruptEntry) || errors.Is(err, replica.ErrStoreFailed)
}
