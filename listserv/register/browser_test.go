package register

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tacit/internal/browsertest"
)

// TestBrowserFollowsAProposalLink opens the register in headless
// Chromium at a phone's size, clicks a proposal's link, and reads what a
// person sees there.
func TestBrowserFollowsAProposalLink(t *testing.T) {
	t.Parallel()
	f := newFixture(t)

	b := browsertest.Start(t, 390, 844, 30*time.Second)
	ctx, run, text, shot := b.Ctx, b.Run, b.Text, b.Shot

	run("open the register", chromedp.EmulateViewport(390, 844), chromedp.Navigate(f.srv.URL+"/lists/jardin/decisions"))
	if h1 := text("h1"); h1 != "Registre des décisions de Jardin partagé" {
		t.Errorf("the register's heading reads %q", h1)
	}
	row := text("tbody tr:nth-child(4)")
	for _, want := range []string{"2", "Repeindre la cabane en rose", "bloquée", "12 novembre 2026 à 11 h"} {
		if !strings.Contains(row, want) {
			t.Errorf("the row of proposal #2 reads %q, without %q", row, want)
		}
	}
	// On a phone the page itself does not scroll sideways: only the
	// table's own region does.
	fits, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("document.documentElement.scrollWidth <= window.innerWidth"))
	if err != nil {
		t.Fatal(err)
	}
	if !fits {
		t.Error("the register is wider than a phone's screen")
	}
	shot("register-phone.png")
	run("widen the window", chromedp.EmulateViewport(1280, 800))
	shot("register-desktop.png")

	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`tbody a[href="/lists/jardin/decisions/2"]`)))
	if err != nil {
		t.Fatalf("click on proposal #2: %v", err)
	}
	if resp.Status != 200 {
		t.Fatalf("the proposal's page answered %d", resp.Status)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil || loc != f.srv.URL+"/lists/jardin/decisions/2" {
		t.Errorf("the link led to %q (%v)", loc, err)
	}
	if h1 := text("h1"); h1 != "Proposition n° 2 : Repeindre la cabane en rose" {
		t.Errorf("the proposal's heading reads %q", h1)
	}
	if status := text("div.where .status"); status != "bloquée" {
		t.Errorf("the status reads %q", status)
	}
	objections := text("section[aria-labelledby=objections]")
	if !strings.Contains(objections, "bob@e…") || !strings.Contains(objections, "trop cher pour cette année") {
		t.Errorf("the objections read %q", objections)
	}
	if timeline := text("ol.timeline"); !strings.Contains(timeline, "non comptée : arrivée après l'échéance") {
		t.Errorf("the timeline reads %q", timeline)
	}
	shot("proposal.png")

	// A proposal's page at a phone's size (360×740) and on a desktop,
	// open and blocked: the text within the first screen, every target
	// at least 44 px high, nothing wider than the screen.
	for _, c := range []struct{ n, name string }{{"4", "open"}, {"2", "blocked"}} {
		run("open proposal #"+c.n, chromedp.EmulateViewport(360, 740),
			chromedp.Navigate(f.srv.URL+"/lists/jardin/decisions/"+c.n))
		top, err := chromedp.Run(ctx, chromedp.Evaluate[float64](
			`document.querySelector("div.text p").getBoundingClientRect().top + window.scrollY`))
		if err != nil {
			t.Fatal(err)
		}
		if top > 740-24 {
			t.Errorf("proposal #%s on a phone: its text starts %.0f px down, below the first screen", c.n, top)
		}
		small, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("a, button, summary")]
			.filter(e => e.getBoundingClientRect().height < 44)
			.map(e => e.textContent.trim() + " " + e.getBoundingClientRect().height)`))
		if err != nil {
			t.Fatal(err)
		}
		if len(small) > 0 {
			t.Errorf("proposal #%s on a phone: targets under 44 px: %q", c.n, small)
		}
		fits, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("document.documentElement.scrollWidth <= window.innerWidth"))
		if err != nil {
			t.Fatal(err)
		}
		if !fits {
			t.Errorf("proposal #%s is wider than a phone's screen", c.n)
		}
		shot("proposal-" + c.name + "-phone.png")
		run("widen the window", chromedp.EmulateViewport(1280, 800))
		shot("proposal-" + c.name + "-desktop.png")
	}
}
