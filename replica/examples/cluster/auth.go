package main

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
)

// requireToken returns next behind a bearer token: a request without
// "Authorization: Bearer <token>" gets 401 and never reaches next. The
// header is compared in constant time (as a SHA-256, so that not even its
// length leaks). An empty token lets every request through.
func requireToken(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	want := sha256.Sum256([]byte("Bearer " + token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := sha256.Sum256([]byte(r.Header.Get("Authorization")))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="hurrah"`)
			writeJSON(w, http.StatusUnauthorized, errorBody{Error: errUnauthorized.Error()})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// errUnauthorized is the answer to a request without the right token.
var errUnauthorized = errors.New("missing or wrong bearer token")
