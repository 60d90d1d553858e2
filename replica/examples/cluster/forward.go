package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/hurrahdb/hurrah/replica"
)

// forwardedHeader marks a request one node forwarded to another. A node
// does not forward such a request again: a cluster in the middle of an
// election answers 503 rather than pass a request round.
const forwardedHeader = "X-Hurrah-Forwarded"

// forward passes the request, with body, to the leader's API and its
// answer back, if err says this node is not the leader, the request was
// not forwarded already, and this node knows the leader's HTTP address.
// It reports whether it answered; if not, the caller answers err.
func (a *api) forward(w http.ResponseWriter, r *http.Request, body []byte, err error) bool {
	var nl *replica.NotLeaderError
	if !errors.As(err, &nl) || r.Header.Get(forwardedHeader) != "" || nl.LeaderID == "" {
		return false
	}
	to := a.httpOf(r.Context(), nl.LeaderID)
	if to == "" || to == a.self {
		return false
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, a.scheme+"://"+to+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		a.fail(w, r, err)
		return true
	}
	for _, h := range []string{"Authorization", "Content-Type"} {
		if v := r.Header.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	req.Header.Set(forwardedHeader, a.node.ID())
	resp, err := a.client.Do(req)
	if err != nil {
		a.fail(w, r, fmt.Errorf("%w: forward to the leader %s at %s: %v", replica.ErrNotLeader, nl.LeaderID, to, err))
		return true
	}
	defer resp.Body.Close()
	for _, h := range []string{"Content-Type", "Retry-After", "WWW-Authenticate"} {
		if v := resp.Header.Get(h); v != "" {
			w.Header().Set(h, v)
		}
	}
	for k := range resp.Trailer { // declared by the leader (GET /backup's index)
		w.Header().Add("Trailer", k)
	}
	w.WriteHeader(resp.StatusCode)
	if _, err := io.Copy(w, resp.Body); err != nil {
		if r.Context().Err() != nil {
			return true // the client is gone: nothing to do
		}
		panic(http.ErrAbortHandler) // the leader's answer broke off: break this one too
	}
	for k, vs := range resp.Trailer { // their values, once the body is read
		w.Header()[k] = vs
	}
	return true
}
