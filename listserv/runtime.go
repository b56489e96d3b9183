package listserv

import "runtime/debug"

// The garbage collector's settings for `tacit serve`. Go's defaults suit
// a program whose live heap is large; a list server's is small (a few
// MB) and its bursts allocate much more than that — a tick deciding
// 1,000 proposals writes about 20 MB of notices, records and pages — so
// with GOGC=100 it collects several times per burst.
const (
	// MemoryLimit is the soft memory limit: near it the collector works
	// harder, so that a burst (a 25 MB post stored, read and sent) does
	// not stack up copies; a small server's peak stays under 150 MB.
	MemoryLimit = 96 << 20
	// GCPercent lets the heap grow to three times what is live before a
	// collection, where Go's default is twice: half the collections
	// during a burst, within MemoryLimit all the same.
	GCPercent = 200
)

// TuneRuntime applies MemoryLimit and GCPercent to the process, except
// each one the operator set in the environment (GOMEMLIMIT, GOGC, read
// through getenv), and returns a function that puts back the previous
// settings.
func TuneRuntime(getenv func(string) string) (restore func()) {
	limit, percent := debug.SetMemoryLimit(-1), debug.SetGCPercent(-1)
	debug.SetGCPercent(percent) // SetGCPercent(-1) turned it off to read it
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(MemoryLimit)
	}
	if getenv("GOGC") == "" {
		debug.SetGCPercent(GCPercent)
	}
	return func() {
		debug.SetMemoryLimit(limit)
		debug.SetGCPercent(percent)
	}
}
