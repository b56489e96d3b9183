package listserv

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tacit/listserv/webpos"
	"tacit/storage"
)

// TestBrowserTakesAPositionFromAnAcknowledgment follows what Bob does:
// he supported proposal #1 by mail, changes his mind, opens the "object"
// link of his acknowledgment on his phone, gives a reason and presses
// the one button. Headless Chromium, skipped when it is not installed;
// the screenshots are kept in $TACIT_ARTIFACTS.
func TestBrowserTakesAPositionFromAnAcknowledgment(t *testing.T) {
	t.Parallel()
	exe := browser(t)
	dir := t.TempDir()
	if d := os.Getenv("TACIT_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		dir = d
	}
	h, _ := startWeb(t)
	h.mustSend("bob@example.org", []string{"jardin@lists.test"}, replyPost("bob@example.org", "r1@example.org",
		"prop1@example.org", "RE: [jardin] [PROPOSITION #1] Acheter une tondeuse", "D'ACCORD\r\n"))
	ack := readAll(t, waitMessages(t, h.sink, "bob@example.org", "soutien enregistré", 1)[0])
	link := linkIn(t, ack, webpos.Object)

	parent, stop := context.WithTimeout(t.Context(), 30*time.Second)
	defer stop()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(360, 740))
	actx, cancelAlloc := chromedp.NewExecAllocator(parent, opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.Join(strings.Fields(s), " ")
	}
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", filepath.Join(dir, name))
	}
	// fitsAPhone checks the page at 360 px: no sideways scroll, every
	// target at least 44 px high, the button within the first screen.
	fitsAPhone := func(what string, button bool) {
		t.Helper()
		fits, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("document.documentElement.scrollWidth <= window.innerWidth"))
		if err != nil || !fits {
			t.Errorf("%s is wider than a phone's screen (%v)", what, err)
		}
		small, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("a, button, textarea")]
			.filter(e => e.getBoundingClientRect().height < 44).map(e => e.outerHTML)`))
		if err != nil || len(small) > 0 {
			t.Errorf("%s: targets under 44 px: %q (%v)", what, small, err)
		}
		if !button {
			return
		}
		bottom, err := chromedp.Run(ctx, chromedp.Evaluate[float64](
			`document.querySelector("button").getBoundingClientRect().bottom + window.scrollY`))
		if err != nil || bottom > 740 {
			t.Errorf("%s: the button ends %.0f px down, below the first screen (%v)", what, bottom, err)
		}
	}

	run("open the link", chromedp.EmulateViewport(360, 740), chromedp.Navigate(link))
	if h1 := text("h1"); h1 != "S'opposer à la proposition n° 1" {
		t.Errorf("the heading reads %q", h1)
	}
	if facts := text("dl.facts"); !strings.Contains(facts, "Acheter une tondeuse") || !strings.Contains(facts, "dans 3 jours") {
		t.Errorf("the facts read %q", facts)
	}
	fitsAPhone("the objection page", true)
	shot("position-object-phone.png")
	run("widen the window", chromedp.EmulateViewport(1280, 800))
	shot("position-object-desktop.png")
	if got := snapshot(t, h.store); !strings.Contains(got, `"supports":[{"member":"bob@example.org"`) ||
		strings.Contains(got, `"objections"`) {
		t.Fatalf("opening the page changed the store: %s", got)
	}

	run("give a reason", chromedp.EmulateViewport(360, 740),
		chromedp.SendKeys(chromedp.CSS("#reason"), "Trop cher pour cette année."))
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS("button")))
	if err != nil || resp.Status != 200 {
		t.Fatalf("press the button: %v %+v", err, resp)
	}
	if lead := text("p.lead"); lead != "C'est noté : votre objection à la proposition n° 1 est enregistrée." {
		t.Errorf("the confirmation reads %q", lead)
	}
	fitsAPhone("the confirmation", false)
	shot("position-done-phone.png")
	run("widen the window", chromedp.EmulateViewport(1280, 800))
	shot("position-done-desktop.png")

	p, err := h.store.Proposal(storage.ProposalRef{List: "jardin@lists.test", Number: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Objections) != 1 || p.Objections[0].Reason != "Trop cher pour cette année." {
		t.Errorf("objections %+v", p.Objections)
	}
	waitMessages(t, h.sink, "bob@example.org", "objection enregistrée", 1)
}

// browser returns the path of Chromium, or skips the test.
func browser(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "/usr/bin/chromium", "chromium-browser"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	t.Skip("chromium is not installed (apt-get install chromium): the browser test of one-click positions is skipped")
	return ""
}
