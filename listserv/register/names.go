package register

import (
	"strings"
	"unicode/utf8"
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
