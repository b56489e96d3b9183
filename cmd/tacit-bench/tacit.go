package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// listAddr is the address of the list every workload posts to, and poster
// the member who posts (and reads the archive over IMAP).
const (
	listName = "jardin"
	listAddr = "jardin@lists.test"
	poster   = "member00000@example.org"
)

// buildTacit builds ./cmd/tacit into dir and returns the binary's path.
// It must run inside the tacit module.
func buildTacit(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "tacit")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "tacit/cmd/tacit")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build tacit/cmd/tacit (run inside the tacit module, or give --tacit): %w\n%s", err, out.String())
	}
	return bin, nil
}

// freePort returns a loopback TCP address that was free a moment ago.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	return addr, nil
}

// instance is one tacit data directory with its configuration file.
type instance struct {
	bin      string
	dir      string
	cfgPath  string
	smtpAddr string
	imapAddr string // "" disables IMAP
	relay    string
	verp     bool
	http     bool   // [http] on, with a base URL: one-click unsubscribe URLs
	dkimKey  string // [dkim] private_key, "" for none
	conc     int
	// extra is appended to the configuration ([storage], [consensus]).
	extra string
}

// instanceOptions says how to configure an instance.
type instanceOptions struct {
	bin         string
	parent      string // the directory the instance's directory is made in
	relay       string
	verp        bool
	imap        bool
	http        bool
	concurrency int
	dkimKey     string // a PEM key file: the lists sign their mail with it
	extra       string
}

func newInstance(o instanceOptions) (*instance, error) {
	dir, err := os.MkdirTemp(o.parent, "instance-")
	if err != nil {
		return nil, fmt.Errorf("instance dir: %w", err)
	}
	in := &instance{bin: o.bin, dir: dir, cfgPath: filepath.Join(dir, "tacit.toml"),
		relay: o.relay, verp: o.verp, conc: o.concurrency, http: o.http, dkimKey: o.dkimKey, extra: o.extra}
	if o.imap {
		in.imapAddr = "127.0.0.1:0" // replaced by writeConfig
	}
	if err := in.writeConfig(); err != nil {
		return nil, err
	}
	return in, nil
}

// writeConfig writes the configuration with new free ports.
func (in *instance) writeConfig() error {
	var err error
	if in.smtpAddr, err = freePort(); err != nil {
		return err
	}
	if in.imapAddr != "" {
		if in.imapAddr, err = freePort(); err != nil {
			return err
		}
	}
	httpAddr := ""
	if in.http {
		if httpAddr, err = freePort(); err != nil {
			return err
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "data_dir = %q\n", in.dir)
	b.WriteString("domain = \"lists.test\"\nlanguage = \"en\"\ntimezone = \"UTC\"\n\n")
	fmt.Fprintf(&b, "[smtp]\nlisten = %q\nhostname = \"lists.test\"\n", in.smtpAddr)
	// The load comes from one address: lift the per-client limits.
	b.WriteString("max_connections = 1000\nmax_connections_per_ip = 1000\nmax_messages_per_minute = 100000000\n\n")
	fmt.Fprintf(&b, "[imap]\nlisten = %q\n\n[http]\nlisten = %q\n", in.imapAddr, httpAddr)
	if httpAddr != "" {
		fmt.Fprintf(&b, "base_url = \"http://%s\"\n", httpAddr)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "[delivery]\nmode = \"relay\"\nrelay = %q\nverp = %t\nconcurrency = %d\n", in.relay, in.verp, in.conc)
	// One member posts all the load: no cap on their posts per hour.
	b.WriteString("max_posts_per_hour = 100000000\n")
	if in.dkimKey != "" {
		fmt.Fprintf(&b, "\n[dkim]\ndomain = \"lists.test\"\nselector = \"bench\"\nprivate_key = %q\n", in.dkimKey)
	}
	b.WriteString(in.extra)
	if err := os.WriteFile(in.cfgPath, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	return nil
}

// cli runs `tacit --config FILE args...` and returns its standard output.
func (in *instance) cli(ctx context.Context, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, in.bin, append([]string{"--config", in.cfgPath}, args...)...)
	cmd.Dir = in.dir
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("tacit %s: %w: %s", strings.Join(firstArgs(args, 3), " "), err, strings.TrimSpace(e.String()))
	}
	return o.String(), nil
}

func firstArgs(args []string, n int) []string {
	if len(args) <= n {
		return args
	}
	return append(append([]string(nil), args[:n]...), "…")
}

// setupList creates the list with members poster, member00001, … up to
// members in all, 1,000 addresses per `tacit member add`.
func (in *instance) setupList(ctx context.Context, members int) error {
	if _, err := in.cli(ctx, "list", "create", listName, "--from-rewrite", "never", "--lang", "en"); err != nil {
		return err
	}
	const chunk = 1000
	for start := 0; start < members; start += chunk {
		args := []string{"member", "add", listName}
		for i := start; i < min(start+chunk, members); i++ {
			args = append(args, fmt.Sprintf("member%05d@example.org", i))
		}
		if _, err := in.cli(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// server is a running `tacit serve`.
type server struct {
	cmd  *exec.Cmd
	logs *logWatcher
	done chan struct{}
	err  error // of Wait, once done is closed
}

// start runs `tacit serve`, on new ports each try, and waits for its
// "smtp listening" line.
func (in *instance) start() (*server, error) {
	var last string
	for try := 0; try < 5; try++ {
		if try > 0 {
			if err := in.writeConfig(); err != nil {
				return nil, err
			}
		}
		s, logs, err := in.startOnce()
		if err != nil || s != nil {
			return s, err
		}
		last = logs
		if !strings.Contains(logs, "address already in use") {
			break
		}
	}
	return nil, fmt.Errorf("tacit serve exited before listening:\n%s", last)
}

func (in *instance) startOnce() (*server, string, error) {
	cmd := exec.Command(in.bin, "--config", in.cfgPath, "serve")
	cmd.Dir = in.dir
	lw := &logWatcher{listening: make(chan struct{})}
	cmd.Stderr = lw
	if err := cmd.Start(); err != nil {
		return nil, "", fmt.Errorf("start tacit serve: %w", err)
	}
	s := &server{cmd: cmd, logs: lw, done: make(chan struct{})}
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	select {
	case <-lw.listening:
		return s, "", nil
	case <-s.done:
		return nil, lw.tail(), nil
	case <-time.After(30 * time.Second):
		s.kill()
		return nil, "", fmt.Errorf("tacit serve did not start in 30s:\n%s", lw.tail())
	}
}

// stop sends SIGTERM and waits up to 30 seconds, then kills.
func (s *server) stop() error {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		if s.err != nil {
			return fmt.Errorf("tacit serve: %w\n%s", s.err, s.logs.tail())
		}
		return nil
	case <-time.After(30 * time.Second):
		s.kill()
		return errors.New("tacit serve did not stop within 30s of SIGTERM; killed")
	}
}

func (s *server) kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// logWatcher reads tacit's log: it signals the "smtp listening" line, sums
// the delivered= and failed= of the "delivery attempt" lines, and keeps
// the last 64 KB for error messages.
type logWatcher struct {
	listening chan struct{}
	once      sync.Once
	settled   atomic.Int64 // delivered + failed recipients
	// decided and tickNanos sum the decided= and took= of the engine's
	// "engine: tick" lines.
	decided   atomic.Int64
	tickNanos atomic.Int64

	mu      sync.Mutex
	partial []byte
	last    []byte
}

var settledField = regexp.MustCompile(`\b(delivered|failed)=(\d+)`)

func (w *logWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.last = append(w.last, p...)
	if len(w.last) > 128<<10 {
		w.last = append(w.last[:0], w.last[len(w.last)-64<<10:]...)
	}
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		line := w.partial[:i]
		switch {
		case bytes.Contains(line, []byte(`msg="delivery attempt"`)):
			for _, m := range settledField.FindAllSubmatch(line, -1) {
				n, _ := strconv.Atoi(string(m[2]))
				w.settled.Add(int64(n))
			}
		case bytes.Contains(line, []byte(`msg="engine: tick"`)):
			w.tickLine(line)
		case bytes.Contains(line, []byte(`msg="smtp listening"`)):
			w.once.Do(func() { close(w.listening) })
		}
		w.partial = w.partial[i+1:]
	}
	return len(p), nil
}

// count is the recipients delivered or failed so far.
func (w *logWatcher) count() int64 { return w.settled.Load() }

func (w *logWatcher) tail() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.last
	if len(s) > 4096 {
		s = s[len(s)-4096:]
	}
	return string(s)
}
