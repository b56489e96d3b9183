package bounce

import (
	"strings"
	"testing"
)

var testKey = Key([]byte("0123456789abcdef0123456789abcdef"))

func TestParseVERP(t *testing.T) {
	tests := []struct {
		local, list string
		want        VERP
		ok          bool
	}{
		{"jardin-bounces+alice=example.org+abcdefgh23", "jardin", VERP{Member: "alice@example.org", Tag: "abcdefgh23"}, true},
		{"JARDIN-Bounces+Alice=Example.ORG+ABCDEFGH23", "jardin", VERP{Member: "alice@example.org", Tag: "abcdefgh23"}, true},
		{"jardin-bounces+alice=example.org+probe-abcdefgh23", "jardin", VERP{Member: "alice@example.org", Tag: "abcdefgh23", Probe: true}, true},
		{"jardin-bounces+alice+garden=example.org+abcdefgh23", "jardin", VERP{Member: "alice+garden@example.org", Tag: "abcdefgh23"}, true},
		{"jardin-bounces+a=b=example.org+abcdefgh23", "jardin", VERP{Member: "a=b@example.org", Tag: "abcdefgh23"}, true},
		{"jardin-bounces+first.last=mail.example.co.uk+abcdefgh23", "jardin", VERP{Member: "first.last@mail.example.co.uk", Tag: "abcdefgh23"}, true},
		{"jardin-potager-bounces+bob=example.net+abcdefgh23", "jardin-potager", VERP{Member: "bob@example.net", Tag: "abcdefgh23"}, true},
		{"jardin-bounces+bob=xn--jardn-bsa.example+abcdefgh23", "jardin", VERP{Member: "bob@xn--jardn-bsa.example", Tag: "abcdefgh23"}, true},
		// Without a tag: decoded, for Valid to refuse.
		{"jardin-bounces+alice=example.org", "jardin", VERP{Member: "alice@example.org"}, true},
		{"jardin-bounces+alice+abcdefgh23=example.org", "jardin", VERP{Member: "alice+abcdefgh23@example.org"}, true},
		// Something after the last '+' that is not a tag.
		{"jardin-bounces+alice=example.org+abc", "jardin", VERP{}, false},
		{"jardin-bounces+alice=example.org+abcdefgh01", "jardin", VERP{}, false},
		{"jardin-bounces+alice=example.org+abcdefgh234", "jardin", VERP{}, false},
		{"jardin-bounces+alice=example.org+probe-", "jardin", VERP{}, false},
		{"jardin-bounces+alice=example.org+", "jardin", VERP{}, false},
		{"jardin-bounces", "jardin", VERP{}, false},
		{"jardin-bounces+", "jardin", VERP{}, false},
		{"jardin-bounces+abcdefgh23", "jardin", VERP{}, false},
		{"jardin-bounces+alice", "jardin", VERP{}, false},
		{"jardin-bounces+=example.org+abcdefgh23", "jardin", VERP{}, false},
		{"jardin-bounces+alice=+abcdefgh23", "jardin", VERP{}, false},
		{"jardin-bounces+alice=exa mple.org", "jardin", VERP{}, false},
		{"jardin-bounces+alice=example..org+abcdefgh23", "jardin", VERP{}, false},
		{"jardin-bounces+al@ice=example.org", "jardin", VERP{}, false},
		{"potager-bounces+alice=example.org+abcdefgh23", "jardin", VERP{}, false},
		{"jardin-request+alice=example.org+abcdefgh23", "jardin", VERP{}, false},
		{"jardin-bounces+alice=example.org+abcdefgh23", "", VERP{}, false},
		{"jardin", "jardin", VERP{}, false},
	}
	for _, tc := range tests {
		got, ok := ParseVERP(tc.local, tc.list)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseVERP(%q, %q) = %+v, %v; want %+v, %v", tc.local, tc.list, got, ok, tc.want, tc.ok)
		}
	}
}

func TestVERPAddress(t *testing.T) {
	tag := Tag(testKey, "jardin@lists.test", "alice@example.org")
	tests := []struct{ list, member, want string }{
		{"jardin@lists.test", "alice@example.org", "jardin-bounces+alice=example.org+" + tag + "@lists.test"},
		{"Jardin@Lists.Test", "<Alice@Example.ORG>", "jardin-bounces+alice=example.org+" + tag + "@lists.test"},
		{"jardin@lists.test", "a+b=c@example.org", "jardin-bounces+a+b=c=example.org+" + Tag(testKey, "jardin@lists.test", "a+b=c@example.org") + "@lists.test"},
		{"jardin@lists.test", "nodomain", "jardin-bounces@lists.test"},
		{"jardin@lists.test", `"john doe"@example.org`, "jardin-bounces@lists.test"},
		{"jardin@lists.test", "bob@", "jardin-bounces@lists.test"},
		{"not-an-address", "alice@example.org", ""},
	}
	for _, tc := range tests {
		if got := VERPAddress(tc.list, tc.member, testKey); got != tc.want {
			t.Errorf("VERPAddress(%q, %q) = %q, want %q", tc.list, tc.member, got, tc.want)
		}
	}
	if !validTag(tag) {
		t.Errorf("tag %q has not the form of a tag", tag)
	}
}

// A tag belongs to one list, one member and one key; a probe's tag to
// one probe, and is not the tag of list mail.
func TestTagsAreKeyed(t *testing.T) {
	const list, alice = "jardin@lists.test", "alice@example.org"
	base := Tag(testKey, list, alice)
	for name, other := range map[string]string{
		"other member": Tag(testKey, list, "bob@example.org"),
		"other list":   Tag(testKey, "potager@lists.test", alice),
		"other key":    Tag(Key([]byte("another secret")), list, alice),
		"probe":        ProbeTag(testKey, list, alice, "p1"),
	} {
		if other == base {
			t.Errorf("%s: same tag %q", name, base)
		}
	}
	if ProbeTag(testKey, list, alice, "p1") == ProbeTag(testKey, list, alice, "p2") {
		t.Errorf("two probes share a tag")
	}
	if string(Key([]byte("s"))) == "s" || len(Key([]byte("s"))) != 32 {
		t.Errorf("Key does not derive")
	}
	if Tag(testKey, "Jardin@Lists.Test", "<Alice@Example.ORG>") != base {
		t.Errorf("tags depend on case")
	}
}

func TestVERPValid(t *testing.T) {
	const list = "jardin@lists.test"
	parse := func(addr string) VERP {
		t.Helper()
		local, _, _ := strings.Cut(addr, "@")
		v, ok := ParseVERP(local, "jardin")
		if !ok {
			t.Fatalf("ParseVERP(%q) failed", local)
		}
		return v
	}
	mail := parse(VERPAddress(list, "alice@example.org", testKey))
	probe := parse(ProbeAddress(list, "alice@example.org", testKey, "p1"))
	if !mail.Valid(testKey, list) || mail.ValidProbe(testKey, list, "p1") {
		t.Errorf("list mail's address %+v: valid %v, as a probe's %v", mail, mail.Valid(testKey, list), mail.ValidProbe(testKey, list, "p1"))
	}
	if !probe.Probe || !probe.ValidProbe(testKey, list, "p1") || probe.Valid(testKey, list) {
		t.Errorf("probe's address %+v", probe)
	}
	if probe.ValidProbe(testKey, list, "p2") || probe.ValidProbe(testKey, list, "") {
		t.Errorf("a probe's tag is valid for another probe")
	}
	for name, v := range map[string]VERP{
		"untagged":      parse("jardin-bounces+alice=example.org@lists.test"),
		"wrong tag":     parse("jardin-bounces+alice=example.org+abcdefghij@lists.test"),
		"another's tag": {Member: "bob@example.org", Tag: mail.Tag},
		"other list":    {Member: "alice@example.org", Tag: Tag(testKey, "potager@lists.test", "alice@example.org")},
		"other key":     parse(VERPAddress(list, "alice@example.org", Key([]byte("x")))),
	} {
		if v.Valid(testKey, list) {
			t.Errorf("%s: %+v is valid", name, v)
		}
	}
}

func TestVERPRoundTrip(t *testing.T) {
	members := []string{
		"alice@example.org",
		"Alice.Martin@Example.ORG",
		"bob+lists@example.com",
		"carol=home@example.net",
		"d+e=f+g=h@sub.example.co.uk",
		"o'brien@example.ie",
		"x_y-z@xn--bcher-kva.example",
		"abc+abcdefgh23@example.org",
	}
	for _, m := range members {
		for _, addr := range []string{VERPAddress("jardin@lists.test", m, testKey), ProbeAddress("jardin@lists.test", m, testKey, "p1")} {
			local, domain, _ := strings.Cut(addr, "@")
			if domain != "lists.test" {
				t.Errorf("%q for %q: wrong domain", addr, m)
			}
			got, ok := ParseVERP(local, "jardin")
			if !ok || got.Member != strings.ToLower(m) {
				t.Errorf("ParseVERP(%q) = %+v, %v; want %q", local, got, ok, strings.ToLower(m))
			}
			if !got.Valid(testKey, "jardin@lists.test") && !got.ValidProbe(testKey, "jardin@lists.test", "p1") {
				t.Errorf("ParseVERP(%q) = %+v: tag not valid", local, got)
			}
		}
	}
}

func FuzzParseVERP(f *testing.F) {
	f.Add("jardin-bounces+alice=example.org+abcdefgh23")
	f.Add("jardin-bounces+a+b=c=example.org+probe-abcdefgh23")
	f.Fuzz(func(t *testing.T, local string) {
		v, ok := ParseVERP(local, "jardin")
		if !ok {
			return
		}
		if v.Tag != "" && !validTag(v.Tag) || v.Probe && v.Tag == "" {
			t.Errorf("ParseVERP(%q) = %+v", local, v)
		}
		if strings.Count(v.Member, "@") != 1 || v.Member != strings.ToLower(v.Member) {
			t.Errorf("member %q", v.Member)
		}
	})
}
