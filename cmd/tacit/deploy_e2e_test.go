package main

// TestDeployDoc follows docs/deploy.md with a private Postfix: the
// blocks the page marks with <!-- e2e: NAME --> are run as written,
// with only the ports and directories the page names as "what to
// change" replaced.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	msgdkim "github.com/emersion/go-msgauth/dkim"

	"tacit/internal/smtpsink"
)

// docBlocks returns the fenced blocks of a Markdown page that follow a
// <!-- e2e: NAME --> line, by NAME.
func docBlocks(t *testing.T, page string) map[string]string {
	t.Helper()
	marker := regexp.MustCompile(`^<!-- e2e: (\S+) -->$`)
	lines := strings.Split(page, "\n")
	out := map[string]string{}
	for i := 0; i < len(lines); i++ {
		m := marker.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		if i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "```") {
			t.Fatalf("docs/deploy.md: the marker %q is not followed by a fenced block", lines[i])
		}
		var body []string
		for i += 2; i < len(lines) && lines[i] != "```"; i++ {
			body = append(body, lines[i])
		}
		out[m[1]] = strings.Join(body, "\n") + "\n"
	}
	return out
}

// indentedBlocks returns the blocks of lines indented by exactly four
// spaces in tacit init's output (its text to copy), each with the line
// of text before it.
func indentedBlocks(out string) (blocks []string, intros []string) {
	var cur []string
	last := ""
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "    ") && len(l) > 4 && l[4] != ' ' {
			if cur == nil {
				intros = append(intros, last)
			}
			cur = append(cur, strings.TrimPrefix(l, "    "))
			continue
		}
		if cur != nil {
			blocks = append(blocks, strings.Join(cur, "\n")+"\n")
			cur = nil
		}
		if strings.TrimSpace(l) != "" {
			last = l
		}
	}
	return blocks, intros
}

// deployRun is one run of the page: where its paths and ports went.
type deployRun struct {
	t     *testing.T
	root  string
	bin   string // a directory with `tacit` in it, first in PATH
	subst *strings.Replacer
	mta   *postfixMTA
}

// sh runs a block of the page with sh -e after the substitutions, with
// the private Postfix as the default one (MAIL_CONFIG).
func (r *deployRun) sh(name, script string) string {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	script = r.subst.Replace(script)
	cmd := exec.CommandContext(ctx, "sh", "-e", "-c", script)
	cmd.Dir = r.root
	cmd.Env = tacitEnv("PATH=" + r.bin + ":" + os.Getenv("PATH"))
	if r.mta != nil {
		cmd.Env = append(cmd.Env, "MAIL_CONFIG="+r.mta.conf)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		r.t.Fatalf("docs/deploy.md block %q failed: %v\nscript:\n%s\nstdout:\n%s\nstderr:\n%s", name, err, script, out.String(), errOut.String())
	}
	return out.String()
}

func TestDeployDoc(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(postfixCmd); err != nil {
		t.Skipf("Postfix is not installed (%v); .ci/run installs the Debian package postfix", err)
	}
	if os.Geteuid() != 0 {
		t.Skip("a private Postfix instance needs root; run as root, as .ci/run does")
	}
	if _, err := exec.LookPath("swaks"); err != nil {
		t.Skip("swaks is not installed (apt-get install swaks), and docs/deploy.md sends with it")
	}
	// The list's default From rewriting reads the sender domain's DMARC
	// record: a resolver that does not answer would hold the post.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	_, err := net.DefaultResolver.LookupTXT(ctx, "_dmarc.example.net")
	cancel()
	var dnsErr *net.DNSError
	if err != nil && !(errors.As(err, &dnsErr) && dnsErr.IsNotFound) {
		t.Skipf("no DNS answer for _dmarc.example.net (%v): tacit would hold the post until DNS answers", err)
	}
	start := time.Now()
	page, err := os.ReadFile(filepath.Join("..", "..", "docs", "deploy.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := docBlocks(t, string(page))
	for _, name := range []string{"init", "init-package", "main.cf", "transport", "virtual", "postfix-reload", "list", "propose", "confirm", "check"} {
		if blocks[name] == "" {
			t.Fatalf("docs/deploy.md has no block marked <!-- e2e: %s -->", name)
		}
	}

	// Not t.TempDir: Postfix's daemons (mail_owner) walk its directory.
	root, err := os.MkdirTemp("", "tacit-deploy-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	r := &deployRun{t: t, root: root, bin: filepath.Join(root, "bin")}
	if err := os.Mkdir(r.bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(tacitBin, filepath.Join(r.bin, "tacit")); err != nil {
		t.Fatal(err)
	}
	sink := startSink(t, nil)
	tacitAddr, httpAddr, imapAddr := freePort(t), freePort(t), freePort(t)
	mta := &postfixMTA{t: t, dir: filepath.Join(root, "postfix")}
	mta.conf = filepath.Join(mta.dir, "etc")
	etcTacit, dataDir := filepath.Join(root, "etc-tacit"), filepath.Join(root, "var-lib-tacit")
	for _, d := range []string{mta.dir, mta.conf, filepath.Join(mta.dir, "spool"), dataDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// A fresh Debian Postfix, running before the page's lines are added,
	// on a private port; the Internet is the sink (example.net's route).
	mta.write("main.cf", fmt.Sprintf(`# A fresh Postfix, private to TestDeployDoc, on a machine named like
# the list domain (the case where a loop would show).
compatibility_level = 3.6
queue_directory = %[1]s/spool
data_directory = %[1]s/data
mail_owner = postfix
setgid_group = postdrop
syslog_name = postfix-tacit-deploy
maillog_file = %[1]s/maillog
maillog_file_prefixes = %[1]s
myhostname = lists.example.org
inet_interfaces = loopback-only
inet_protocols = ipv4
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
local_transport = error:5.1.1 no local delivery in this test
default_transport = error:5.1.2 this test has no Internet but example.net
smtp_tls_security_level = none
smtpd_tls_security_level = none
`, mta.dir))
	mta.boot()
	r.mta = mta
	r.subst = strings.NewReplacer(
		"[127.0.0.1]:2525", "["+hostOf(tacitAddr)+"]:"+portOf(tacitAddr),
		"127.0.0.1:2525", tacitAddr,
		"127.0.0.1:25", mta.addr,
		"127.0.0.1:8025", httpAddr,
		"127.0.0.1:1143", imapAddr,
		"/etc/tacit", etcTacit,
		"/etc/postfix", mta.conf,
		"/var/lib/tacit", dataDir,
	)

	// Step 4: tacit init, which refuses to replace what it wrote, then
	// the package's variant, which replaces; its Postfix lines are the
	// page's.
	first := r.sh("init", blocks["init"])
	firstKey, _ := filepath.Glob(filepath.Join(etcTacit, "dkim", "*.private"))
	cmd := exec.Command("sh", "-c", r.subst.Replace(blocks["init"]))
	cmd.Env = tacitEnv("PATH=" + r.bin + ":" + os.Getenv("PATH"))
	if again, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(again), filepath.Join(etcTacit, "tacit.toml")) {
		t.Errorf("tacit init a second time: %v, %q; want a refusal naming tacit.toml", err, again)
	}
	out := r.sh("init-package", blocks["init-package"])
	if out == first {
		t.Errorf("tacit init --force printed the same DKIM key as the first run")
	}
	if len(firstKey) != 1 {
		t.Fatalf("tacit init wrote %d keys in dkim/: %v", len(firstKey), firstKey)
	}
	got, intros := indentedBlocks(out)
	if len(got) < 5 || !strings.Contains(intros[1], "/etc/postfix/main.cf") || !strings.Contains(intros[2], "/etc/postfix/transport") ||
		!strings.Contains(intros[3], "/etc/postfix/virtual") {
		t.Fatalf("tacit init's output has not the DNS, main.cf, transport, virtual and reload blocks in that order:\n%s", out)
	}
	for i, name := range []string{"main.cf", "transport", "virtual", "postfix-reload"} {
		if got[i+1] != blocks[name] {
			t.Errorf("docs/deploy.md's %s block and tacit init's differ:\npage:\n%s\ntacit init:\n%s", name, blocks[name], got[i+1])
		}
	}
	var dkimTXT, dkimName string
	for _, l := range strings.Split(got[0], "\n") {
		if f := strings.Fields(l); len(f) > 4 && strings.Contains(f[0], "._domainkey.") {
			dkimName = strings.TrimSuffix(f[0], ".")
			for _, s := range regexp.MustCompile(`"([^"]*)"`).FindAllStringSubmatch(l, -1) {
				dkimTXT += s[1]
			}
		}
	}
	if dkimTXT == "" {
		t.Fatalf("no DKIM record in tacit init's output:\n%s", out)
	}
	// With --postmaster, the DMARC reports go to postmaster@ the domain,
	// which Postfix forwards to the administrator (checked below).
	if !strings.Contains(got[0], `rua=mailto:postmaster@lists.example.org"`) {
		t.Errorf("tacit init --postmaster: the DMARC record does not send reports to postmaster@lists.example.org:\n%s", got[0])
	}

	// Step 5: the page's Postfix lines, then its reload commands.
	mainCF, err := os.ReadFile(filepath.Join(mta.conf, "main.cf"))
	if err != nil {
		t.Fatal(err)
	}
	mta.write("main.cf", string(mainCF)+"\n# docs/deploy.md:\n"+r.subst.Replace(blocks["main.cf"]))
	mta.write("transport", r.subst.Replace(blocks["transport"])+
		"example.net smtp:["+hostOf(sink.Addr())+"]:"+portOf(sink.Addr())+"\n")
	mta.write("virtual", r.subst.Replace(blocks["virtual"]))
	// A second smtpd for which 127.0.0.1 is not in mynetworks: a client
	// of the Internet, as far as Postfix can tell.
	outside := freePort(t)
	master, err := os.ReadFile(filepath.Join(mta.conf, "master.cf"))
	if err != nil {
		t.Fatal(err)
	}
	mta.write("master.cf", string(master)+outside+" inet n - n - - smtpd -o mynetworks=192.0.2.0/24\n")
	r.sh("postfix-reload", blocks["postfix-reload"])

	// Step 6: the unit's command line, with the generated configuration.
	cfgPath := filepath.Join(etcTacit, "tacit.toml")
	cfg, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgPath, []byte(r.subst.Replace(string(cfg))), 0o640); err != nil {
		t.Fatal(err)
	}
	unit, err := os.ReadFile(filepath.Join(etcTacit, "tacit.service"))
	if err != nil {
		t.Fatal(err)
	}
	execStart := regexp.MustCompile(`(?m)^ExecStart=(\S+) (.*)$`).FindStringSubmatch(string(unit))
	if execStart == nil || execStart[1] != "/usr/bin/tacit" {
		t.Fatalf("tacit.service has no ExecStart=/usr/bin/tacit …:\n%s", unit)
	}
	p, logs := startProc(t, root, strings.Fields(r.subst.Replace(execStart[2]))...)
	if p == nil {
		t.Fatalf("tacit serve, as the unit runs it, exited:\n%s", logs)
	}
	t.Logf("Postfix, init and tacit ready in %s", time.Since(start).Round(time.Millisecond))

	// Step 9: a list, its members, a proposal through Postfix.
	if ls := r.sh("list", blocks["list"]); !strings.Contains(ls, "bob@example.net") {
		t.Errorf("member ls after the page's commands:\n%s", ls)
	}
	r.sh("propose", blocks["propose"])
	var confirm []byte
	if !waitFor(20*time.Second, func() bool {
		for _, m := range sink.Messages() {
			if strings.HasPrefix(headerOf(m.Data, "Subject"), "confirm ") && len(m.To) == 1 && m.To[0] == "alice@example.net" {
				confirm = m.Data
				return true
			}
		}
		return false
	}) {
		t.Fatalf("no confirmation reached alice@example.net through Postfix in 20s; tacit's log:\n%s", p.logs.String())
	}
	checkThroughPostfix(t, confirm, dkimName, dkimTXT)
	token := strings.TrimPrefix(headerOf(confirm, "Subject"), "confirm ")
	r.sh("confirm", strings.ReplaceAll(blocks["confirm"], "TOKEN", token))

	want := map[string]bool{"alice@example.net": false, "bob@example.net": false}
	if !waitFor(20*time.Second, func() bool {
		for _, m := range sink.Messages() {
			if !strings.Contains(headerOf(m.Data, "Subject"), "Acheter une tondeuse") || len(m.To) != 1 {
				continue
			}
			if _, ok := want[m.To[0]]; ok && !want[m.To[0]] {
				want[m.To[0]] = true
				checkThroughPostfix(t, m.Data, dkimName, dkimTXT)
			}
		}
		return want["alice@example.net"] && want["bob@example.net"]
	}) {
		t.Fatalf("the proposal did not reach both members through Postfix in 20s (%v); tacit's log:\n%s", want, p.logs.String())
	}
	if ls := r.sh("check", blocks["check"]); !strings.Contains(ls, "tondeuse") {
		t.Errorf("proposal ls does not show the proposal:\n%s", ls)
	}
	checkNoRelay(t, outside)
	checkPostmaster(t, outside, sink, mta, tacitAddr)
	// Postfix's log: the post went to tacit through the transport line.
	if !waitFor(5*time.Second, func() bool {
		return regexp.MustCompile(`to=<jardin@lists\.example\.org>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:` +
			portOf(tacitAddr) + `.*status=sent`).MatchString(mta.log())
	}) {
		t.Errorf("Postfix's log does not show the post handed to tacit on %s", tacitAddr)
	}
	p.stop()
	t.Logf("docs/deploy.md followed in %s", time.Since(start).Round(time.Millisecond))
}

// checkThroughPostfix checks that a message the sink got came from tacit
// through Postfix and carries a DKIM signature the published record
// verifies.
func checkThroughPostfix(t *testing.T, msg []byte, dkimName, dkimTXT string) {
	t.Helper()
	if rcvd := headerOf(msg, "Received"); !strings.Contains(rcvd, "(Postfix)") || !strings.Contains(rcvd, "[127.0.0.1]") {
		t.Errorf("the first Received is not Postfix's receiving from tacit: %q", rcvd)
	}
	vs, err := msgdkim.VerifyWithOptions(bytes.NewReader(msg), &msgdkim.VerifyOptions{
		LookupTXT: func(domain string) ([]string, error) {
			if domain == dkimName {
				return []string{dkimTXT}, nil
			}
			return nil, fmt.Errorf("no TXT record at %s in tacit init's output", domain)
		},
	})
	if err != nil || len(vs) == 0 {
		t.Errorf("DKIM: %v, %d signatures; message:\n%s", err, len(vs), msg)
		return
	}
	for _, v := range vs {
		if v.Err != nil || v.Domain != "lists.example.org" {
			t.Errorf("DKIM signature d=%s: %v (with the record tacit init printed)", v.Domain, v.Err)
		}
	}
}

// checkNoRelay speaks to Postfix as a stranger would: a list address is
// accepted, an address tacit does not know is refused before the message
// (550, tacit asked), and another domain is no business of this server.
func checkNoRelay(t *testing.T, addr string) {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatalf("Postfix's outside port: %v", err)
	}
	defer c.Close()
	if err := c.Hello("client.example.net"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("carol@example.net"); err != nil {
		t.Fatal(err)
	}
	for rcpt, code := range map[string]int{
		"jardin@lists.example.org": 250,
		"nobody@lists.example.org": 550,
		// Forwarded to the administrator: Postfix's probe asks the
		// administrator's server (the sink), not tacit.
		"postmaster@lists.example.org": 250,
		"abuse@lists.example.org":      250,
		"victim@elsewhere.example":     554,
	} {
		err := c.Rcpt(rcpt)
		var got int
		var te *textproto.Error
		switch {
		case err == nil:
			got = 250
		case errors.As(err, &te):
			got = te.Code
		default:
			t.Fatalf("RCPT TO:<%s>: %v", rcpt, err)
		}
		if got != code {
			t.Errorf("from outside, RCPT TO:<%s> got %d (%v), want %d", rcpt, got, err, code)
		}
	}
}

// checkPostmaster sends, as a stranger, a message to postmaster@ the list
// domain: it reaches the administrator's mailbox (admin@example.net, the
// page's --postmaster, whose server is the sink), and neither the
// message nor Postfix's recipient probe goes to tacit.
func checkPostmaster(t *testing.T, outside string, sink *smtpsink.Sink, mta *postfixMTA, tacitAddr string) {
	t.Helper()
	msg := "From: carol@example.net\r\nTo: postmaster@lists.example.org\r\nSubject: Plainte pour abus\r\n\r\nBonjour.\r\n"
	if err := smtp.SendMail(outside, nil, "carol@example.net", []string{"postmaster@lists.example.org"}, []byte(msg)); err != nil {
		t.Fatalf("a stranger's mail to postmaster@lists.example.org: %v", err)
	}
	if !waitFor(20*time.Second, func() bool {
		for _, m := range sink.Messages() {
			if headerOf(m.Data, "Subject") == "Plainte pour abus" && len(m.To) == 1 && m.To[0] == "admin@example.net" {
				return true
			}
		}
		return false
	}) {
		t.Fatalf("the mail to postmaster@lists.example.org did not reach admin@example.net in 20s; Postfix's log:\n%s", mta.log())
	}
	tacitRelay := regexp.MustCompile(`to=<(postmaster|abuse)@lists\.example\.org>.*relay=[^ ]*:` + portOf(tacitAddr))
	if l := tacitRelay.FindString(mta.log()); l != "" {
		t.Errorf("Postfix handed postmaster@ or abuse@ to tacit: %s", l)
	}
}
