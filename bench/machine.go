package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// machine describes the computer the run is on, one fact per line.
func machine(tmp string) []string {
	cpu := firstField("/proc/cpuinfo", "model name")
	mem := firstField("/proc/meminfo", "MemTotal")
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return []string{
		"CPU: " + orUnknown(cpu),
		fmt.Sprintf("cores: %d (GOMAXPROCS %d)", runtime.NumCPU(), runtime.GOMAXPROCS(0)),
		"memory: " + orUnknown(gib(mem)),
		"Go: " + runtime.Version(),
		fmt.Sprintf("OS: %s/%s, kernel %s", runtime.GOOS, runtime.GOARCH, orUnknown(strings.TrimSpace(string(kernel)))),
		fmt.Sprintf("temp dir: %s on %s", filepath.Dir(tmp), orUnknown(fsType(tmp))),
		"date: " + time.Now().UTC().Format("2006-01-02 15:04 UTC"),
	}
}

// gib turns /proc/meminfo's "N kB" into GiB.
func gib(kb string) string {
	var n float64
	if _, err := fmt.Sscanf(kb, "%g kB", &n); err != nil {
		return kb
	}
	return fmt.Sprintf("%.1f GiB", n/(1<<20))
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// firstField returns the value of the first "name: value" line of path.
func firstField(path, name string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.Join(strings.Fields(v), " ")
		}
	}
	return ""
}

// fsType returns the type of the file system that holds path, from the
// longest matching mount point in /proc/mounts.
func fsType(path string) string {
	b, err := os.ReadFile("/proc/mounts")
	if err != nil {
		return ""
	}
	best, typ := "", ""
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		mp := f[1]
		if (path == mp || strings.HasPrefix(path, strings.TrimSuffix(mp, "/")+"/")) && len(mp) > len(best) {
			best, typ = mp, f[2]
		}
	}
	if typ == "" {
		return ""
	}
	return fmt.Sprintf("%s (%s)", typ, best)
}
