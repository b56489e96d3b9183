package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"tacit/config"
)

func TestDebVersion(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"1.2.3":                    "1.2.3",
		"v1.2.3":                   "1.2.3",
		"0.1.0-dev":                "0.1.0~dev",
		"1.0.0-rc.1":               "1.0.0~rc.1",
		"v1.2.0-3-gabc1234":        "1.2.0+3.gabc1234",
		"v1.2.0-3-gabc1234-dirty":  "1.2.0+3.gabc1234.dirty",
		"1.0.0-rc.1-2-gdeadbee":    "1.0.0~rc.1+2.gdeadbee",
		"0.1.0-dev+gfb1ce56-dirty": "0.1.0~dev+gfb1ce56.dirty",
		"1.2.3+build-7":            "1.2.3+build.7",
	} {
		got, err := debVersion(in)
		if err != nil || got != want {
			t.Errorf("debVersion(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"fb1ce56", "release", ""} {
		if got, err := debVersion(bad); err == nil {
			t.Errorf("debVersion(%q) = %q, want an error (no leading digit)", bad, got)
		}
	}
	// dpkg agrees on the order: a pre-release before its release, a build
	// after the tag after the release.
	if _, err := exec.LookPath("dpkg"); err != nil {
		return
	}
	order := []string{"0.1.0~dev", "1.0.0~rc.1", "1.0.0~rc.1+2.gdeadbee", "1.0.0", "1.0.0+3.gabc1234", "1.0.0+3.gabc1234.dirty", "1.0.1"}
	for i := 1; i < len(order); i++ {
		if err := exec.Command("dpkg", "--compare-versions", order[i-1], "lt", order[i]).Run(); err != nil {
			t.Errorf("dpkg --compare-versions %s lt %s: %v", order[i-1], order[i], err)
		}
	}
}

// A dynamically linked program is refused.
func TestCheckStaticRefusesDynamic(t *testing.T) {
	t.Parallel()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	sh, _ = filepath.EvalSymlinks(sh)
	if err := checkStatic(sh, "amd64"); err == nil || !strings.Contains(err.Error(), "not static") {
		t.Errorf("checkStatic(%s) = %v, want: not static", sh, err)
	}
}

// The release as a user gets it: one amd64 build, then the package looked
// at with dpkg's own tools, unpacked, and its tacit run.
func TestRelease(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		t.Skip("dpkg-deb is not installed (Debian's dpkg)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out := t.TempDir()
	const version = "1.2.3-rc.1"
	start := time.Now()
	res, err := Build(ctx, Options{Version: version, Arches: []string{"amd64"}, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("build and package: %s", time.Since(start).Round(time.Millisecond))
	root, err := moduleRoot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	debPath := filepath.Join(out, "tacit_1.2.3-rc.1_amd64.deb")
	bin := filepath.Join(out, "tacit_1.2.3-rc.1_linux_amd64")
	if len(res.Artifacts) != 3 || res.Artifacts[0].Path != bin || res.Artifacts[1].Path != debPath {
		t.Fatalf("artifacts %+v; want the binary, the .deb and SHA256SUMS", res.Artifacts)
	}
	if got := runCmd(t, out, "sha256sum", "-c", "SHA256SUMS"); strings.Count(got, ": OK") != 2 {
		t.Errorf("sha256sum -c SHA256SUMS:\n%s", got)
	}
	if err := checkStatic(bin, "amd64"); err != nil {
		t.Error(err)
	}

	t.Run("control", func(t *testing.T) {
		for field, want := range map[string]string{
			"Package":      "tacit",
			"Version":      "1.2.3~rc.1",
			"Architecture": "amd64",
			"Depends":      "systemd | adduser",
			"Recommends":   "postfix",
			"Section":      "mail",
		} {
			if got := strings.TrimSpace(runCmd(t, "", "dpkg-deb", "--field", debPath, field)); got != want {
				t.Errorf("dpkg-deb --field %s = %q, want %q", field, got, want)
			}
		}
		ctl := t.TempDir()
		runCmd(t, "", "dpkg-deb", "--control", debPath, ctl)
		conffiles, err := os.ReadFile(filepath.Join(ctl, "conffiles"))
		if err != nil || string(conffiles) != "/etc/tacit/tacit.toml\n" {
			t.Errorf("conffiles = %q, %v; want /etc/tacit/tacit.toml", conffiles, err)
		}
		for _, s := range []string{"postinst", "prerm", "postrm"} {
			p := filepath.Join(ctl, s)
			if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o755 {
				t.Errorf("%s: %v, %v; want mode 0755", s, fi, err)
				continue
			}
			runCmd(t, "", "sh", "-n", p)
		}
	})

	t.Run("contents", func(t *testing.T) {
		want := map[string]string{
			"./usr/bin/tacit":                    "-rwxr-xr-x",
			"./lib/systemd/system/tacit.service": "-rw-r--r--",
			"./usr/lib/sysusers.d/tacit.conf":    "-rw-r--r--",
			"./etc/tacit/tacit.toml":             "-rw-r-----",
			"./usr/share/doc/tacit/copyright":    "-rw-r--r--",
			"./usr/share/doc/tacit/README.md":    "-rw-r--r--",
		}
		docs, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
		for _, d := range docs {
			want["./usr/share/doc/tacit/docs/"+filepath.Base(d)] = "-rw-r--r--"
		}
		if _, ok := want["./usr/share/doc/tacit/docs/release.md"]; !ok {
			t.Errorf("docs/release.md is missing from the repository")
		}
		// -rwxr-xr-x root/root  16294050 2026-12-06 14:13 ./usr/bin/tacit
		line := regexp.MustCompile(`^(\S+) (\S+)/(\S+) +\d+ \S+ \S+ (\S+)`)
		for _, l := range strings.Split(strings.TrimSpace(runCmd(t, "", "dpkg-deb", "--contents", debPath)), "\n") {
			m := line.FindStringSubmatch(l)
			if m == nil {
				t.Errorf("dpkg-deb --contents: unexpected line %q", l)
				continue
			}
			mode, owner, group, path := m[1], m[2], m[3], m[4]
			if owner != "root" || group != "root" {
				t.Errorf("%s is owned by %s/%s, want root/root", path, owner, group)
			}
			if strings.HasSuffix(path, "/") {
				if mode != "drwxr-xr-x" {
					t.Errorf("directory %s has mode %s", path, mode)
				}
				continue
			}
			w, ok := want[path]
			if !ok {
				t.Errorf("unexpected file %s in the package", path)
				continue
			}
			if mode != w {
				t.Errorf("%s has mode %s, want %s", path, mode, w)
			}
			delete(want, path)
		}
		for path := range want {
			t.Errorf("%s is missing from the package", path)
		}
	})

	t.Run("unpacked", func(t *testing.T) {
		dest := t.TempDir()
		runCmd(t, "", "dpkg", "-x", debPath, dest)
		tacit := filepath.Join(dest, "usr/bin/tacit")
		if got := runCmd(t, "", tacit, "version"); !strings.HasPrefix(got, "tacit "+version+" (") {
			t.Errorf("tacit version = %q, want tacit %s (…)", got, version)
		}
		conf := filepath.Join(dest, "etc/tacit/tacit.toml")
		if got := runCmd(t, "", tacit, "--config", conf, "help"); !strings.Contains(got, "tacit [--config FILE] COMMAND") {
			t.Errorf("tacit --config %s help = %q", conf, got)
		}
		c, err := config.Load(conf)
		if err != nil {
			t.Fatalf("the packaged tacit.toml does not load: %v", err)
		}
		if c.DataDir != "/var/lib/tacit" || c.Delivery.Mode != "relay" || c.Delivery.Relay != "127.0.0.1:25" || c.SMTP.Listen != "127.0.0.1:2525" {
			t.Errorf("packaged config: data_dir %q, delivery %q via %q, smtp %q; want /var/lib/tacit, relay via 127.0.0.1:25 from 127.0.0.1:2525",
				c.DataDir, c.Delivery.Mode, c.Delivery.Relay, c.SMTP.Listen)
		}
		unit, err := os.ReadFile(filepath.Join(dest, "lib/systemd/system/tacit.service"))
		if err != nil {
			t.Fatal(err)
		}
		const execStart = "ExecStart=/usr/bin/tacit --config /etc/tacit/tacit.toml serve\n"
		if !bytes.Contains(unit, []byte(execStart)) || !bytes.Contains(unit, []byte("\nUser=tacit\n")) {
			t.Errorf("tacit.service has no %q as user tacit:\n%s", execStart, unit)
		}
		sysusers, _ := os.ReadFile(filepath.Join(dest, "usr/lib/sysusers.d/tacit.conf"))
		if !regexp.MustCompile(`(?m)^u tacit - .* /var/lib/tacit$`).Match(sysusers) {
			t.Errorf("sysusers.d/tacit.conf makes no user tacit at /var/lib/tacit:\n%s", sysusers)
		}
		copyright, _ := os.ReadFile(filepath.Join(dest, "usr/share/doc/tacit/copyright"))
		for _, m := range []string{"Go standard library", "go.etcd.io/bbolt", "github.com/emersion/go-smtp"} {
			if !bytes.Contains(copyright, []byte("==== "+m)) {
				t.Errorf("copyright has no licence for %s", m)
			}
		}
		verifyUnit(t, unit, tacit)
	})

	if os.Getenv("TACIT_DPKG_INSTALL") == "1" && os.Geteuid() == 0 {
		t.Run("install", func(t *testing.T) { installRemovePurge(t, debPath, version) })
	}
}

// verifyUnit runs systemd-analyze verify on the packaged unit, its
// ExecStart pointed at the unpacked tacit.
func verifyUnit(t *testing.T, unit []byte, tacit string) {
	t.Helper()
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Log("systemd-analyze is not installed: the unit is not checked by systemd")
		return
	}
	path := filepath.Join(t.TempDir(), "tacit.service")
	text := strings.Replace(string(unit), "ExecStart=/usr/bin/tacit ", "ExecStart="+tacit+" ", 1)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("systemd-analyze", "verify", "--man=no", path)
	out, err := cmd.CombinedOutput()
	if err != nil || bytes.Contains(out, []byte("tacit.service")) {
		t.Errorf("systemd-analyze verify tacit.service: %v\n%s", err, out)
	}
}

// installRemovePurge installs the package with dpkg, checks the user, the
// directories and the binary, removes it, then purges it. It changes the
// machine: it runs only with TACIT_DPKG_INSTALL=1, as root, somewhere
// disposable.
func installRemovePurge(t *testing.T, debPath, version string) {
	if out, err := exec.Command("dpkg-query", "-W", "-f", "${Status}", "tacit").Output(); err == nil && strings.Contains(string(out), "installed") {
		t.Skipf("a tacit package is already installed (%s): not touching it", out)
	}
	t.Cleanup(func() { _ = exec.Command("dpkg", "--purge", "tacit").Run() })
	if got := runCmd(t, "", "dpkg", "-i", debPath); !strings.Contains(got, "docs/deploy.md") {
		t.Errorf("dpkg -i does not point to docs/deploy.md:\n%s", got)
	}
	pw := strings.Split(strings.TrimSpace(runCmd(t, "", "getent", "passwd", "tacit")), ":")
	if len(pw) != 7 || pw[5] != "/var/lib/tacit" || !strings.HasSuffix(pw[6], "nologin") {
		t.Errorf("getent passwd tacit = %q; want home /var/lib/tacit, shell nologin", pw)
	}
	runCmd(t, "", "getent", "group", "tacit")
	if got := runCmd(t, "", "stat", "-c", "%U:%G %a", "/var/lib/tacit", "/etc/tacit/tacit.toml"); got != "tacit:tacit 750\nroot:tacit 640\n" {
		t.Errorf("stat /var/lib/tacit /etc/tacit/tacit.toml = %q", got)
	}
	if got := runCmd(t, "", "/usr/bin/tacit", "version"); !strings.HasPrefix(got, "tacit "+version) {
		t.Errorf("/usr/bin/tacit version = %q", got)
	}
	// docs/deploy.md's next step with the package: tacit init replaces the
	// packaged tacit.toml, which the service can still read.
	t.Cleanup(func() {
		os.RemoveAll("/etc/tacit/dkim")
		os.Remove("/etc/tacit/tacit.service")
		os.Remove("/etc/tacit")
	})
	runCmd(t, "", "/usr/bin/tacit", "init", "--domain", "lists.example.org", "--dir", "/etc/tacit", "--force")
	if got := runCmd(t, "", "stat", "-c", "%U:%G %a", "/etc/tacit/tacit.toml"); got != "root:tacit 640\n" {
		t.Errorf("after tacit init --force, stat /etc/tacit/tacit.toml = %q, want root:tacit 640", got)
	}
	if c, err := config.Load("/etc/tacit/tacit.toml"); err != nil || c.Domain != "lists.example.org" || c.DataDir != "/var/lib/tacit" {
		t.Errorf("after tacit init --force: %v, %+v", err, c)
	}
	runCmd(t, "", "dpkg", "-r", "tacit")
	if _, err := os.Stat("/usr/bin/tacit"); err == nil {
		t.Errorf("/usr/bin/tacit is still there after dpkg -r")
	}
	if _, err := os.Stat("/etc/tacit/tacit.toml"); err != nil {
		t.Errorf("dpkg -r removed the configuration: %v", err)
	}
	runCmd(t, "", "dpkg", "--purge", "tacit")
	if _, err := os.Stat("/etc/tacit/tacit.toml"); err == nil {
		t.Errorf("/etc/tacit/tacit.toml is still there after dpkg --purge")
	}
	if _, err := os.Stat("/var/lib/tacit"); err != nil {
		t.Errorf("dpkg --purge removed the data directory: %v", err)
	}
	runCmd(t, "", "getent", "passwd", "tacit")
}

// runCmd runs a command in dir and returns its standard output; a failure
// fails the test.
func runCmd(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}
