package main

import "github.com/hurrahdb/hurrah"

// backupBar shows a backup or a restore on a terminal: a spinner until the
// library first reports how far it has got (a backup opens the store
// first), then a bar over the records. It keeps the last report, which the
// commands print.
type backupBar struct {
	inv     *invocation
	desc    string
	act     *activity
	started bool
	last    hurrah.BackupProgress
}

// newBackupBar starts showing desc.
func newBackupBar(inv *invocation, desc string) *backupBar {
	return &backupBar{inv: inv, desc: desc, act: inv.spinner(desc)}
}

// progress is the library's progress callback.
func (b *backupBar) progress(p hurrah.BackupProgress) {
	if !b.started {
		b.started = true
		b.act.done()
		total := int64(p.Total)
		if total == 0 {
			total = -1
		}
		b.act = b.inv.progress(b.desc, total)
	}
	b.act.add(int64(p.Records) - int64(b.last.Records))
	b.last = p
}

// done ends what it shows.
func (b *backupBar) done() { b.act.done() }
