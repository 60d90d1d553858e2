package fuzzkit

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the seed corpora under testdata/fuzz")

// Seed is one input of a fuzz target: a file name for the corpus and the
// target's arguments, in order.
type Seed struct {
	Name string
	Args []any
}

// seedPrefix starts the name of every corpus file WriteCorpus writes;
// other files (inputs the fuzzer found and someone committed) are left
// alone.
const seedPrefix = "seed-"

// MaxCorpusBytes bounds the committed corpora of a package together.
const MaxCorpusBytes = 1 << 20

// Marshal encodes args in the "go test fuzz v1" corpus file format, as
// the go command writes it, for the argument types the targets use.
func Marshal(args ...any) []byte {
	var b bytes.Buffer
	b.WriteString("go test fuzz v1\n")
	for _, a := range args {
		switch v := a.(type) {
		case []byte:
			fmt.Fprintf(&b, "[]byte(%q)\n", v)
		case byte:
			fmt.Fprintf(&b, "byte(%q)\n", v)
		case uint32, uint64:
			fmt.Fprintf(&b, "%T(%v)\n", v, v)
		default:
			panic(fmt.Sprintf("fuzzkit.Marshal: unsupported type %T", a))
		}
	}
	return b.Bytes()
}

// Unmarshal decodes a corpus file written by Marshal (or by the go
// command, for the same argument types).
func Unmarshal(data []byte) ([]any, error) {
	lines := strings.Split(string(data), "\n")
	if len(lines) == 0 || strings.TrimSpace(lines[0]) != "go test fuzz v1" {
		return nil, fmt.Errorf("not a go test fuzz v1 file")
	}
	var args []any
	for _, line := range lines[1:] {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		typ, rest, ok := strings.Cut(line, "(")
		if !ok || !strings.HasSuffix(rest, ")") {
			return nil, fmt.Errorf("malformed line %q", line)
		}
		a, err := parseArg(typ, strings.TrimSuffix(rest, ")"))
		if err != nil {
			return nil, fmt.Errorf("line %q: %w", line, err)
		}
		args = append(args, a)
	}
	return args, nil
}

// parseArg parses the literal lit of one argument of type typ.
func parseArg(typ, lit string) (any, error) {
	switch typ {
	case "[]byte":
		s, err := strconv.Unquote(lit)
		if err != nil {
			return nil, err
		}
		return []byte(s), nil
	case "byte", "uint8":
		if strings.HasPrefix(lit, "'") {
			s, err := strconv.Unquote(lit)
			if err != nil || len(s) > 1 && len([]rune(s)) != 1 {
				return nil, fmt.Errorf("bad byte")
			}
			r := []rune(s)[0]
			if r > math.MaxUint8 {
				return nil, fmt.Errorf("byte out of range")
			}
			return byte(r), nil
		}
		v, err := strconv.ParseUint(lit, 0, 8)
		return byte(v), err
	case "uint32":
		v, err := strconv.ParseUint(lit, 0, 32)
		return uint32(v), err
	case "uint64":
		return strconv.ParseUint(lit, 0, 64)
	default:
		return nil, fmt.Errorf("unsupported type %s", typ)
	}
}

// WriteCorpus rewrites, when the test runs with -update-corpus, the seed
// corpora of a package's fuzz targets under testdata/fuzz/<Target> from
// their seed lists, and the inputs of fixed bugs under
// testdata/bugs/<Target>. Without the flag the test is skipped. A package
// calls it from its TestWriteCorpus:
//
//	go test ./journal ./store -run TestWriteCorpus -update-corpus
func WriteCorpus(t *testing.T, corpora map[string]func() []Seed, bugs map[string][]Seed) {
	if !*updateCorpus {
		t.Skip("run with -update-corpus to rewrite testdata/fuzz")
	}
	for target, seeds := range corpora {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		old, err := filepath.Glob(filepath.Join(dir, seedPrefix+"*"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range old {
			if err := os.Remove(f); err != nil {
				t.Fatal(err)
			}
		}
		writeSeeds(t, dir, seedPrefix, seeds())
	}
	for target, seeds := range bugs {
		dir := filepath.Join("testdata", "bugs", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		writeSeeds(t, dir, "", seeds)
	}
}

// writeSeeds writes each seed to dir under prefix and its name.
func writeSeeds(t *testing.T, dir, prefix string, seeds []Seed) {
	for _, s := range seeds {
		if err := os.WriteFile(filepath.Join(dir, prefix+s.Name), Marshal(s.Args...), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// CheckCorpus checks that every target in corpora has its committed seed
// corpus under testdata/fuzz, that each file parses and has the target's
// number of arguments, that the corpus matches the seed list in count, and
// that the corpora stay under MaxCorpusBytes. (Plain go test replays the
// files through the fuzz targets themselves.)
func CheckCorpus(t *testing.T, corpora map[string]func() []Seed) {
	t.Helper()
	var total int64
	for target, seeds := range corpora {
		dir := filepath.Join("testdata", "fuzz", target)
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatalf("%s: %v (run go test -run TestWriteCorpus -update-corpus)", target, err)
		}
		n := 0
		for _, e := range entries {
			info, err := e.Info()
			if err != nil {
				t.Fatal(err)
			}
			total += info.Size()
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			args, err := Unmarshal(data)
			if err != nil {
				t.Errorf("%s/%s: %v", target, e.Name(), err)
			}
			if want := len(seeds()[0].Args); len(args) != want {
				t.Errorf("%s/%s: %d arguments, want %d", target, e.Name(), len(args), want)
			}
			if strings.HasPrefix(e.Name(), seedPrefix) {
				n++
			}
		}
		if want := len(seeds()); n != want {
			t.Errorf("%s: %d seed files, the seed list has %d (run go test -run TestWriteCorpus -update-corpus)", target, n, want)
		}
	}
	if total > MaxCorpusBytes {
		t.Errorf("the corpora take %d bytes, more than %d", total, MaxCorpusBytes)
	}
}

// ReadBug reads the committed input name of target from testdata/bugs.
func ReadBug(t *testing.T, target, name string) []any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "bugs", target, name))
	if err != nil {
		t.Fatal(err)
	}
	args, err := Unmarshal(data)
	if err != nil {
		t.Fatal(err)
	}
	return args
}
