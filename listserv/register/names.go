package register

import (
	"strings"
	"unicode/utf8"

	"tacit/consensus"
)

// publicName is how every output of the register (pages, CSV, JSON,
// iCalendar, Atom) shows a person: the local part of the address, "@",
// the first letter of the domain and "…" — "alice@example.org" becomes
// "alice@e…". Members recognise each other; harvesters of addresses get
// nothing they can write to. Two addresses with the same local part and
// domains starting with the same letter look alike: the full addresses
// stay in the list's own archive and in `tacit proposal show`.
//
// Only the addresses the register itself names are masked (authors,
// objectors, supporters, senders in a timeline); an address a member
// typed in a title, a text or a reason is their words and stays as
// written. The list's own address is public and stays whole.
func publicName(addr string) string {
	addr = strings.TrimSpace(addr)
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return addr // not an address: nothing to hide
	}
	local, domain := addr[:at], addr[at+1:]
	if domain == "" {
		return local
	}
	r, _ := utf8.DecodeRuneInString(domain)
	return local + "@" + string(r) + "…"
}

// maxName is the longest display name shown, in characters; a longer one
// is cut with "…".
const maxName = 80

// displayName returns a display name fit for a public page: spaces
// collapsed, control and bidirectional formatting characters dropped, cut at maxName characters; ""
// when there is none, or when it holds an "@" — many clients put the
// address itself in the name, and a name must not carry what publicName
// hides.
func displayName(name string) string {
	name = strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		switch {
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return ' '
		case r == 0x200e || r == 0x200f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
			return -1 // bidirectional controls could make a name read as another
		}
		return r
	}, name)), " ")
	name = strings.Trim(name, `"'`)
	if name == "" || strings.ContainsAny(name, "@＠") {
		return ""
	}
	if utf8.RuneCountInString(name) > maxName {
		name = string([]rune(name)[:maxName-1]) + "…"
	}
	return name
}

// person is how the register names a member whose display name may be
// known: the name first, then the address as publicName shows it —
// "Alice Martin (alice@e…)" — or only "alice@e…" without a name.
func person(name, addr string) string {
	shown := publicName(addr)
	if name = displayName(name); name != "" {
		if shown == "" {
			return name
		}
		return name + " (" + shown + ")"
	}
	return shown
}

// people maps the addresses of a proposal's author, objectors and
// supporters to their display names, for the timeline, whose events
// carry only addresses.
func people(p consensus.Proposal) map[string]string {
	m := map[string]string{}
	add := func(addr, name string) {
		if name != "" {
			m[strings.ToLower(strings.TrimSpace(addr))] = name
		}
	}
	add(p.Author, p.AuthorName)
	for _, o := range p.Objections {
		add(o.Member, o.Name)
	}
	for _, s := range p.Supports {
		add(s.Member, s.Name)
	}
	return m
}

// who names the sender of a timeline event by the names of people.
func who(names map[string]string, addr string) string {
	return person(names[strings.ToLower(strings.TrimSpace(addr))], addr)
}
