package storage

import (
	"testing"
	"time"
)

func TestBansAndModerationStickToTheAddress(t *testing.T) {
	s := openTemp(t)
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	if err := s.CreateList(List{Address: "jardin@lists.test", Created: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddMembers("jardin@lists.test", now, "troll@example.org", "bob@example.org"); err != nil {
		t.Fatal(err)
	}
	ban := func(kind, p string) bool {
		t.Helper()
		changed, err := s.Sanction(Sanction{Kind: kind, Ban: Ban{List: "jardin@lists.test", Pattern: p, At: now, By: "cli"}})
		if err != nil {
			t.Fatal(err)
		}
		return changed
	}
	if !ban(SanctionBan, "Troll@Example.org") || ban(SanctionBan, "troll@example.org") {
		t.Error("a ban changes once")
	}
	if ok, _ := s.IsMember("jardin@lists.test", "troll@example.org"); ok {
		t.Error("a banned address stays a member")
	}
	ban(SanctionBan, "@spam.test")
	for addr, want := range map[string]bool{"troll@example.org": true, "x@spam.test": true, "bob@example.org": false, "": false} {
		if _, ok, err := s.Banned("jardin@lists.test", addr); err != nil || ok != want {
			t.Errorf("Banned(%q) = %v, %v; want %v", addr, ok, err, want)
		}
	}
	if bs, _ := s.Bans("jardin@lists.test"); len(bs) != 2 {
		t.Errorf("Bans = %v", bs)
	}
	if !ban(SanctionUnban, "troll@example.org") {
		t.Error("unban changes nothing")
	}
	ban(SanctionModerate, "bob@example.org")
	if _, err := s.RemoveMembers("jardin@lists.test", "bob@example.org"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddMembers("jardin@lists.test", now, "bob@example.org"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.IsModerated("jardin@lists.test", "BOB@example.org"); !ok {
		t.Error("moderation lost by leaving and coming back")
	}
	if _, err := s.Sanction(Sanction{Kind: SanctionBan, Ban: Ban{List: "none@lists.test", Pattern: "a@b.c"}}); err == nil {
		t.Error("a ban on no list")
	}
}
