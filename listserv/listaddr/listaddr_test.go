package listaddr

import (
	"slices"
	"testing"
)

func TestAddresses(t *testing.T) {
	t.Parallel()
	if got := Of("jardin@lists.example", Request); got != "jardin-request@lists.example" {
		t.Errorf("Of request: %q", got)
	}
	if got := Of("jardin@lists.example", Post); got != "jardin@lists.example" {
		t.Errorf("Of post: %q", got)
	}
	for addr, want := range map[string][]Candidate{
		"jardin@l.x":                     {{"jardin@l.x", Post}},
		"jardin-request@l.x":             {{"jardin-request@l.x", Post}, {"jardin@l.x", Request}},
		"jardin-unsubscribe@l.x":         {{"jardin-unsubscribe@l.x", Post}, {"jardin@l.x", Unsubscribe}},
		"jardin-bounces+a=b.org+tag@l.x": {{"jardin-bounces+a=b.org+tag@l.x", Post}, {"jardin@l.x", Bounces}},
		"jardin-request+x@l.x":           {{"jardin-request+x@l.x", Post}},
		"not an address":                 nil,
		"-request@l.x":                   {{"-request@l.x", Post}},
	} {
		if got := Candidates(addr); !slices.Equal(got, want) {
			t.Errorf("%q: %v, want %v", addr, got, want)
		}
	}
	if sf, ok := Reserved("jardin-owner"); !ok || sf != "-owner" {
		t.Errorf("reserved: %q %v", sf, ok)
	}
}
