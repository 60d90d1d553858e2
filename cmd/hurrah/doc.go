// Command hurrah looks inside, repairs, compacts, backs up, restores,
// exports and imports the directory of a hurrah store, offline: no
// program may have the store open.
//
// Usage:
//
//	hurrah check DIR [-json]                 report what the journal and snapshots hold, and what a repair would do
//	hurrah stats DIR [-json]                 count files, snapshots, segments, records, LSNs, live keys and bytes
//	hurrah keys DIR [PREFIX] [-json]         list the keys (that start with PREFIX), in byte order
//	hurrah get DIR KEY [-raw] [-json]        print the value of KEY
//	hurrah dump DIR [PREFIX] [-json]         list every key (that starts with PREFIX) and its value
//	hurrah repair DIR                        cut a corrupt journal back to its last sound record
//	hurrah prune DIR [-keep N]               remove all but the newest N snapshot files (default 1)
//	hurrah compact DIR [-keep N]             take a snapshot and remove the journal it covers
//	hurrah backup DIR FILE [-force] [-json]  write a backup of the store to FILE (- for standard output)
//	hurrah restore FILE DIR [-json]          make a new store in DIR from the backup FILE (- for standard input)
//	hurrah export DIR [FILE] [-prefix P] [-unsorted] [-force] [-json]
//	                                         write every key and value as JSON Lines (to standard output without FILE)
//	hurrah import DIR FILE [-create] [-check] [-batch N] [-skip N] [-json]
//	                                         set the keys and values of a JSON Lines FILE (- for standard input)
//	hurrah version [-json]                   print the version and the on-disk format versions it reads
//	hurrah help [COMMAND]                    list the commands, or say more about one
//
// Flags may come before or after the other arguments; after "--",
// everything is an argument (a key that starts with "-", say).
//
// # Which directories
//
// Every command but restore first makes sure DIR holds a hurrah store (a journal
// segment, a snapshot, a clean-close marker or a System's SYSTEM file), and
// refuses, creating nothing, a directory that holds none, is missing or is
// a file: "no hurrah store in DIR". import -create is the one exception
// besides restore: it makes a store in a DIR that is missing or empty. Every command takes the store's
// directory lock, so it fails while a program has the store open.
//
// A System's records are the program's own commands and State, which the
// command line cannot decode: check, stats, repair and prune work on a
// System's directory (judging its records by their checksums), and keys,
// get, dump, compact, backup, export and import refuse it (a System is
// backed up by its program, with System.Backup; restore restores such a
// backup).
//
// # Reading
//
// keys, get, dump, stats and compact open the store the way a program
// does (hurrah.Open, with automatic snapshots off), so they fail on a
// corrupt store, and, as Open does, cut a torn tail and set its bytes
// aside. check changes nothing.
//
// Values are shown by the rule of the library's export (hurrah.ValueJSON;
// the README's "Moving data in and out" has it whole): as JSON when their
// bytes are CBOR that JSON holds exactly (integers, finite float64s, always
// written with a '.' or an exponent, text, arrays, maps with text keys in
// their stored order, booleans, null): what Set writes for most Go types.
// Anything else (bytes written with SetBytes, the empty value, CBOR byte
// strings, tags such as a time.Time, float32s, maps with other keys) is
// shown as base64: in text output after "base64:" (a JSON value that is a
// string starts with a quote, so the two cannot be confused), in JSON
// output as "value_base64" in place of "value". The store does not record
// which values are raw bytes, so raw bytes that happen to be such CBOR are
// shown as JSON; get -raw prints the stored bytes as they are. Keys are
// printed as they are when they are printable UTF-8 (and start with no
// quote or space), and Go-quoted otherwise; in JSON, a key that is not
// valid UTF-8 is given as "key_base64" in place of "key".
//
// With -json, keys, dump and get print a JSON object per key, a line each
// (JSON Lines): for dump and get, the line export writes for the key, byte
// for byte ({"key":...,"value":...}); for keys, that line without its
// value. check, stats, backup, restore, export, import and version print
// one JSON object. The field names are documented on the types that hold
// them (checkReport, storeStats, backupReport, restoreReport,
// exportReport, importReport, versionInfo): fields may be added, none
// renamed.
//
// # check
//
// check reads the store the way opening it would, and prints:
//
//   - every snapshot file, with its LSN, its number of records and its size,
//     and whether it passes its checks: "sound", "corrupt" (with where and
//     why; opening the store passes over a corrupt snapshot for an older
//     one), or "does not restore" (its checksums pass but its records are
//     not an image of a store; opening the store fails on it);
//   - which snapshot opening the store restores, and whether the journal
//     reaches back to it: once a snapshot is saved, the journal segments it
//     covers are removed, so the journal may start at any LSN up to the
//     snapshot's plus one, and must;
//   - the number of journal segments and records, the last sequence number
//     (LSN) the store holds, any torn tail (the normal remains of a crash,
//     which opening the store cuts off by itself) and any corruption (damage
//     to data that had been made durable, which makes opening the store fail
//     with ErrCorrupt).
//
// When the store is corrupt, check also prints what repair would set aside
// and which records would be lost, or, if repair cannot help, why; the
// lines that describe the store as a repair would leave it end with
// "(after a repair)".
//
// # repair
//
// repair runs hurrah.Repair. For damage in the journal, it cuts the journal
// just before the first damaged record, keeps every byte it cuts in
// ".corrupt" files next to the segments, and prints what it did. Every
// record after the damage is lost to the store. A snapshot changes that in
// two cases: damage in segments the snapshot holds in full sets those
// segments aside and loses nothing; damage that would leave a journal
// ending before the snapshot sets every segment aside, and the store
// restarts from the snapshot.
//
// As for snapshots, repair deletes none. A snapshot that fails its checks
// is left where it is, since opening the store passes over it. One that
// passes them but does not restore makes opening the store fail; repair
// renames it to "<name>.corrupt" if an older snapshot, or the whole
// journal, holds what it held. If the journal does not reach back to the
// snapshot opening the store can restore (its beginning is missing, or the
// newest snapshot, after which the journal was shortened, is damaged), the
// records in between are nowhere in the directory: repair changes nothing
// and says so, and check reports the store as one that repair cannot fix.
// Restore it from a backup.
//
// # prune and compact
//
// prune removes all but the newest N snapshot files (N at least 1; by
// default hurrah.DefaultKeepSnapshots, what a store keeps), oldest first,
// and prints what it removed. It refuses, removing nothing, if none of the
// N it would keep passes its checks while older ones exist: the snapshot
// opening the store restores would be among those removed.
//
// compact opens the store, takes a snapshot (DB.Snapshot), which removes
// the journal segments it covers and all but the newest N snapshots
// (-keep, default as prune's), and prints the directory's size before and
// after.
//
// # backup and restore
//
// backup opens the key-value store in DIR as a program would and writes a
// backup of it (hurrah.BackupDir; the format is in journal/backup_format.go)
// to a temporary file "FILE.<random>.tmp" in FILE's directory, fsyncs it,
// renames it to FILE and fsyncs the directory: FILE is either as it was or
// the whole backup, never a part of one. It refuses a FILE that exists
// unless -force is given (then the rename replaces it, at once), and a
// FILE that is a directory even then. It prints the backup's LSN (the
// state it holds is the one after that write), its records and its bytes.
// With FILE "-", the backup goes to standard output, unsynced, and the
// report (or the -json object) to standard error; a terminal is refused.
// The backup file is created readable by its owner only (0600): it holds
// every value of the store.
//
// restore makes a new store in DIR from the backup FILE ("-": standard
// input, which may not be a terminal) with hurrah.Restore, and prints its LSN, records, bytes and kind
// (a key-value store, which hurrah.Open opens, or a System, which
// OpenSystem opens). DIR may be missing or an empty directory (one that
// holds no store); it refuses a DIR that holds a store, leaving it as it
// is. It checks every checksum before the store's snapshot is renamed into
// place: a damaged or truncated backup is refused, exit status 1, with the
// offset of the damage, and a backup of a newer format with exit status
// 2; in both cases nothing is created.
//
// # export and import
//
// export opens the key-value store in DIR as a program would and writes
// every key (that starts with -prefix) and its value with DB.Export, in
// the export format (JSON Lines; the README's "Moving data in and out"),
// sorted by key unless -unsorted (which holds no list of the keys). With
// no FILE, or "-", the lines go to standard output and the report to
// standard error; to a FILE they are written as backup writes a backup: a
// temporary file, fsynced, renamed to FILE, refused if FILE exists unless
// -force. The report gives the keys, how many values were written as JSON
// and as base64, and the bytes. `hurrah dump -json DIR` prints the same
// lines.
//
// import sets the keys and values of the lines of FILE ("-": standard
// input, which may not be a terminal) in the key-value store in DIR with
// DB.Import, in batches of -batch N lines (default 1000; also at 4 MiB of
// keys and values), each one atomic write and one journal record. DIR
// must hold a key-value store; with -create, DIR may instead be missing or
// an empty directory, and a new store is made there (never in a directory
// that holds other files). The store is opened with automatic snapshots,
// as a program opens it, so that a long import leaves a bounded journal,
// keeping as many snapshot files as DIR holds (at least one): an import
// prunes none that the store's program kept.
// Keys not in FILE are left as they are. -check reads and checks every
// line against the limits of a store opened with default options, which
// are those of the store in DIR as import opens it, and imports nothing:
// it opens no store in DIR and changes nothing there, and with -create
// it makes no directory.
//
// An import is resumable, not all-or-nothing. A line the library refuses
// ends it with exit status 1 and one sentence: the line's number, what is
// wrong with it, and how many lines (whole batches, counted from the start
// of FILE) are in the store, none after; once the line is fixed, the same
// command with -skip N, N that count, goes on where it stopped. The same
// holds for an error reading FILE and for an interrupt (exit status 2):
// the store is closed cleanly, so the batches it holds are on disk. -skip N
// passes over the first N lines of FILE unread.
//
// # Progress and interrupts
//
// While it opens, checks, repairs or compacts a store, a command shows a
// spinner with the time spent on standard error, if that is a terminal;
// otherwise it prints nothing there but errors. backup and restore show a
// bar over the records once the work is under way, export one over the
// keys, import one over the bytes of FILE (a spinner when its size is
// unknown: a pipe). An interrupt (Ctrl-C) ends a command at once: the
// store survives that as it survives a crash (a repair cut short is
// finished by running it again). backup, restore and export catch the
// first interrupt to remove what they wrote (the temporary file; the new
// store) and exit with status 2; import catches it to stop reading FILE,
// waits for the batch being written, closes the store and says which -skip
// resumes. A second interrupt ends any of them at once (an import reading
// a pipe that sends nothing notices the first only when a line or the end
// of the input comes).
//
// # Exit status
//
//   - 0: done (check: the store is sound; a torn tail counts as sound).
//   - 1: the store is corrupt: check and stats report it (stats counts only
//     the files); keys, get, dump, compact and backup cannot read it.
//     restore: the backup is damaged or truncated. import: a line of FILE is
//     refused (the store holds the whole batches before it; the message
//     gives the -skip that resumes).
//   - 2: a usage error, or any other failure: no store in DIR, the store is
//     open in a program, files of a newer format version, a repair that
//     cannot help, a prune that would remove the snapshot the store needs,
//     a backup FILE that exists (without -force), a restore into a
//     directory that holds a store, an interrupt of backup, restore, export
//     or import, an export FILE that exists (without -force), an import
//     into a directory with no store (without -create).
//   - 3: get: the store holds no such key.
package main
