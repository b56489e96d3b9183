package main

// Helpers of the end-to-end tests (e2e_test.go): the binary built once by
// TestMain, servers run as processes with their own config and free port,
// the CLI, an SMTP client, and a loopback SMTP sink standing in for the
// smarthost (internal/smtpsink).

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"tacit/internal/pgtest"
	"tacit/internal/smtpsink"
	"testing"
	"time"
)

// tacitBin is the binary built by TestMain.
var tacitBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tacit-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: temp dir:", err)
		os.Exit(1)
	}
	tacitBin = filepath.Join(dir, "tacit")
	if prebuilt := os.Getenv("TACIT_E2E_BIN"); prebuilt != "" {
		tacitBin = prebuilt // a test re-executed by its parent (netns_test.go)
	} else {
		build := exec.Command("go", "build", "-o", tacitBin, ".")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		err = build.Run()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: go build:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	pgtest.Stop()
	os.RemoveAll(dir)
	os.Exit(code)
}

// freePort returns a loopback TCP address that was free a moment ago.
func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// instance is one data directory and its configuration; the SMTP port is
// chosen anew each time a server is started.
type instance struct {
	t       testing.TB
	dir     string // data_dir, also the working directory of commands
	cfgPath string
	// mode is "maildir" or "relay"; relay is the smarthost in relay mode.
	mode, relay string
	smtpAddr    string // the current [smtp] listen
	// extra is appended to the configuration file (more tables).
	extra string
	// imapAddr, when set, is the [imap] listen address ("" disables IMAP).
	imapAddr string
	// http turns the [http] server on, on a port chosen anew with the
	// SMTP one (httpAddr): one-click unsubscribe URLs in every copy.
	http     bool
	httpAddr string
}

func newInstance(t testing.TB, mode, relay string) *instance {
	t.Helper()
	in := &instance{t: t, dir: t.TempDir(), mode: mode, relay: relay}
	in.cfgPath = filepath.Join(in.dir, "tacit.toml")
	in.writeConfig(freePort(t))
	return in
}

func (in *instance) writeConfig(smtpAddr string) {
	in.t.Helper()
	in.smtpAddr = smtpAddr
	var b strings.Builder
	fmt.Fprintf(&b, "data_dir = %q\n", in.dir)
	b.WriteString("domain = \"lists.test\"\nlanguage = \"en\"\ntimezone = \"UTC\"\n\n")
	fmt.Fprintf(&b, "[smtp]\nlisten = %q\nhostname = \"lists.test\"\n%s\n", smtpAddr, trustedRelayConfig)
	if in.http {
		in.httpAddr = freePort(in.t)
	}
	fmt.Fprintf(&b, "[imap]\nlisten = %q\n\n[http]\nlisten = %q\n\n", in.imapAddr, in.httpAddr)
	// These tests post far more than any member would: the cap on posts
	// per hour has its own tests (listserv/trolls_test.go).
	fmt.Fprintf(&b, "[delivery]\nmode = %q\nmax_posts_per_hour = 1000000\n", in.mode)
	if in.relay != "" {
		fmt.Fprintf(&b, "relay = %q\n", in.relay)
	}
	b.WriteString(in.extra)
	if err := os.WriteFile(in.cfgPath, []byte(b.String()), 0o600); err != nil {
		in.t.Fatal(err)
	}
}

// cli runs `tacit --config FILE args...` and returns its outputs and exit
// code; it fails the test if the command cannot be run at all.
func (in *instance) cli(args ...string) (stdout, stderr string, code int) {
	in.t.Helper()
	return runTacit(in.t, in.dir, append([]string{"--config", in.cfgPath}, args...)...)
}

// mustCLI is cli for a command that must succeed.
func (in *instance) mustCLI(args ...string) string {
	in.t.Helper()
	out, errOut, code := in.cli(args...)
	if code != 0 {
		in.t.Fatalf("tacit %s: exit %d, stderr %q", strings.Join(args, " "), code, errOut)
	}
	return out
}

// tacitEnv is the environment the tests run the binary in: this
// process's, with TACIT_CONFIG=builtin so that a command without
// --config reads the built-in defaults whatever the machine has in
// /etc/tacit, and without a locale, so that the command line speaks
// French, its default; then extra ("NAME=value", later ones win; give
// it englishEnv for English).
func tacitEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case configEnv, "LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE":
		default:
			env = append(env, kv)
		}
	}
	return append(append(env, configEnv+"="+builtinConfig), extra...)
}

// englishEnv is the locale of an English-speaking user.
const englishEnv = "LANG=en_US.UTF-8"

// runTacit runs the binary in dir with a deadline of 15 seconds, in
// tacitEnv.
func runTacit(t testing.TB, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runTacitEnv(t, dir, nil, args...)
}

// runTacitEnv is runTacit with more variables in the environment.
func runTacitEnv(t testing.TB, dir string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, tacitBin, args...)
	cmd.Dir = dir
	cmd.Env = tacitEnv(env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr) && ctx.Err() == nil:
		code = exitErr.ExitCode()
	default:
		t.Fatalf("tacit %s: %v (stderr %q)", strings.Join(args, " "), err, e.String())
	}
	return o.String(), e.String(), code
}

// logWriter collects a server's stderr and signals the line that says it
// is listening.
type logWriter struct {
	mu        sync.Mutex
	buf       bytes.Buffer
	partial   []byte
	listening chan struct{}
	once      sync.Once
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		if bytes.Contains(w.partial[:i], []byte(`msg="smtp listening"`)) {
			w.once.Do(func() { close(w.listening) })
		}
		w.partial = w.partial[i+1:]
	}
	return len(p), nil
}

func (w *logWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// proc is a running `tacit serve`.
type proc struct {
	t    testing.TB
	cmd  *exec.Cmd
	logs *logWriter
	done chan struct{} // closed when the process has been waited for
	err  error         // of Wait, once done is closed
}

// startProc starts `tacit args...` in dir, in tacitEnv, and waits up to
// 10 seconds for its "smtp listening" line. It returns nil, with the
// logs, when the process exits first.
func startProc(t testing.TB, dir string, args ...string) (*proc, string) {
	t.Helper()
	cmd := exec.Command(tacitBin, args...)
	cmd.Dir = dir
	cmd.Env = tacitEnv()
	lw := &logWriter{listening: make(chan struct{})}
	cmd.Stdout = io.Discard
	cmd.Stderr = lw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{t: t, cmd: cmd, logs: lw, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(p.kill)
	select {
	case <-lw.listening:
		return p, ""
	case <-p.done:
		return nil, lw.String()
	case <-time.After(10 * time.Second):
		p.kill()
		t.Fatalf("tacit serve did not start in 10s; logs:\n%s", lw.String())
		return nil, ""
	}
}

// kill sends SIGKILL and waits for the process to be gone. It is safe to
// call more than once.
func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.t.Errorf("tacit serve (pid %d) still running 10s after SIGKILL", p.cmd.Process.Pid)
	}
}

// stop asks the server to end (SIGTERM) and waits for it.
func (p *proc) stop() {
	p.t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		if p.err != nil {
			p.t.Errorf("tacit serve ended with %v; logs:\n%s", p.err, p.logs.String())
		}
	case <-time.After(15 * time.Second):
		p.kill()
		p.t.Errorf("tacit serve did not stop within 15s of SIGTERM")
	}
}

// start runs `tacit serve` on the instance, on a new free port each try:
// another test may take the port between freePort and the bind.
func (in *instance) start() *proc {
	in.t.Helper()
	return serveRetrying(in.t, in, func() { in.writeConfig(freePort(in.t)) })
}

// serveRetrying runs `tacit serve` on in's configuration. When another
// test took one of its ports between freePort and the bind, it calls
// newPorts, which writes the configuration again on other ports, and
// tries again, five times at most.
func serveRetrying(t testing.TB, in *instance, newPorts func()) *proc {
	t.Helper()
	var logs string
	for try := 0; try < 5; try++ {
		if try > 0 {
			newPorts()
		}
		p, out := startProc(t, in.dir, "--config", in.cfgPath, "serve")
		if p != nil {
			return p
		}
		if logs = out; !strings.Contains(out, "address already in use") {
			break
		}
	}
	t.Fatalf("tacit serve exited before listening; logs:\n%s", logs)
	return nil
}

// The tests' client plays the operator's MTA, a trusted relay that
// checked the sender and says so in Authentication-Results (docs/security.md):
// members are authenticated as on a real server, not by a check
// switched off.
const (
	testRelayID        = "relay.lists.test"
	trustedRelayConfig = "trusted_relays = \"127.0.0.0/8\"\nauthserv_id = \"" + testRelayID + "\"\n"
)

// sendMail sends one message with net/smtp, as the trusted relay (with
// its dmarc=pass for the From domain, unless the message has its own
// Authentication-Results or no From), and returns nil only when the
// server answered 250 to the end of DATA.
func sendMail(addr, from string, to []string, msg []byte, timeout time.Duration) error {
	if d := fromDomainOf(msg); d != "" && !bytes.Contains(msg, []byte("Authentication-Results:")) {
		msg = append([]byte("Authentication-Results: "+testRelayID+"; dmarc=pass header.from="+d+"\r\n"), msg...)
	}
	return sendRaw(addr, from, to, msg, timeout)
}

// fromDomainOf returns the domain of a raw message's From, "" when none.
func fromDomainOf(msg []byte) string {
	m, err := mail.ReadMessage(bytes.NewReader(msg))
	if err != nil {
		return ""
	}
	a, err := mail.ParseAddress(m.Header.Get("From"))
	if err != nil {
		return ""
	}
	_, d, _ := strings.Cut(a.Address, "@")
	return d
}

// sendRaw sends one message with net/smtp, as it is.
func sendRaw(addr, from string, to []string, msg []byte, timeout time.Duration) error {
	return sendFrom(net.Dialer{Timeout: timeout}, "client.test", addr, from, to, msg)
}

// sendFrom sends one message with net/smtp over a connection d dials,
// saying HELO helo, and returns nil only when the server answered 250
// to the end of DATA.
func sendFrom(d net.Dialer, helo, addr, from string, to []string, msg []byte) error {
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		return err
	}
	_ = conn.SetDeadline(time.Now().Add(d.Timeout))
	c, err := smtp.NewClient(conn, hostOf(addr))
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if err := c.Hello(helo); err != nil {
		return err
	}
	if err := c.Mail(from); err != nil {
		return err
	}
	for _, r := range to {
		if err := c.Rcpt(r); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	_ = c.Quit()
	return nil
}

// message builds a small RFC 5322 message with CRLF line ends.
func message(from, to, subject, msgID, body string) []byte {
	h := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: %s\r\n"+
		"Date: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n",
		from, to, subject, msgID, time.Now().UTC().Format(time.RFC1123Z))
	return []byte(h + strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\n", "\r\n"))
}

// waitFor polls cond every 20ms until it holds or timeout passes.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startSink starts a loopback SMTP sink standing in for the smarthost,
// closed when the test ends; delay, when set, is slept before each reply
// to RCPT (a slow relay).
func startSink(t testing.TB, delay func() time.Duration) *smtpsink.Sink {
	t.Helper()
	return smtpsink.Start(t, smtpsink.Options{RcptDelay: delay})
}

// copies counts the copies a sink received per Message-ID and recipient.
func copies(s *smtpsink.Sink) map[string]map[string]int {
	out := map[string]map[string]int{}
	for _, m := range s.Messages() {
		mid := headerOf(m.Data, "Message-Id")
		if out[mid] == nil {
			out[mid] = map[string]int{}
		}
		for _, r := range m.To {
			out[mid][strings.ToLower(r)]++
		}
	}
	return out
}

// headerOf returns one header field of a raw message, "" if absent or
// unreadable.
func headerOf(raw []byte, name string) string {
	m, err := mail.ReadMessage(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(m.Header.Get(name))
}

// bodyOf returns what follows the first empty line of a raw message.
func bodyOf(raw []byte) []byte {
	if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 {
		return raw[i+4:]
	}
	if i := bytes.Index(raw, []byte("\n\n")); i >= 0 {
		return raw[i+2:]
	}
	return nil
}

// oneLine reports whether s is exactly one non-empty line.
func oneLine(s string) bool {
	s = strings.TrimSuffix(s, "\n")
	return s != "" && !strings.Contains(s, "\n")
}
