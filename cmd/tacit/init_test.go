package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tacit/config"
)

// tacit init in English: the files a user then installs, with the modes
// and contents they rely on, and a second run that replaces nothing.
func TestInitFiles(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "etc-tacit") // created by init
	var out strings.Builder
	args := []string{"init", "--domain", "Lists.Example.ORG", "--dir", dir, "--lang", "en", "--selector", "s2026"}
	if err := run(args, &out, &strings.Builder{}); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "dkim", "s2026.private")
	for path, mode := range map[string]os.FileMode{
		filepath.Join(dir, "tacit.toml"):    0o640,
		filepath.Join(dir, "tacit.service"): 0o644,
		key:                                 0o600,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatalf("init did not write %s: %v", path, err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s has mode %o, want %o", path, fi.Mode().Perm(), mode)
		}
	}
	cfg, err := config.Load(filepath.Join(dir, "tacit.toml"))
	if err != nil {
		t.Fatalf("the written tacit.toml does not load: %v", err)
	}
	if cfg.Domain != "lists.example.org" || cfg.DKIM.Selector != "s2026" || cfg.DKIM.PrivateKey != key ||
		cfg.Delivery.Mode != "relay" || cfg.HTTP.BaseURL != "https://lists.example.org" || cfg.DataDir != "/var/lib/tacit" {
		t.Errorf("configuration written: %+v", cfg)
	}
	unit, err := os.ReadFile(filepath.Join(dir, "tacit.service"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(unit), "ExecStart=/usr/bin/tacit --config "+filepath.Join(dir, "tacit.toml")+" serve\n") {
		t.Errorf("the unit does not run the configuration written:\n%s", unit)
	}
	text := out.String()
	for _, want := range []string{"three files written", "s2026._domainkey.lists.example.org. 3600 IN TXT",
		"Add at the end of /etc/postfix/main.cf:", "    lists.example.org smtp:[127.0.0.1]:2525\n", "No open relay"} {
		if !strings.Contains(text, want) {
			t.Errorf("init's English output lacks %q:\n%s", want, text)
		}
	}

	before, _ := os.ReadFile(key)
	err = run(args, &strings.Builder{}, &strings.Builder{})
	if err == nil || !strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), "--force") {
		t.Errorf("a second init: %v; want a refusal naming the key and --force", err)
	}
	if after, _ := os.ReadFile(key); string(after) != string(before) {
		t.Errorf("the refused second init changed the key")
	}
	if err := run([]string{"init", "--dir", dir, "--domain", "x.test", "--lang", "de"}, &strings.Builder{}, &strings.Builder{}); err == nil {
		t.Errorf("init --lang de accepted")
	}
}

// tacit init --postmaster: Postfix forwards postmaster@ and abuse@ the
// domain to the administrator, and DMARC reports go to postmaster@ the
// domain; without it, a placeholder to replace and a warning; an
// address at the list domain itself, which would go to tacit, refused.
func TestInitPostmaster(t *testing.T) {
	t.Parallel()
	base := []string{"init", "--domain", "lists.example.org", "--lang", "en", "--selector", "s2026"}
	var with, without strings.Builder
	if err := run(append(base, "--dir", t.TempDir(), "--postmaster", "root@example.com"), &with, &strings.Builder{}); err != nil {
		t.Fatal(err)
	}
	if err := run(append(base, "--dir", t.TempDir()), &without, &strings.Builder{}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		out       string
		want, not []string
	}{
		{with.String(), []string{"    virtual_alias_maps = hash:/etc/postfix/virtual\n",
			"Write into /etc/postfix/virtual", "    postmaster@lists.example.org root@example.com\n",
			"    abuse@lists.example.org root@example.com\n", "    postmap /etc/postfix/virtual\n",
			`rua=mailto:postmaster@lists.example.org"`}, []string{"admin@example.net", "A real server needs"}},
		{without.String(), []string{"    postmaster@lists.example.org admin@example.net\n",
			"A real server needs them: replace admin@example.net", `rua=mailto:postmaster@example.org"`}, nil},
	} {
		for _, w := range c.want {
			if !strings.Contains(c.out, w) {
				t.Errorf("init's output lacks %q:\n%s", w, c.out)
			}
		}
		for _, w := range c.not {
			if strings.Contains(c.out, w) {
				t.Errorf("init's output has %q:\n%s", w, c.out)
			}
		}
	}
	for _, bad := range []string{"postmaster@lists.example.org", "Admin@Lists.Example.ORG", "root", "a b@example.com"} {
		if err := run(append(base, "--dir", t.TempDir(), "--postmaster", bad), &strings.Builder{}, &strings.Builder{}); err == nil {
			t.Errorf("init --postmaster %q accepted", bad)
		}
	}
}
