package admin

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tacit/storage"
)

// `tacit meeting add` reads WHEN in the words of a deadline, in the
// server's timezone, and says back the day it understood; `meeting ls`
// shows it; `meeting rm` takes it away, and says so when there is
// nothing to take.
func TestMeetingAddLsRm(t *testing.T) {
	t.Parallel()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	s, err := storage.Open(filepath.Join(t.TempDir(), "tacit.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, paris)
	a := New(Options{Store: s, Domain: "lists.test", Language: "fr", Location: paris,
		Now: func() time.Time { return now }})
	exec := func(args ...string) (string, error) {
		var out strings.Builder
		err := a.Execute(context.Background(), args, &out)
		return out.String(), err
	}
	if _, err := exec("list", "create", "jardin"); err != nil {
		t.Fatal(err)
	}

	out, err := exec("meeting", "add", "jardin", "12/01/2027", "18h30", "--place", "Maison du libre")
	if err != nil {
		t.Fatal(err)
	}
	// The day in words, as the notices write it.
	if want := "réunion 1 de jardin@lists.test le mardi 12 janvier 2027 à 18 h 30, Maison du libre\n"; out != want {
		t.Errorf("meeting add said %q, want %q", out, want)
	}
	var en strings.Builder
	if err := a.ExecuteIn(context.Background(), "en", []string{"meeting", "add", "jardin", "13/01/2027", "9h"}, &en); err != nil ||
		en.String() != "meeting 2 of jardin@lists.test on Wed 2027-01-13 09:00 CET\n" {
		t.Errorf("meeting add in English said %q, %v", en.String(), err)
	}
	if out, err := exec("meeting", "ls", "jardin"); err != nil || !strings.Contains(out, "ORDRE DU JOUR") || !strings.Contains(out, "à envoyer") {
		t.Errorf("meeting ls: %q, %v", out, err)
	}
	if _, err := exec("meeting", "add", "jardin", "quand", "on", "pourra"); err == nil ||
		err.Error() != `meeting add : "quand on pourra" n'est pas une date comprise (par exemple 12/01/2027 18h30)` {
		t.Errorf("meeting add without a date: %v", err)
	}
	if _, err := exec("meeting", "add", "jardin", "01/12/2026", "18h"); err == nil || !strings.Contains(err.Error(), "est passé") {
		t.Errorf("meeting add in the past: %v", err)
	}
	if _, err := exec("meeting", "rm", "jardin", "2"); err != nil {
		t.Fatal(err)
	}
	var ms []storage.Meeting
	out, err = exec("meeting", "ls", "jardin", "--json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(out), &ms); err != nil {
		t.Fatalf("meeting ls --json: %v\n%s", err, out)
	}
	if len(ms) != 1 || !ms[0].At.Equal(time.Date(2027, 1, 12, 17, 30, 0, 0, time.UTC)) ||
		ms[0].Place != "Maison du libre" || ms[0].By != "cli" || ms[0].AgendaSent {
		t.Errorf("meeting ls: %+v", ms)
	}

	for _, bad := range [][]string{
		{"meeting", "add", "jardin", "quand on pourra"},
		{"meeting", "add", "jardin"},
		{"meeting", "add", "potager", "12/01/2027", "18h30"},
		{"meeting", "rm", "jardin", "un"},
	} {
		if out, err := exec(bad...); err == nil {
			t.Errorf("%s: accepted, said %q", strings.Join(bad, " "), out)
		}
	}

	if out, err := exec("meeting", "rm", "jardin", "1"); err != nil || out != "réunion 1 de jardin@lists.test annulée\n" {
		t.Errorf("meeting rm: %q, %v", out, err)
	}
	if out, err := exec("meeting", "ls", "jardin", "--json"); err != nil || strings.TrimSpace(out) != "[]" {
		t.Errorf("meeting ls after rm: %q, %v", out, err)
	}
	if _, err := exec("meeting", "rm", "jardin", "1"); err == nil || !strings.Contains(err.Error(), "aucune réunion 1 pour jardin@lists.test") {
		t.Errorf("meeting rm of a removed meeting: %v", err)
	}
}
