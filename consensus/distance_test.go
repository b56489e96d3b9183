package consensus

import "testing"

func TestDistanceOSA(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{{"objcetion", "objection", 1}, {"objecton", "objection", 1}, {"", "abc", 3}, {"abc", "", 3}, {"kitten", "sitting", 3}, {"ca", "ac", 1}, {"objection", "objection", 0}, {"je m'opose", "je m'oppose", 1}} {
		if got := distance(c.a, c.b); got != c.d {
			t.Errorf("%q %q: %d want %d", c.a, c.b, got, c.d)
		}
	}
}
