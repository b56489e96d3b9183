package listserv

import (
	"regexp"
	"testing"
	"time"
)

// Message-IDs of ours are unique and sort by the time they were written
// (the store's thread index then grows at its end).
func TestMessageIDsSortByTime(t *testing.T) {
	t.Parallel()
	form := regexp.MustCompile(`^<tacit\.[0-9a-f]{16}\.[0-9a-f]{16}@lists\.test>$`)
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	prev := ""
	seen := map[string]bool{}
	for i := range 1000 {
		id := newMessageID("lists.test", t0.Add(time.Duration(i/2)*time.Millisecond))
		if !form.MatchString(id) {
			t.Fatalf("Message-ID %q has not the form <tacit.TIME.RANDOM@host>", id)
		}
		if seen[id] {
			t.Fatalf("Message-ID %q given twice", id)
		}
		seen[id] = true
		if i%2 == 0 && id <= prev {
			t.Errorf("Message-ID %q written after %q sorts before it", id, prev)
		}
		prev = id
	}
	if id := newMessageID("", t0); !regexp.MustCompile(`@tacit\.invalid>$`).MatchString(id) {
		t.Errorf("Message-ID without host: %q", id)
	}
}
