package vfs

import (
	"cmp"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math/rand/v2"
	"path"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Mem is an in-memory FS that remembers what has been made durable, so a
// test can ask what a power loss at any moment would leave behind.
//
// It keeps two views of everything. A file's contents are what writes left;
// its synced contents are what they were at its last successful Sync. A
// directory's entries (files and subdirectories) are what creates, renames,
// removes and MkdirAll left; its synced entries are what they were at its
// last SyncDir, and the changes since then are kept in order. Crash builds a
// new Mem from the synced views, and can add a random part of what was never
// synced, as a disk that had written some of its cache back before the power
// went would. A directory made by MkdirAll is an entry of its parent like a
// file: it survives a crash once its parent has been synced.
//
// Writes go to the end of a file, as with O_APPEND (the journal only
// appends). A rename is one change, and only within a directory. Locks are
// per Mem, so two handles on one Mem exclude each other as two processes
// would; a crashed image holds none. Paths are cleaned with path.Clean, so
// "a/b" and "a//b/" are one.
//
// Mem is safe for concurrent use.
type Mem struct {
	mu    sync.Mutex
	dirs  map[string]*memDir // guarded by mu: cleaned path -> directory
	locks map[string]bool    // guarded by mu: held locks, by cleaned path
}

var _ FS = (*Mem)(nil)

// memDir is one directory: its entries now, as last synced, and the changes
// made since that sync, oldest first. Every field is guarded by Mem.mu.
type memDir struct {
	entries map[string]*memNode
	synced  map[string]*memNode
	changes []dirChange
}

// dirChange is one change to a directory's entries: name now points to
// node, or is gone if node is nil; a rename also removes from, in the same
// change.
type dirChange struct {
	name string
	node *memNode
	from string
}

// memNode is a file, or stands for a subdirectory in its parent's entries
// (dir set, no data). Its fields are guarded by Mem.mu.
type memNode struct {
	dir    bool
	data   []byte // contents
	synced []byte // contents as of the last Sync
}

// NewMem returns an empty in-memory file system holding only the root
// directory "/" and the current directory ".".
func NewMem() *Mem {
	m := &Mem{dirs: map[string]*memDir{}, locks: map[string]bool{}}
	m.dirs["/"] = newMemDir()
	m.dirs["."] = newMemDir()
	return m
}

func newMemDir() *memDir {
	return &memDir{entries: map[string]*memNode{}, synced: map[string]*memNode{}}
}

// apply makes the change ch to entries.
func (ch dirChange) apply(entries map[string]*memNode) {
	if ch.from != "" {
		delete(entries, ch.from)
	}
	if ch.node == nil {
		delete(entries, ch.name)
	} else {
		entries[ch.name] = ch.node
	}
}

// change makes ch and records it, to be durable at the next SyncDir.
func (d *memDir) change(ch dirChange) {
	ch.apply(d.entries)
	d.changes = append(d.changes, ch)
}

func pathErr(op, name string, err error) error {
	return &fs.PathError{Op: op, Path: name, Err: err}
}

// lookup splits name into its directory and base name, and returns the
// directory. Call with m.mu held.
func (m *Mem) lookup(op, name string) (*memDir, string, error) {
	name = path.Clean(name)
	d, ok := m.dirs[path.Dir(name)]
	if !ok {
		return nil, "", pathErr(op, name, fs.ErrNotExist)
	}
	return d, path.Base(name), nil
}

// Create implements FS.
func (m *Mem) Create(name string) (File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, base, err := m.lookup("create", name)
	if err != nil {
		return nil, err
	}
	if _, ok := d.entries[base]; ok {
		return nil, pathErr("create", name, fs.ErrExist)
	}
	n := &memNode{}
	d.change(dirChange{name: base, node: n})
	return &memFile{m: m, n: n, name: name}, nil
}

// OpenAppend implements FS.
func (m *Mem) OpenAppend(name string) (File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.node("open", name)
	if err != nil {
		return nil, err
	}
	return &memFile{m: m, n: n, name: name}, nil
}

// node returns the file called name. Call with m.mu held.
func (m *Mem) node(op, name string) (*memNode, error) {
	d, base, err := m.lookup(op, name)
	if err != nil {
		return nil, err
	}
	n, ok := d.entries[base]
	if !ok {
		return nil, pathErr(op, name, fs.ErrNotExist)
	}
	if n.dir {
		return nil, pathErr(op, name, syscall.EISDIR)
	}
	return n, nil
}

// ReadFile implements FS.
func (m *Mem) ReadFile(name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.node("read", name)
	if err != nil {
		return nil, err
	}
	return slices.Clone(n.data), nil
}

// LoseUnsynced drops what was written to name since its last Sync, as Linux
// may after an fsync fails: it marks the dirty pages clean, and the page
// cache can then forget them. Tests call it to model such a failure.
func (m *Mem) LoseUnsynced(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.node("lose", name)
	if err != nil {
		return err
	}
	n.data = slices.Clone(n.synced)
	return nil
}

// Remove implements FS.
func (m *Mem) Remove(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, base, err := m.lookup("remove", name)
	if err != nil {
		return err
	}
	n, ok := d.entries[base]
	if !ok {
		return pathErr("remove", name, fs.ErrNotExist)
	}
	if n.dir {
		return pathErr("remove", name, syscall.EISDIR)
	}
	d.change(dirChange{name: base})
	return nil
}

// Rename implements FS for files within one directory (anything else fails
// with EXDEV or EISDIR). The rename is one change: a crash keeps it whole
// or not at all, and it is durable once the directory has been synced.
func (m *Mem) Rename(oldname, newname string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, obase, err := m.lookup("rename", oldname)
	if err != nil {
		return err
	}
	if path.Dir(path.Clean(oldname)) != path.Dir(path.Clean(newname)) {
		return pathErr("rename", newname, syscall.EXDEV)
	}
	nbase := path.Base(path.Clean(newname))
	n, ok := d.entries[obase]
	switch {
	case !ok:
		return pathErr("rename", oldname, fs.ErrNotExist)
	case n.dir || (d.entries[nbase] != nil && d.entries[nbase].dir):
		return pathErr("rename", oldname, syscall.EISDIR)
	case obase == nbase:
		return nil
	}
	d.change(dirChange{name: nbase, node: n, from: obase})
	return nil
}

// List implements FS.
func (m *Mem) List(dir string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	dir = path.Clean(dir)
	d, ok := m.dirs[dir]
	if !ok {
		return nil, pathErr("list", dir, fs.ErrNotExist)
	}
	return slices.Sorted(maps.Keys(d.entries)), nil
}

// MkdirAll implements FS. Each directory it makes is a new entry of its
// parent, durable once the parent is synced.
func (m *Mem) MkdirAll(dir string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var missing []string // from dir up to the first that exists
	p := path.Clean(dir)
	for ; m.dirs[p] == nil; p = path.Dir(p) {
		missing = append(missing, p)
	}
	if len(missing) > 0 {
		top := missing[len(missing)-1]
		if m.dirs[p].entries[path.Base(top)] != nil {
			return pathErr("mkdir", top, fs.ErrExist) // a file is in the way
		}
	}
	for _, p := range slices.Backward(missing) {
		m.dirs[p] = newMemDir()
		m.dirs[path.Dir(p)].change(dirChange{name: path.Base(p), node: &memNode{dir: true}})
	}
	return nil
}

// SyncDir implements FS.
func (m *Mem) SyncDir(dir string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.dirs[path.Clean(dir)]
	if !ok {
		return pathErr("sync", dir, fs.ErrNotExist)
	}
	d.synced = maps.Clone(d.entries)
	d.changes = nil
	return nil
}

// Lock implements FS. It creates name if it is missing.
func (m *Mem) Lock(name string) (io.Closer, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, base, err := m.lookup("lock", name)
	if err != nil {
		return nil, err
	}
	key := path.Clean(name)
	if m.locks[key] {
		return nil, fmt.Errorf("%w: %s", ErrLocked, name)
	}
	if n, ok := d.entries[base]; !ok {
		d.change(dirChange{name: base, node: &memNode{}})
	} else if n.dir {
		return nil, pathErr("lock", name, syscall.EISDIR)
	}
	m.locks[key] = true
	return &memLock{m: m, name: key}, nil
}

// Stat implements FS.
func (m *Mem) Stat(name string) (fs.FileInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.dirs[path.Clean(name)]; ok {
		return memInfo{name: path.Base(name), dir: true}, nil
	}
	n, err := m.node("stat", name)
	if err != nil {
		return nil, err
	}
	return memInfo{name: path.Base(name), size: int64(len(n.data))}, nil
}

// CrashOptions say what a simulated power loss keeps beyond the data that
// was synced.
type CrashOptions struct {
	// Rand, when set, keeps a random part of what was never synced: for
	// each file, a random number of the bytes written since its last Sync
	// (from the start of those bytes; a cut made since then is kept or
	// not); for each directory, the oldest few of its changes since its
	// last SyncDir, a random number of them. Nil keeps only what was
	// synced.
	Rand *rand.Rand
	// Tear, with Rand, also damages the unsynced bytes a file keeps, each
	// 512-byte sector of them on its own, with even odds: a damaged sector
	// holds zeros (the size reached the disk but the data did not) or
	// garbage (a torn write). The synced bytes are never damaged: fsync is
	// taken to be honest.
	Tear bool
}

// Crash returns what a power loss at this moment would leave on the disk: a
// new Mem holding, for each directory, its synced entries, and for each
// file, its synced contents, plus the part of what was never synced that
// opts asks for. m itself is unchanged and goes on working, so a test can
// take crash images at many points of one run.
func (m *Mem) Crash(opts CrashOptions) *Mem {
	m.mu.Lock()
	defer m.mu.Unlock()
	// Parents before children, in a fixed order, so a seed replays.
	dirNames := slices.SortedFunc(maps.Keys(m.dirs), func(a, b string) int {
		return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b))
	})
	kept := make(map[string]map[string]*memNode, len(dirNames))
	for _, p := range dirNames {
		d := m.dirs[p]
		entries := maps.Clone(d.synced)
		if opts.Rand != nil && len(d.changes) > 0 {
			for _, ch := range d.changes[:opts.Rand.IntN(len(d.changes)+1)] {
				ch.apply(entries)
			}
		}
		kept[p] = entries
	}
	c := &Mem{dirs: make(map[string]*memDir, len(m.dirs)), locks: map[string]bool{}}
	for _, p := range dirNames {
		if p != "/" && p != "." {
			parent := c.dirs[path.Dir(p)]
			if parent == nil || parent.entries[path.Base(p)] == nil || !parent.entries[path.Base(p)].dir {
				continue // its entry in its parent did not survive
			}
		}
		nd := newMemDir()
		for _, name := range slices.Sorted(maps.Keys(kept[p])) {
			n := kept[p][name]
			cn := &memNode{dir: true}
			if !n.dir {
				b := n.crashed(opts)
				cn = &memNode{data: b, synced: slices.Clone(b)}
			}
			nd.entries[name], nd.synced[name] = cn, cn
		}
		c.dirs[p] = nd
	}
	return c
}

// sectorSize is the unit in which a torn image damages unsynced bytes.
const sectorSize = 512

// crashed returns the contents n would have after a power loss.
func (n *memNode) crashed(opts CrashOptions) []byte {
	r := opts.Rand
	if r == nil {
		return slices.Clone(n.synced)
	}
	// The bytes both versions share are safe; past them, the disk holds
	// the synced version whole (a cut that never reached it), or part of
	// what was written since.
	common := 0
	for common < min(len(n.data), len(n.synced)) && n.data[common] == n.synced[common] {
		common++
	}
	if common < len(n.synced) && r.IntN(2) == 0 {
		return slices.Clone(n.synced)
	}
	b := slices.Clone(n.data[:common+r.IntN(len(n.data)-common+1)])
	if opts.Tear {
		// Each sector of the unsynced bytes kept reached the disk or
		// not, on its own: a later one may have and an earlier not.
		for s := common / sectorSize * sectorSize; s < len(b); s += sectorSize {
			if r.IntN(2) == 0 {
				continue
			}
			zeros := r.IntN(2) == 0
			for i := max(s, common); i < min(s+sectorSize, len(b)); i++ {
				if zeros {
					b[i] = 0
				} else {
					b[i] = byte(r.Uint32())
				}
			}
		}
	}
	return b
}

// memFile is an open file of a Mem. Writes go to the end of the file, as
// with O_APPEND (the journal only appends).
type memFile struct {
	m      *Mem
	n      *memNode
	name   string
	closed bool // guarded by m.mu
}

var _ File = (*memFile)(nil)

// Write implements File.
func (f *memFile) Write(p []byte) (int, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return 0, pathErr("write", f.name, fs.ErrClosed)
	}
	f.n.data = append(f.n.data, p...)
	return len(p), nil
}

// Sync implements File.
func (f *memFile) Sync() error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return pathErr("sync", f.name, fs.ErrClosed)
	}
	f.n.synced = slices.Clone(f.n.data)
	return nil
}

// Truncate implements File.
func (f *memFile) Truncate(size int64) error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return pathErr("truncate", f.name, fs.ErrClosed)
	}
	if size < 0 {
		return pathErr("truncate", f.name, fs.ErrInvalid)
	}
	if int(size) <= len(f.n.data) {
		f.n.data = f.n.data[:size]
	} else {
		f.n.data = append(f.n.data, make([]byte, int(size)-len(f.n.data))...)
	}
	return nil
}

// Close implements File.
func (f *memFile) Close() error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return pathErr("close", f.name, fs.ErrClosed)
	}
	f.closed = true
	return nil
}

// Name implements File.
func (f *memFile) Name() string { return f.name }

// memLock releases a Mem lock once.
type memLock struct {
	m    *Mem
	name string
	once sync.Once
}

func (l *memLock) Close() error {
	l.once.Do(func() {
		l.m.mu.Lock()
		delete(l.m.locks, l.name)
		l.m.mu.Unlock()
	})
	return nil
}

// memInfo is the fs.FileInfo of a Mem file or directory.
type memInfo struct {
	name string
	size int64
	dir  bool
}

func (i memInfo) Name() string       { return i.name }
func (i memInfo) Size() int64        { return i.size }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return i.dir }
func (i memInfo) Sys() any           { return nil }

func (i memInfo) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}
