package admin

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tacit/storage"
)

func newAdmin(t *testing.T) (*Admin, *storage.Store) {
	t.Helper()
	s, err := storage.Open(filepath.Join(t.TempDir(), "tacit.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return New(Options{Store: s, Domain: "lists.test", Language: "en"}), s
}

func run(t *testing.T, a *Admin, line string) (string, error) {
	t.Helper()
	var out strings.Builder
	err := a.Execute(context.Background(), strings.Fields(line), &out)
	return out.String(), err
}

func mustRun(t *testing.T, a *Admin, line string) string {
	t.Helper()
	out, err := run(t, a, line)
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	return out
}

func TestListCreateSetLs(t *testing.T) {
	t.Parallel()
	a, s := newAdmin(t)
	mustRun(t, a, "list create jardin --name Jardin --owner o1@example.org --owner o2@example.org --deadline 5d --public-register")
	l, err := s.List("jardin@lists.test")
	if err != nil {
		t.Fatal(err)
	}
	if l.Name != "Jardin" || len(l.Owners) != 2 || l.Deadline != 120*time.Hour || !l.PublicRegister || l.Lang != "en" || l.FromRewrite != "dmarc" {
		t.Fatalf("created %+v", l)
	}
	mustRun(t, a, "list set jardin@lists.test --lang fr --no-prefix --owner o3@example.org --deadline 1d12h")
	l, _ = s.List("jardin@lists.test")
	if l.Deadline != 36*time.Hour || l.Lang != "fr" || !l.NoPrefix || len(l.Owners) != 1 || l.Owners[0] != "o3@example.org" || l.Name != "Jardin" || !l.PublicRegister {
		t.Fatalf("after set %+v", l)
	}
	mustRun(t, a, "member add jardin alice@example.org bob@example.org")
	out := mustRun(t, a, "list ls --json")
	var got []struct {
		Address string `json:"address"`
		Members int    `json:"members"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != 1 || got[0].Address != "jardin@lists.test" || got[0].Members != 2 {
		t.Fatalf("list ls --json: %s (%v)", out, err)
	}
	if out := mustRun(t, a, "list ls"); !strings.Contains(out, "jardin@lists.test") || !strings.Contains(out, "MEMBERS") {
		t.Fatalf("list ls: %s", out)
	}
}

func TestBadCommandLinesAreClearErrors(t *testing.T) {
	t.Parallel()
	a, _ := newAdmin(t)
	mustRun(t, a, "list create jardin")
	for line, want := range map[string]string{
		"list create jardin":                       "already exists",
		"list create jardin-request":               "reserved",
		"list create bad!name":                     "only letters",
		"list create x --lang de":                  "--lang must be fr or en",
		"list create x --deadline soon":            "invalid duration",
		"list create x --deadline 0d":              "longer than 0s",
		"list create x --from-rewrite sometimes":   "--from-rewrite",
		"list create x --bogus":                    "flag provided but not defined",
		"list set nope --name x":                   "no list nope@lists.test",
		"member add nope@lists.test a@example.org": "no list",
		"member add jardin not-an-address":         "not a valid address",
		"member add jardin":                        "usage",
		"frobnicate now":                           "unknown command",
	} {
		_, err := run(t, a, line)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error containing %q", line, err, want)
		}
	}
}

func TestMembers(t *testing.T) {
	t.Parallel()
	a, _ := newAdmin(t)
	mustRun(t, a, "list create jardin")
	out := mustRun(t, a, "member add jardin Alice@Example.org bob@example.org alice@example.org")
	if !strings.Contains(out, "added 2") || !strings.Contains(out, "1 address was already a member") {
		t.Fatalf("member add: %s", out)
	}
	if out := mustRun(t, a, "member ls jardin"); out != "alice@example.org\nbob@example.org\n" {
		t.Fatalf("member ls: %q", out)
	}
	mustRun(t, a, "member rm jardin bob@example.org")
	var ms []storage.Member
	if err := json.Unmarshal([]byte(mustRun(t, a, "member ls jardin --json")), &ms); err != nil || len(ms) != 1 || ms[0].Address != "alice@example.org" {
		t.Fatalf("member ls --json: %+v %v", ms, err)
	}
	mustRun(t, a, "member rm jardin alice@example.org")
	if out := mustRun(t, a, "member ls --json jardin"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("empty member ls --json: %q", out)
	}
}

// Disabling a member by hand needs no bounce notice to the owners (they
// did it); enabling gives a fresh start.
func TestMemberSetEnabled(t *testing.T) {
	t.Parallel()
	a, store := newAdmin(t)
	mustRun(t, a, "list create jardin")
	mustRun(t, a, "member add jardin bob@example.org")
	mustRun(t, a, "member set jardin bob@example.org --enabled=false")
	m, err := store.Member("jardin@lists.test", "bob@example.org")
	if err != nil || !m.Disabled || !m.DisabledNoticeSent {
		t.Fatalf("disabled by hand: %+v, %v; want disabled, no notice due", m, err)
	}
	if _, err := store.UpdateMember("jardin@lists.test", "bob@example.org", func(m *storage.Member) error {
		m.BounceDays = []string{"2026-11-30"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	mustRun(t, a, "member set jardin bob@example.org --enabled=true")
	if m, _ := store.Member("jardin@lists.test", "bob@example.org"); m.Disabled || m.DisabledNoticeSent || len(m.BounceDays) != 0 {
		t.Errorf("enabled again: %+v, want a fresh start", m)
	}
}

func TestHeldLs(t *testing.T) {
	t.Parallel()
	a, s := newAdmin(t)
	mustRun(t, a, "list create jardin")
	id, _ := s.Receive(storage.Envelope{From: "m@example.com"}, []byte("Subject: spam\r\n\r\nx"))
	if err := s.Dispose(id, storage.Disposition{Held: []storage.Held{{List: "jardin@lists.test", MessageID: id,
		From: "m@example.com", Subject: "spam", Reason: "not a member", At: time.Now()}}}); err != nil {
		t.Fatal(err)
	}
	var held []storage.Held
	if err := json.Unmarshal([]byte(mustRun(t, a, "held ls jardin --json")), &held); err != nil || len(held) != 1 || held[0].From != "m@example.com" {
		t.Fatalf("held ls --json: %+v %v", held, err)
	}
	if out := mustRun(t, a, "held ls"); !strings.Contains(out, "not a member") {
		t.Fatalf("held ls: %s", out)
	}
	if _, err := run(t, a, "held ls other"); err == nil {
		t.Fatal("held ls of a missing list succeeded")
	}
}

func TestSocketRoundTrip(t *testing.T) {
	t.Parallel()
	a, s := newAdmin(t)
	dir, err := os.MkdirTemp("", "adm") // short path: unix sockets are limited to ~100 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "tacit.sock")
	if err := Call(context.Background(), sock, []string{"list", "ls"}, &strings.Builder{}); !errors.Is(err, ErrNoServer) {
		t.Fatalf("Call with no server: %v", err)
	}
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go a.Serve(ctx, l, slog.New(slog.DiscardHandler))
	var out strings.Builder
	if err := Call(ctx, sock, []string{"list", "create", "jardin"}, &out); err != nil {
		t.Fatal(err)
	}
	if _, err := s.List("jardin@lists.test"); err != nil || !strings.Contains(out.String(), "created") {
		t.Fatalf("created over the socket: %v %q", err, out.String())
	}
	err = Call(ctx, sock, []string{"list", "create", "jardin"}, &out)
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("error over the socket: %v", err)
	}
	var ue *UsageError
	if err := Call(ctx, sock, []string{"member", "add"}, &out); !errors.As(err, &ue) {
		t.Fatalf("usage error over the socket: %v", err)
	}
}

// A list's own authentication mode: set, the older flag mapped onto it,
// and a warning for "none".
func TestListAuthenticationFlag(t *testing.T) {
	t.Parallel()
	a, store := newAdmin(t)
	var out strings.Builder
	if err := a.Execute(context.Background(), []string{"list", "create", "jardin", "--authentication", "none"}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "warning") || !strings.Contains(out.String(), "trusts From") {
		t.Errorf("no warning for authentication none:\n%s", out.String())
	}
	l, _ := store.List("jardin@lists.test")
	if l.Authentication != storage.AuthNone {
		t.Errorf("authentication %q", l.Authentication)
	}
	out.Reset()
	if err := a.Execute(context.Background(), []string{"list", "set", "jardin", "--require-auth"}, &out); err != nil {
		t.Fatal(err)
	}
	if l, _ = store.List("jardin@lists.test"); l.Authentication != storage.AuthDKIM || strings.Contains(out.String(), "warning") {
		t.Errorf("--require-auth gave %q, output %q", l.Authentication, out.String())
	}
	if err := a.Execute(context.Background(), []string{"list", "set", "jardin", "--authentication", "trust-me"}, &out); err == nil {
		t.Errorf("an unknown mode is accepted")
	}
}

// A banned address is not subscribed by hand by mistake.
func TestMemberAddRefusesABannedAddress(t *testing.T) {
	t.Parallel()
	a, _ := newAdmin(t)
	if _, err := run(t, a, "list create jardin"); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, a, "member ban jardin troll@example.org"); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, a, "member add jardin troll@example.org"); err == nil || !strings.Contains(err.Error(), "unban") {
		t.Errorf("a banned address was added: %q %v", out, err)
	}
	if _, err := run(t, a, "member add jardin friend@example.org"); err != nil {
		t.Errorf("an ordinary address: %v", err)
	}
}
