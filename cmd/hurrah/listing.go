package main

import (
	"bufio"
	"fmt"

	"github.com/hurrahdb/hurrah"
)

// list opens the store named by inv's first argument and writes every key
// that starts with prefix, in byte order, with its value if withValues:
// one line each, for a person or (-json) a JSON object per line. keys and
// dump share it.
func list(inv *invocation, prefix string, withValues bool) (int, error) {
	dir := inv.args[0]
	db, err := openKV(inv, dir, 0)
	if err != nil {
		return exitError, err
	}
	defer db.Close()
	v, err := db.View(inv.ctx)
	if err != nil {
		return exitError, explain(dir, err)
	}
	defer v.Close()
	w := bufio.NewWriter(inv.stdout)
	var line []byte
	for k, b := range v.Sorted(prefix) {
		if err := inv.ctx.Err(); err != nil {
			return exitError, err
		}
		switch {
		case inv.json:
			line = appendEntry(line[:0], k, b, withValues)
			_, err = w.Write(line)
		case withValues:
			_, err = fmt.Fprintf(w, "%s = %s\n", keyText(k), valueText(b))
		default:
			_, err = fmt.Fprintln(w, keyText(k))
		}
		if err != nil {
			return exitError, err
		}
	}
	if err := w.Flush(); err != nil {
		return exitError, err
	}
	return exitOK, closeAll(dir, v, db)
}

// closeAll closes the view and then the store, and explains the first
// error.
func closeAll(dir string, v *hurrah.View, db *hurrah.DB) error {
	err := v.Close()
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	return explain(dir, err)
}
