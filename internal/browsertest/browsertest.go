// Package browsertest starts Debian's headless Chromium for the tests
// that look at tacit's pages as a person would (the register, the
// one-click positions, the printed report), and keeps what they see
// (screenshots, PDFs) in $TACIT_ARTIFACTS, which CI keeps. A test is
// skipped, with the reason, when Chromium is not installed.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Browser is one headless Chromium, bounded by a deadline: a hung
// browser fails the test instead of hanging it.
type Browser struct {
	t testing.TB
	// Ctx runs chromedp actions in this browser's tab.
	Ctx context.Context
}

// Start starts headless Chromium with a window of width×height (0×0:
// Chromium's default) for at most limit, or skips t when it is not
// installed. It stops with the test.
func Start(t testing.TB, width, height int, limit time.Duration) *Browser {
	t.Helper()
	exe := chromium(t)
	parent, stop := context.WithTimeout(context.Background(), limit)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.UserDataDir(t.TempDir()))
	if width > 0 && height > 0 {
		opts = append(opts, chromedp.WindowSize(width, height))
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(parent, opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc(); stop() })
	return &Browser{t: t, Ctx: ctx}
}

// chromium returns the path of Chromium, or skips t.
func chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "/usr/bin/chromium", "chromium-browser"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	t.Skip("chromium is not installed (apt-get install chromium): this browser test is skipped")
	return ""
}

// Run runs steps, failing the test with what when one fails.
func (b *Browser) Run(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.Ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// Text returns the text of the first element matching the CSS selector,
// its spaces (line breaks, no-break spaces) collapsed.
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.Ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.Join(strings.Fields(s), " ")
}

// Shot keeps a screenshot of the whole page as name among the artifacts.
func (b *Browser) Shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	Keep(b.t, name, png)
}

// Keep writes data as name among the artifacts and logs where.
func Keep(t testing.TB, name string, data []byte) {
	t.Helper()
	path := filepath.Join(Artifacts(t), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("kept %s (%d bytes)", path, len(data))
}

// Artifacts is where screenshots and PDFs go: $TACIT_ARTIFACTS (kept by
// CI) or the test's temporary directory.
func Artifacts(t testing.TB) string {
	t.Helper()
	if dir := os.Getenv("TACIT_ARTIFACTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return t.TempDir()
}
