package hurrah_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/hurrahdb/hurrah"
)

// Options.Logger gets one line for each rare event: here, the torn tail
// Open cuts from a journal whose last write was cut short.
func ExampleOptions_logger() {
	ctx := context.Background()
	parent, err := os.MkdirTemp("", "hurrah-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(parent)
	dir := filepath.Join(parent, "db")

	db, err := hurrah.Open(dir, nil)
	if err != nil {
		panic(err)
	}
	_ = db.SetBytes(ctx, "a", []byte("1"))
	_ = db.Close()
	segs, _ := filepath.Glob(filepath.Join(dir, "*.wal"))
	f, _ := os.OpenFile(segs[0], os.O_APPEND|os.O_WRONLY, 0)
	_, _ = f.Write([]byte("half a frame")) // a write the power cut short
	_ = f.Close()

	// A text handler without the time and the paths, so the output is
	// the same at every run.
	log := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case slog.TimeKey, "dir", "segment", "saved_as", "offset":
				return slog.Attr{}
			}
			return a
		},
	}))
	db, err = hurrah.Open(dir, &hurrah.Options{Logger: log})
	if err != nil {
		panic(err)
	}
	_ = db.Close()
	// Output:
	// level=WARN msg="hurrah: torn tail cut at open" bytes=12
}
