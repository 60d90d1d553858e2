package vfs

import (
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math/rand/v2"
	"path"
	"slices"
	"sync"
	"time"
)

// Mem is an in-memory FS that remembers what has been made durable, so a
// test can ask what a power loss at any moment would leave behind.
//
// It keeps two views of everything. A file's contents are what writes left;
// its synced contents are what they were at its last successful Sync. A
// directory's entries are what creates, renames and removes left; its synced
// entries are what they were at its last SyncDir, and the changes since then
// are kept in order. Crash builds a new Mem from the synced views, and can
// add a random part of what was never synced, as a disk that had written
// some of its cache back before the power went would.
//
// Directories themselves are durable from the moment MkdirAll makes them:
// only their entries need a SyncDir. Locks are per Mem, so two handles on
// one Mem exclude each other as two processes would; a crashed image holds
// none. Paths are cleaned with path.Clean, so "a/b" and "a//b/" are one.
//
// Mem is safe for concurrent use.
type Mem struct {
	mu    sync.Mutex
	dirs  map[string]*memDir // cleaned path -> directory
	locks map[string]bool    // held locks, by cleaned path
}

var _ FS = (*Mem)(nil)

// memDir is one directory: its entries now, as last synced, and the changes
// made since that sync, oldest first.
type memDir struct {
	entries map[string]*memNode
	synced  map[string]*memNode
	changes []dirChange
}

// dirChange is one change to a directory's entries: name now points to
// node, or is gone if node is nil.
type dirChange struct {
	name string
	node *memNode
}

// memNode is a file: its contents, and its contents as of its last Sync.
type memNode struct {
	data   []byte
	synced []byte
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

// set records that name in d now points to n (nil removes it).
func (d *memDir) set(name string, n *memNode) {
	if n == nil {
		delete(d.entries, name)
	} else {
		d.entries[name] = n
	}
	d.changes = append(d.changes, dirChange{name, n})
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
	if _, ok := d.entries[base]; ok || m.dirs[path.Clean(name)] != nil {
		return nil, pathErr("create", name, fs.ErrExist)
	}
	n := &memNode{}
	d.set(base, n)
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

// WriteFile creates name holding data, durably, replacing any file of that
// name. It is for tests that set up a damaged directory by hand.
func (m *Mem) WriteFile(name string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, base, err := m.lookup("write", name)
	if err != nil {
		return err
	}
	n := &memNode{data: slices.Clone(data), synced: slices.Clone(data)}
	d.entries[base], d.synced[base] = n, n
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
	if _, ok := d.entries[base]; !ok {
		return pathErr("remove", name, fs.ErrNotExist)
	}
	d.set(base, nil)
	return nil
}

// Rename implements FS. Both names must be in directories that exist; the
// change is durable once both directories have been synced (one SyncDir
// when they are the same).
func (m *Mem) Rename(oldname, newname string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	od, obase, err := m.lookup("rename", oldname)
	if err != nil {
		return err
	}
	nd, nbase, err := m.lookup("rename", newname)
	if err != nil {
		return err
	}
	n, ok := od.entries[obase]
	if !ok {
		return pathErr("rename", oldname, fs.ErrNotExist)
	}
	od.set(obase, nil)
	nd.set(nbase, n)
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
	names := slices.Collect(maps.Keys(d.entries))
	for p := range m.dirs {
		if p != dir && path.Dir(p) == dir {
			names = append(names, path.Base(p))
		}
	}
	slices.Sort(names)
	return names, nil
}

// MkdirAll implements FS.
func (m *Mem) MkdirAll(dir string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for p := path.Clean(dir); m.dirs[p] == nil; p = path.Dir(p) {
		if d, ok := m.dirs[path.Dir(p)]; ok && d.entries[path.Base(p)] != nil {
			return pathErr("mkdir", p, fs.ErrExist) // a file is in the way
		}
		m.dirs[p] = newMemDir()
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
	if _, ok := d.entries[base]; !ok {
		d.set(base, &memNode{})
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
	// (from the start of those bytes); for each directory, the oldest few
	// of its changes since its last SyncDir, a random number of them. Nil
	// keeps only what was synced.
	Rand *rand.Rand
	// Tear, with Rand, also damages a random run of the unsynced bytes a
	// file keeps, to its end or not: they become zeros (the size reached
	// the disk but the data did not) or random garbage (a torn sector
	// write). The synced bytes are never damaged: fsync is taken to be
	// honest.
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
	c := &Mem{dirs: make(map[string]*memDir, len(m.dirs)), locks: map[string]bool{}}
	copied := map[*memNode]*memNode{}            // a node renamed but not synced may appear twice
	dirNames := slices.Sorted(maps.Keys(m.dirs)) // a fixed order, so a seed replays
	for _, p := range dirNames {
		d := m.dirs[p]
		entries := maps.Clone(d.synced)
		if opts.Rand != nil && len(d.changes) > 0 {
			for _, ch := range d.changes[:opts.Rand.IntN(len(d.changes)+1)] {
				if ch.node == nil {
					delete(entries, ch.name)
				} else {
					entries[ch.name] = ch.node
				}
			}
		}
		nd := newMemDir()
		for _, name := range slices.Sorted(maps.Keys(entries)) {
			n := entries[name]
			cn, ok := copied[n]
			if !ok {
				b := n.crashed(opts)
				cn = &memNode{data: b, synced: slices.Clone(b)}
				copied[n] = cn
			}
			nd.entries[name], nd.synced[name] = cn, cn
		}
		c.dirs[p] = nd
	}
	return c
}

// crashed returns the contents n would have after a power loss.
func (n *memNode) crashed(opts CrashOptions) []byte {
	r := opts.Rand
	synced := slices.Clone(n.synced)
	if r == nil {
		return synced
	}
	if len(n.data) < len(n.synced) || !slices.Equal(n.data[:len(n.synced)], n.synced) {
		// Cut or overwritten since its last Sync: either version may be
		// what the disk holds.
		if r.IntN(2) == 0 {
			return synced
		}
		return slices.Clone(n.data)
	}
	keep := r.IntN(len(n.data) - len(n.synced) + 1)
	b := slices.Clone(n.data[:len(n.synced)+keep])
	if opts.Tear && keep > 0 {
		// Damage runs to the end, or is a hole with good bytes after it
		// (a later sector reached the disk and an earlier one did not).
		from, to := len(n.synced)+r.IntN(keep), len(b)
		if r.IntN(2) == 0 {
			to = from + 1 + r.IntN(len(b)-from)
		}
		zeros := r.IntN(2) == 0
		for i := from; i < to; i++ {
			if zeros {
				b[i] = 0
			} else {
				b[i] = byte(r.Uint32())
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

func (f *memFile) Write(p []byte) (int, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return 0, pathErr("write", f.name, fs.ErrClosed)
	}
	f.n.data = append(f.n.data, p...)
	return len(p), nil
}

func (f *memFile) Sync() error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return pathErr("sync", f.name, fs.ErrClosed)
	}
	f.n.synced = slices.Clone(f.n.data)
	return nil
}

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
		f.n.data = f.n.data[:size:size] // a later append must not write over synced
	} else {
		f.n.data = append(f.n.data, make([]byte, int(size)-len(f.n.data))...)
	}
	return nil
}

func (f *memFile) Close() error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return pathErr("close", f.name, fs.ErrClosed)
	}
	f.closed = true
	return nil
}

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
