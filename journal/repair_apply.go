package journal

import (
	"fmt"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// applyRepair carries out plan, recording in rep what it has done.
func applyRepair(fsys vfs.FS, dir string, st logScan, plan repairPlan, rep *RepairReport) error {
	done := func(a SetAside) {
		rep.SetAside = append(rep.SetAside, a)
		rep.Bytes += a.Bytes
	}
	cut := plan.shape == cutAtDamage && plan.aside[0].Offset > 0
	for i, a := range plan.aside {
		if i == 0 && cut {
			if err := writeFile(fsys, a.SavedAs, st.data[a.Offset:]); err != nil {
				return err
			}
		} else if err := fsys.Rename(a.File, a.SavedAs); err != nil {
			return fmt.Errorf("journal: set %s aside: %w", a.File, err)
		}
		done(a)
	}
	if err := fsys.SyncDir(dir); err != nil {
		return fmt.Errorf("journal: sync directory %s: %w", dir, err)
	}
	if !cut {
		return nil
	}
	first := plan.aside[0]
	f, err := fsys.OpenAppend(first.File)
	if err != nil {
		return fmt.Errorf("journal: open %s: %w", first.File, err)
	}
	err = f.Truncate(first.Offset)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("journal: cut %s at %d: %w", first.File, first.Offset, err)
	}
	return nil
}
