// Package logtest records what a program logs through log/slog, for
// tests that check a log line or its level.
package logtest

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Record is one logged line: its level, message and attributes written
// "key=value" one after the other.
type Record struct {
	Level   slog.Level
	Message string
	Attrs   string
}

func (r Record) String() string { return fmt.Sprintf("%s %s %s", r.Level, r.Message, r.Attrs) }

// Recorder is a slog.Handler that keeps every record, at every level.
type Recorder struct {
	mu      sync.Mutex
	records []Record
	more    chan struct{} // a token when records were added
	attrs   []slog.Attr
	parent  *Recorder
}

// New returns a logger that records into the returned Recorder.
func New() (*slog.Logger, *Recorder) {
	r := &Recorder{more: make(chan struct{}, 1)}
	return slog.New(r), r
}

func (r *Recorder) root() *Recorder {
	if r.parent != nil {
		return r.parent.root()
	}
	return r
}

// Enabled reports true: every level is kept.
func (r *Recorder) Enabled(context.Context, slog.Level) bool { return true }

// WithAttrs returns a handler that adds attrs to its records.
func (r *Recorder) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &Recorder{parent: r.root(), attrs: append(append([]slog.Attr(nil), r.attrs...), attrs...)}
}

// WithGroup returns r: groups are flattened.
func (r *Recorder) WithGroup(string) slog.Handler { return r }

// Handle keeps rec.
func (r *Recorder) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	add := func(a slog.Attr) bool {
		fmt.Fprintf(&b, "%s=%v ", a.Key, a.Value)
		return true
	}
	for _, a := range r.attrs {
		add(a)
	}
	rec.Attrs(add)
	root := r.root()
	root.mu.Lock()
	defer root.mu.Unlock()
	root.records = append(root.records, Record{Level: rec.Level, Message: rec.Message, Attrs: strings.TrimSpace(b.String())})
	select {
	case root.more <- struct{}{}:
	default:
	}
	return nil
}

// Records returns what was logged so far.
func (r *Recorder) Records() []Record {
	root := r.root()
	root.mu.Lock()
	defer root.mu.Unlock()
	return append([]Record(nil), root.records...)
}

// AtLeast returns the records at level or above.
func (r *Recorder) AtLeast(level slog.Level) []Record {
	var out []Record
	for _, rec := range r.Records() {
		if rec.Level >= level {
			out = append(out, rec)
		}
	}
	return out
}

// WaitFor waits up to timeout for a record that match accepts and
// returns it; ok is false when none came.
func (r *Recorder) WaitFor(timeout time.Duration, match func(Record) bool) (rec Record, ok bool) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		for _, rec := range r.Records() {
			if match(rec) {
				return rec, true
			}
		}
		select {
		case <-r.root().more:
		case <-timer.C:
			return Record{}, false
		}
	}
}
