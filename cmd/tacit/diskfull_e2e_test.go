package main

import (
	"errors"
	"fmt"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The store's filesystem fills up: SMTP answers 452 4.3.1 and accepts
// nothing it cannot keep, nothing accepted is lost, and service resumes by
// itself when space returns. The filesystem is a small tmpfs (root only).
func TestDiskFull(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small filesystem needs root (CI runs as root)")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", mnt).Run() })

	sk := startSink(t, nil)
	in := newInstance(t, "relay", sk.Addr())
	in.dir = filepath.Join(mnt, "data")
	if err := os.MkdirAll(in.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	in.cfgPath = filepath.Join(t.TempDir(), "tacit.toml")
	in.writeConfig(in.smtpAddr)
	in.mustCLI("list", "create", "full", "--from-rewrite", "never")
	in.mustCLI("member", "add", "full", "a@m.example", "b@m.example")
	p := in.start()
	defer p.stop()

	body := strings.Repeat("Remplissons le disque, ligne après ligne.\n", 2500) // ~100 KB
	accepted := map[string]bool{}
	var full error
	for i := 0; i < 200 && full == nil; i++ {
		mid := fmt.Sprintf("<full.%d@e2e.test>", i)
		err := sendMail(in.smtpAddr, "a@m.example", []string{"full@lists.test"},
			message("a@m.example", "full@lists.test", fmt.Sprintf("post %d", i), mid, body), 10*time.Second)
		if err == nil {
			accepted[mid] = true
			continue
		}
		full = err
	}
	var te *textproto.Error
	if !errors.As(full, &te) || te.Code != 452 || !strings.HasPrefix(te.Msg, "4.3.1") {
		t.Fatalf("when the disk is full: %v, want 452 4.3.1 (after %d posts)", full, len(accepted))
	}
	t.Logf("disk full after %d posts", len(accepted))

	// Space returns: the server takes mail again without a restart.
	if out, err := exec.Command("mount", "-o", "remount,size=64m", mnt).CombinedOutput(); err != nil {
		t.Fatalf("remount: %v %s", err, out)
	}
	ok := waitFor(30*time.Second, func() bool {
		mid := fmt.Sprintf("<after.%d@e2e.test>", time.Now().UnixNano())
		err := sendMail(in.smtpAddr, "a@m.example", []string{"full@lists.test"},
			message("a@m.example", "full@lists.test", "after", mid, "De la place !\n"), 10*time.Second)
		if err == nil {
			accepted[mid] = true
		}
		return err == nil
	})
	if !ok {
		t.Fatalf("the server did not take mail again once space returned; logs:\n%s", p.logs.String())
	}
	// Nothing accepted is lost.
	if !waitFor(60*time.Second, func() bool {
		c := copies(sk)
		for mid := range accepted {
			if c[mid]["a@m.example"] == 0 || c[mid]["b@m.example"] == 0 {
				return false
			}
		}
		return true
	}) {
		c := copies(sk)
		missing := 0
		for mid := range accepted {
			if c[mid]["a@m.example"] == 0 || c[mid]["b@m.example"] == 0 {
				missing++
			}
		}
		t.Fatalf("%d of %d accepted posts not delivered to every member; logs:\n%.3000s", missing, len(accepted), p.logs.String())
	}
}
