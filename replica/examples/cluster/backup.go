package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/hurrahdb/hurrah"
	"github.com/hurrahdb/hurrah/replica"
)

// indexTrailer is the trailer of GET /backup that gives the raft index
// the backup is at. It comes after the body: a body without it was cut
// short.
const indexTrailer = "X-Hurrah-Index"

// backup answers GET /backup: the cluster's state, linearizably from the
// leader (a follower forwards), or with ?stale=1 this node's at once, in
// hurrah's backup format, with the index in the X-Hurrah-Index trailer.
// If the backup fails once its first bytes are sent, the response is
// aborted (the client sees the stream broken, and no trailer).
func (a *api) backup(w http.ResponseWriter, r *http.Request) {
	opts, err := staleArg(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	bw := &backupWriter{w: w}
	index, err := a.node.Backup(r.Context(), bw, opts...)
	switch {
	case bw.started && err != nil:
		panic(http.ErrAbortHandler) // a 200 is sent: break the stream so it is not taken as whole
	case bw.started:
		w.Header().Set(indexTrailer, strconv.FormatUint(index, 10))
	case a.forward(w, r, nil, err):
	case err != nil:
		a.fail(w, r, err)
	}
}

// backupWriter sends a 200 with the backup's headers at its first write.
type backupWriter struct {
	w       http.ResponseWriter
	started bool
}

func (b *backupWriter) Write(p []byte) (int, error) {
	if !b.started {
		b.started = true
		b.w.Header().Set("Content-Type", "application/octet-stream")
		b.w.Header().Set("Trailer", indexTrailer) // declared, or a short body's Content-Length drops it
		b.w.WriteHeader(http.StatusOK)
	}
	return b.w.Write(p)
}

// restore answers POST /restore: the body, a backup as GET /backup gives
// it, replaces the state on every node. Leader only (a backup is not
// held in memory to forward): a follower answers 503 naming the leader.
// The members' HTTP addresses are this cluster's, not the backup's: the
// backup is loaded into memory, its reserved keys replaced with this
// cluster's, and restored from there (so a restore holds the backup's
// state in memory twice for a moment, beside the node's own). 400 for a
// damaged backup, or a System's; nothing changes then.
func (a *api) restore(w http.ResponseWriter, r *http.Request) {
	if !a.node.IsLeader() {
		id, addr := a.node.Leader()
		a.fail(w, r, &replica.NotLeaderError{LeaderID: id, LeaderAddr: addr})
		return
	}
	err := a.restoreFrom(r.Context(), r.Body)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// restoreFrom restores the backup body holds, with this cluster's member
// records in place of the backup's.
func (a *api) restoreFrom(ctx context.Context, body io.Reader) error {
	members, err := a.node.Members(ctx)
	if err != nil {
		return err
	}
	db, _, err := hurrah.OpenBackup(ctx, body, nil)
	if err != nil {
		return fmt.Errorf("%w: %w", errBadBackup, err)
	}
	defer db.Close()
	if _, err := db.DeletePrefix(ctx, reserved); err != nil {
		return err
	}
	for _, m := range members {
		if addr := a.httpOf(ctx, m.ID); addr != "" {
			if err := db.SetBytes(ctx, httpKey(m.ID), []byte(addr)); err != nil {
				return err
			}
		}
	}
	v, err := db.View(ctx)
	if err != nil {
		return err
	}
	defer v.Close()
	pr, pw := io.Pipe()
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		pw.CloseWithError(v.Backup(ctx, pw, 0))
	}()
	err = a.node.Restore(ctx, pr)
	pr.CloseWithError(errRestoreDone) // ends the writer if Restore stopped reading early
	<-copied                          // before the deferred closes of v and db
	return err
}

var (
	// errBadBackup marks a restore's body that is not a DB backup: 400.
	errBadBackup = errors.New("not a whole backup of a cluster's store")
	// errRestoreDone ends the copy of a restore that stopped reading.
	errRestoreDone = errors.New("restore done")
)

// staleArg returns the options a request's ?stale= asks for.
func staleArg(r *http.Request) ([]replica.ReadOption, error) {
	switch s := r.URL.Query().Get("stale"); {
	case s == "1" || s == "true":
		return []replica.ReadOption{replica.Stale(0)}, nil
	case s != "" && s != "0" && s != "false":
		return nil, fmt.Errorf("%w: stale must be 1 or 0", errBadRequest)
	}
	return nil, nil
}
