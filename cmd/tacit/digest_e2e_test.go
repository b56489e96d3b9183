package main

import (
	"bytes"
	"strings"
	"testing"

	gomessage "github.com/emersion/go-message"
)

// docs/membership.md, on the command line: a member set to digest by `tacit
// member set --mode digest` gets the proposal at once, the ordinary post
// only in the digest that `tacit digest send` sends, as multipart/digest.
func TestDigestFromTheCommandLine(t *testing.T) {
	t.Parallel()
	d := newDecRig(t, decSetup{deadline: "72h", min: "1h", remind: "0s"})
	out := d.in.mustCLI("member", "set", "jardin", decCarol.Address, "--mode", "digest")
	if !strings.Contains(out, "digest") {
		t.Errorf("member set --mode digest said %q", out)
	}
	d.propose(t, decAlice, "Repeindre le portail", "En vert.\n")
	post := d.send(t, decBob, replyList, "Qui a des pinceaux ?", "J'en ai deux.\n")
	isPost := func(m *gotMail) bool { return m.header("Message-Id") == post }
	if !waitFor(10e9, func() bool { return d.count(t, decDave.Address, isPost) == 1 }) {
		t.Fatalf("dave never got the post")
	}
	if n := d.count(t, decCarol.Address, isPost); n != 0 {
		t.Fatalf("carol, in digest mode, got the post %d time(s) at once", n)
	}
	d.in.mustCLI("digest", "send", "jardin")
	isDigest := func(m *gotMail) bool {
		return strings.HasPrefix(strings.ToLower(m.header("Content-Type")), "multipart/digest")
	}
	if !waitFor(10e9, func() bool { return d.count(t, decCarol.Address, isDigest) == 1 }) {
		t.Fatalf("no digest reached carol")
	}
	for _, m := range d.outbox(t, decCarol.Address) {
		if !isDigest(m) {
			continue
		}
		e, err := gomessage.Read(bytes.NewReader(m.raw))
		if err != nil {
			t.Fatal(err)
		}
		mr := e.MultipartReader()
		found := false
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			var b bytes.Buffer
			b.ReadFrom(p.Body)
			if strings.Contains(b.String(), post) && strings.Contains(b.String(), "J'en ai deux") {
				found = true
			}
		}
		if !found {
			t.Errorf("the digest does not carry the post %s", post)
		}
	}
	if n := d.count(t, decDave.Address, isDigest); n != 0 {
		t.Errorf("a normal member got the digest")
	}
}
