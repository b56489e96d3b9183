package main

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The engine decides every due proposal once and sends its notice once,
// however often the server is killed while deadlines fall due: the new
// status and the notice's queue entry are one transaction.
func TestCrashLoopDecidesOnce(t *testing.T) {
	t.Parallel()
	sk := startSink(t, nil)
	in := newInstance(t, "relay", sk.Addr())
	in.extra = "\n[consensus]\nmin_deadline = \"1s\"\ndefault_deadline = \"1h\"\nremind_before = \"0s\"\nschedule = \"@every 1s\"\n"
	in.writeConfig(in.smtpAddr)
	in.mustCLI("list", "create", "vote", "--from-rewrite", "never", "--lang", "en")
	members := []string{"a@m.example", "b@m.example", "c@n.example", "d@n.example"}
	in.mustCLI(append([]string{"member", "add", "vote"}, members...)...)

	// Proposals whose deadlines fall during the kills below.
	p := in.start()
	start := time.Now()
	accepted := 0
	for i := range 12 {
		deadline := start.Add(time.Duration(2000+i*400) * time.Millisecond).UTC().Format(time.RFC3339Nano)
		msg := message("a@m.example", "vote@lists.test", fmt.Sprintf("[PROPOSAL] Idea %d", i),
			fmt.Sprintf("<idea.%d@e2e.test>", i), "Let us do it.\nDeadline: "+deadline+"\n")
		if err := sendMail(in.smtpAddr, "a@m.example", []string{"vote@lists.test"}, msg, 5*time.Second); err != nil {
			t.Fatalf("proposal %d: %v", i, err)
		}
		accepted++
	}
	p.kill()
	kills := 1
	for time.Since(start) < 9*time.Second {
		p := in.start()
		time.Sleep(time.Duration(rand.IntN(600)) * time.Millisecond)
		p.kill()
		kills++
	}
	t.Logf("%d kills while %d deadlines fell due", kills, accepted)

	final := in.start()
	defer final.stop()
	adopted := regexp.MustCompile(`\[ADOPTED #(\d+)\]`)
	notices := func() map[string]map[string]bool { // number → Message-ID set
		out := map[string]map[string]bool{}
		for _, m := range sk.Messages() {
			if n := adopted.FindStringSubmatch(headerOf(m.Data, "Subject")); n != nil {
				if out[n[1]] == nil {
					out[n[1]] = map[string]bool{}
				}
				out[n[1]][headerOf(m.Data, "Message-Id")] = true
			}
		}
		return out
	}
	everyone := func() bool {
		got := map[string]map[string]bool{} // number → members reached
		for _, m := range sk.Messages() {
			if n := adopted.FindStringSubmatch(headerOf(m.Data, "Subject")); n != nil {
				if got[n[1]] == nil {
					got[n[1]] = map[string]bool{}
				}
				for _, r := range m.To {
					got[n[1]][strings.ToLower(r)] = true
				}
			}
		}
		for i := 1; i <= accepted; i++ {
			if len(got[fmt.Sprint(i)]) != len(members) {
				return false
			}
		}
		return true
	}
	if !waitFor(60*time.Second, everyone) {
		t.Fatalf("not every member got every adoption notice: %v", notices())
	}
	for n, ids := range notices() {
		if len(ids) != 1 {
			t.Errorf("proposal #%s was announced by %d different notices, want 1", n, len(ids))
		}
	}
	if len(notices()) != accepted {
		t.Errorf("%d proposals announced, want %d", len(notices()), accepted)
	}
}
