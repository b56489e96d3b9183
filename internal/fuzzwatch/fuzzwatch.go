// Package fuzzwatch bounds the time a fuzz target may spend on one input,
// so that an input that hangs a parser is reported (and saved by the
// fuzzer) instead of stalling the run.
package fuzzwatch

import (
	"testing"
	"time"
)

// Limit is how long one input may take: far more than any real one.
const Limit = 5 * time.Second

// Check runs check on its own goroutine and fails t with what it returns
// ("" is a pass), or, when it has not returned within Limit, with the
// input that is still being read.
func Check(t testing.TB, input []byte, check func() string) {
	t.Helper()
	res := make(chan string, 1)
	go func() { res <- check() }()
	select {
	case msg := <-res:
		if msg != "" {
			t.Fatal(msg)
		}
	case <-time.After(Limit):
		t.Fatalf("%d bytes still being read after %v: %q", len(input), Limit, input)
	}
}
