package listserv

import (
	"runtime/debug"
	"testing"
)

// readGC returns the process's soft memory limit and GC percent.
func readGC() (int64, int) {
	limit := debug.SetMemoryLimit(-1)
	percent := debug.SetGCPercent(-1)
	debug.SetGCPercent(percent)
	return limit, percent
}

// TuneRuntime sets what the environment leaves unset and puts the
// previous settings back. Not parallel: the settings are the process's.
func TestTuneRuntime(t *testing.T) {
	limit0, percent0 := readGC()
	env := map[string]string{}
	restore := TuneRuntime(func(k string) string { return env[k] })
	if limit, percent := readGC(); limit != MemoryLimit || percent != GCPercent {
		t.Errorf("tuned: limit %d, GC percent %d; want %d, %d", limit, percent, MemoryLimit, GCPercent)
	}
	restore()
	if limit, percent := readGC(); limit != limit0 || percent != percent0 {
		t.Errorf("restored: limit %d, GC percent %d; want %d, %d", limit, percent, limit0, percent0)
	}

	env = map[string]string{"GOMEMLIMIT": "1GiB", "GOGC": "50"}
	restore = TuneRuntime(func(k string) string { return env[k] })
	defer restore()
	if limit, percent := readGC(); limit != limit0 || percent != percent0 {
		t.Errorf("with GOMEMLIMIT and GOGC set: limit %d, GC percent %d; want the process's %d, %d",
			limit, percent, limit0, percent0)
	}
}
