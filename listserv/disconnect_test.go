package listserv

import (
	"bufio"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"tacit/internal/logtest"
)

// dialReset connects to addr, reads the greeting line, writes say,
// reads the answer up to its line starting with last, and resets the
// connection (an RST, as from a client that crashed) while the server
// waits for the next command.
func dialReset(t *testing.T, addr, say, last string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	if _, err := r.ReadString('\n'); err != nil {
		t.Fatalf("%s: greeting: %v", addr, err)
	}
	if say != "" {
		if _, err := c.Write([]byte(say)); err != nil {
			t.Fatal(err)
		}
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("%s: answer to %q: %v", addr, say, err)
			}
			if strings.HasPrefix(line, last) {
				break
			}
		}
	}
	_ = c.(*net.TCPConn).SetLinger(0)
	c.Close()
}

// converse connects to addr, then for each step writes it and reads one
// line, and closes the connection after the last write without reading
// (a client that leaves mid-command).
func converse(t *testing.T, addr string, steps ...string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	if addr != "" && !strings.HasPrefix(steps[0], "GET") {
		if _, err := r.ReadString('\n'); err != nil {
			t.Fatalf("%s: greeting: %v", addr, err)
		}
	}
	for i, s := range steps {
		if _, err := c.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
		if i == len(steps)-1 {
			return
		}
		if _, err := r.ReadString('\n'); err != nil {
			t.Fatalf("%s: answer to %q: %v", addr, s, err)
		}
	}
}

// TestClientsThatLeaveAreInfo: SMTP, IMAP and HTTP clients that reset
// their connection or close it mid-command are an INFO line each at
// most, never a warning or an error.
func TestClientsThatLeaveAreInfo(t *testing.T) {
	t.Parallel()
	log, rec := logtest.New()
	h := start(t, harnessOptions{http: true, imap: true, logger: log})
	h.list("jardin@lists.test", "alice@example.org")

	smtpAddr, imapAddr, httpAddr := h.srv.SMTPAddr(), h.srv.IMAPAddr(), h.srv.HTTPAddr()
	dialReset(t, smtpAddr, "EHLO client.test\r\n", "250 ")
	converse(t, smtpAddr, "HELO client.test\r\n", "MAIL FROM:<alice@example.org>\r\n",
		"RCPT TO:<jardin@lists.test>\r\n", "DATA\r\n", "Subject: half\r\n\r\nthe first line, and then noth")
	dialReset(t, imapAddr, "a1 CAPABILITY\r\n", "a1 ")
	converse(t, imapAddr, "a1 LOGIN {20}\r\n", "alice")
	converse(t, httpAddr, "GET /healthz HTTP/1.1\r\nHost: lists.test\r\n")
	c, err := net.Dial("tcp", httpAddr)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.(*net.TCPConn).SetLinger(0)
	c.Close()

	for _, proto := range []string{"smtp", "imap"} {
		if _, ok := rec.WaitFor(10*time.Second, func(r logtest.Record) bool {
			return r.Level == slog.LevelInfo && r.Message == proto+": client disconnected"
		}); !ok {
			t.Errorf("no INFO %q line; %s logged:\n%s", proto+": client disconnected", proto, lines(rec.Records(), proto))
		}
	}
	if _, ok := rec.WaitFor(10*time.Second, func(r logtest.Record) bool {
		return r.Message == "smtp transaction" && strings.Contains(r.Attrs, "read error")
	}); !ok {
		t.Errorf("the message cut mid-DATA left no transaction line:\n%s", lines(rec.Records(), "smtp"))
	}
	h.stop() // every session has ended and logged
	for _, r := range rec.AtLeast(slog.LevelWarn) {
		for _, proto := range []string{"smtp", "imap", "http"} {
			if strings.HasPrefix(r.Message, proto+":") || strings.HasPrefix(r.Message, proto+" ") {
				t.Errorf("a client that left was logged as %s", r)
			}
		}
	}
}

// lines returns the records about proto, one a line.
func lines(rs []logtest.Record, proto string) string {
	var b strings.Builder
	for _, r := range rs {
		if strings.HasPrefix(r.Message, proto) {
			b.WriteString(r.String() + "\n")
		}
	}
	return b.String()
}
