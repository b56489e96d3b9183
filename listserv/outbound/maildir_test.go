package outbound

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

func readBox(t *testing.T, dir, rcpt string) (news []string, tmps []os.DirEntry) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, rcpt, "new"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, rcpt, "new", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		news = append(news, string(b))
	}
	tmps, err = os.ReadDir(filepath.Join(dir, rcpt, "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	return news, tmps
}

func TestMaildirDeliver(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "spool") // created on demand
	md := NewMaildir(dir)
	defer md.Close()
	to := []string{"a@example.test", "B.c@example.test"}
	res := md.Deliver(context.Background(), testMessage(to...))
	wantAll(t, res, to, true, false)
	res = md.Deliver(context.Background(), testMessage(to[0]))
	wantAll(t, res, to[:1], true, false)

	want := string(testHeader) + string(testBody)
	for i, rcpt := range to {
		news, tmps := readBox(t, dir, rcpt)
		if len(news) != 2-i {
			t.Fatalf("%s: %d messages in new", rcpt, len(news))
		}
		for _, got := range news {
			if got != want {
				t.Errorf("%s: content %q", rcpt, got)
			}
		}
		if len(tmps) != 0 {
			t.Errorf("%s: %d files left in tmp", rcpt, len(tmps))
		}
		for _, sub := range []string{"", "tmp", "new", "cur"} {
			fi, err := os.Stat(filepath.Join(dir, rcpt, sub))
			if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
				t.Errorf("%s/%s: %v %v", rcpt, sub, fi.Mode(), err)
			}
		}
	}

	entries, _ := os.ReadDir(filepath.Join(dir, to[0], "new"))
	name := regexp.MustCompile(`^\d+\.\d+_\d+\.[^/:]+$`)
	for _, e := range entries {
		if !name.MatchString(e.Name()) {
			t.Errorf("file name %q is not <unixnano>.<pid>_<counter>.<host>", e.Name())
		}
		if fi, _ := e.Info(); fi.Mode().Perm() != 0o600 {
			t.Errorf("file mode %v", fi.Mode())
		}
	}
}

func TestMaildirRefusesEscapes(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := filepath.Join(root, "spool")
	md := NewMaildir(dir)
	bad := []string{"", ".", "..", "../x@example.test", ".hidden@example.test", "a/b@example.test",
		`a\b@example.test`, "a\x00b@example.test", "/etc/passwd", strings.Repeat("a", 300)}
	to := append([]string{"ok@example.test"}, bad...)
	res := md.Deliver(context.Background(), testMessage(to...))
	if res[0].Err != nil {
		t.Fatalf("good recipient: %v", res[0].Err)
	}
	for _, r := range res[1:] {
		if r.Err == nil || !r.Permanent {
			t.Errorf("%q: err=%v permanent=%v", r.Recipient, r.Err, r.Permanent)
		}
		if r.Err != nil && !strings.HasPrefix(r.Err.Error(), "outbound: maildir") {
			t.Errorf("error without context: %v", r.Err)
		}
	}
	// Nothing but the good mailbox was created, in or out of dir.
	for _, d := range []string{root, dir} {
		entries, err := os.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 {
			t.Errorf("%s holds %d entries", d, len(entries))
		}
	}
}

func TestMaildirWriteErrorIsTemporary(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// A file where the mailbox directory should be.
	if err := os.WriteFile(filepath.Join(dir, "x@example.test"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	md := NewMaildir(dir)
	res := md.Deliver(context.Background(), testMessage("x@example.test", "y@example.test"))
	if res[0].Err == nil || res[0].Permanent {
		t.Errorf("blocked mailbox: err=%v permanent=%v", res[0].Err, res[0].Permanent)
	}
	if res[1].Err != nil {
		t.Errorf("other mailbox: %v", res[1].Err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res = md.Deliver(ctx, testMessage("y@example.test"))
	if res[0].Err == nil || res[0].Permanent {
		t.Errorf("cancelled: err=%v permanent=%v", res[0].Err, res[0].Permanent)
	}
}

func TestMaildirConcurrent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	md := NewMaildir(dir)
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*2)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				to := []string{"shared@example.test", fmt.Sprintf("w%d@example.test", w)}
				m := testMessage(to...)
				m.Body = fmt.Appendf(nil, "worker %d message %d\r\n", w, i)
				for _, r := range md.Deliver(context.Background(), m) {
					if r.Err != nil {
						errs <- r.Err
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	news, tmps := readBox(t, dir, "shared@example.test")
	if len(news) != workers*each || len(tmps) != 0 {
		t.Fatalf("shared: %d in new, %d in tmp", len(news), len(tmps))
	}
	seen := make(map[string]bool)
	for _, n := range news {
		if !strings.HasPrefix(n, string(testHeader)) {
			t.Fatalf("bad copy %q", n)
		}
		seen[n] = true
	}
	if len(seen) != workers*each {
		t.Errorf("%d distinct messages", len(seen))
	}
	for w := range workers {
		news, _ := readBox(t, dir, fmt.Sprintf("w%d@example.test", w))
		if len(news) != each {
			t.Errorf("worker %d: %d messages", w, len(news))
		}
	}
}
