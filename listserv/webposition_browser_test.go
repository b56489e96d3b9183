package listserv

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tacit/internal/browsertest"
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
	h, _ := startWeb(t)
	h.mustSend("bob@example.org", []string{"jardin@lists.test"}, replyPost("bob@example.org", "r1@example.org",
		"prop1@example.org", "RE: [jardin] [PROPOSITION #1] Acheter une tondeuse", "D'ACCORD\r\n"))
	ack := readAll(t, waitMessages(t, h.sink, "bob@example.org", "soutien enregistré", 1)[0])
	link := linkIn(t, ack, webpos.Object)

	b := browsertest.Start(t, 360, 740, 30*time.Second)
	ctx, run, text, shot := b.Ctx, b.Run, b.Text, b.Shot
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
