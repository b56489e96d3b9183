package outbound

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"tacit/internal/smtpsink"
)

// scriptServer is a loopback SMTP server written for these tests: it
// offers the extensions it is given, answers each command through answer
// (nil: the usual reply), and records the messages it accepts and the
// commands that arrived before the reply to the previous one was sent.
type scriptServer struct {
	t      *testing.T
	exts   []string
	answer func(n int, cmd string) string // n counts commands from 1; "" = default
	ln     net.Listener

	mu       sync.Mutex
	commands int
	early    int      // commands found already waiting when the previous reply was sent
	msgs     []string // "FROM>TO1,TO2|content"
}

func startScript(t *testing.T, exts []string, answer func(n int, cmd string) string) *scriptServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &scriptServer{t: t, exts: exts, answer: answer, ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *scriptServer) addr() string { return s.ln.Addr().String() }

func (s *scriptServer) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	tp := textproto.NewReader(br)
	say := func(line string) {
		// A command already buffered when the previous reply goes out
		// was sent without waiting for it: pipelined.
		if br.Buffered() > 0 {
			s.mu.Lock()
			s.early++
			s.mu.Unlock()
		}
		fmt.Fprint(c, line+"\r\n")
	}
	fmt.Fprint(c, "220 script.test ESMTP\r\n")
	var from string
	var to []string
	inTx := false
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.commands++
		n := s.commands
		s.mu.Unlock()
		verb := strings.ToUpper(strings.Fields(line + " x")[0])
		reply := ""
		if s.answer != nil {
			reply = s.answer(n, line)
		}
		if strings.HasPrefix(reply, "drop") {
			return
		}
		switch verb {
		case "EHLO":
			out := "250-script.test"
			for _, e := range s.exts {
				out += "\r\n250-" + e
			}
			say(out + "\r\n250 HELP")
			continue
		case "QUIT":
			say("221 bye")
			return
		case "RSET":
			from, to, inTx = "", nil, false
		case "MAIL":
			if reply == "" || reply[0] == '2' {
				if inTx {
					reply = "503 5.5.1 nested MAIL"
				} else {
					from, to, inTx = strings.TrimSuffix(strings.TrimPrefix(strings.Fields(line)[1], "FROM:<"), ">"), nil, true
				}
			}
		case "RCPT":
			if reply == "" || reply[0] == '2' {
				to = append(to, strings.TrimSuffix(strings.TrimPrefix(line[len("RCPT "):], "TO:<"), ">"))
			}
		case "DATA":
			if reply == "" && (!inTx || len(to) == 0) {
				reply = "554 5.5.1 no valid recipients"
			}
			if reply == "" {
				say("354 go ahead")
				content, err := io.ReadAll(tp.DotReader())
				if err != nil {
					return
				}
				content = bytes.ReplaceAll(content, []byte("\n"), []byte("\r\n"))
				s.accept(from, to, content)
				from, to, inTx = "", nil, false
				say("250 2.0.0 queued")
				continue
			}
		case "BDAT":
			f := strings.Fields(line)
			size, _ := strconv.Atoi(f[1])
			content := make([]byte, size)
			if _, err := io.ReadFull(br, content); err != nil {
				return
			}
			if reply == "" && (!inTx || len(to) == 0) {
				reply = "554 5.5.1 no valid recipients"
			}
			if reply == "" {
				s.accept(from, to, content)
				reply = "250 2.0.0 queued"
			}
			from, to, inTx = "", nil, false
		}
		if reply == "" {
			reply = "250 2.0.0 ok"
		}
		say(reply)
		if strings.HasPrefix(reply, "421") {
			return
		}
	}
}

func (s *scriptServer) accept(from string, to []string, content []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, from+">"+strings.Join(to, ",")+"|"+string(content))
}

func (s *scriptServer) received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.msgs...)
}

func (s *scriptServer) pipelined() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.early
}

// personal returns n one-recipient messages sharing body, as a VERP
// fan-out makes them.
func personal(n int, body string) []*Message {
	ms := make([]*Message, n)
	for i := range ms {
		rcpt := fmt.Sprintf("m%03d@example.org", i)
		ms[i] = &Message{From: "list+" + strings.Replace(rcpt, "@", "=", 1) + "@lists.test", To: []string{rcpt},
			Header: []byte("List-Unsubscribe: <https://lists.test/u/" + strconv.Itoa(i) + ">\r\nSubject: hi\r\n\r\n"),
			Body:   []byte(body)}
	}
	return ms
}

func relayTo(t *testing.T, addr string) *Relay {
	t.Helper()
	r := NewRelay(RelayOptions{Addr: addr, Hostname: "lists.test", CommandTimeout: 5 * time.Second, DataTimeout: 5 * time.Second})
	t.Cleanup(func() { r.Close() })
	return r
}

func allDelivered(t *testing.T, out [][]Result) {
	t.Helper()
	for i, rs := range out {
		for _, r := range rs {
			if r.Err != nil {
				t.Fatalf("message %d, %s: %v", i, r.Recipient, r.Err)
			}
		}
	}
}

// Every mode delivers every message byte for byte: BDAT carries it as it
// is; DATA dot-stuffs it and turns bare LF into CRLF, and the relay,
// unstuffing, gets the same lines back.
func TestPipelineModes(t *testing.T) {
	t.Parallel()
	body := "Hello\r\n.starts with a dot\r\n..two\r\nlast line\r\n"
	bare := "bare\nLF\n.dot\nno final newline"
	for _, tc := range []struct {
		name      string
		exts      []string
		body      string
		want      string
		pipelined bool
	}{
		{"CHUNKING", []string{"PIPELINING", "CHUNKING", "8BITMIME"}, body, body, true},
		{"PIPELINING only", []string{"PIPELINING"}, body, body, true},
		{"lock step", nil, body, body, false},
		{"CHUNKING, bare LF goes by DATA", []string{"PIPELINING", "CHUNKING"}, bare, "bare\r\nLF\r\n.dot\r\nno final newline\r\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startScript(t, tc.exts, nil)
			r := relayTo(t, s.addr())
			ms := personal(40, tc.body)
			allDelivered(t, r.DeliverBatch(context.Background(), ms, nil))
			got := s.received()
			if len(got) != len(ms) {
				t.Fatalf("%d messages received, want %d", len(got), len(ms))
			}
			for i, m := range ms {
				want := m.From + ">" + m.To[0] + "|" + string(m.Header) + tc.want
				if got[i] != want {
					t.Fatalf("message %d:\n got %q\nwant %q", i, got[i], want)
				}
			}
			if p := s.pipelined(); (p > 0) != tc.pipelined {
				t.Errorf("%d commands sent ahead of the previous reply; pipelining expected: %v", p, tc.pipelined)
			}
		})
	}
}

// Refusals inside a pipelined batch stay with their own transaction: a
// refused sender, a refused recipient, a refused message; the others go
// through on the same connection.
func TestPipelineRefusalsStayLocal(t *testing.T) {
	t.Parallel()
	sink := smtpsink.Start(t, smtpsink.Options{
		RcptReply: func(rcpt string) *smtp.SMTPError {
			if rcpt == "m003@example.org" {
				return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
			}
			if rcpt == "m007@example.org" {
				return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "greylisted"}
			}
			return nil
		},
		DataReply: func(_ string, to []string) *smtp.SMTPError {
			if len(to) == 1 && to[0] == "m011@example.org" {
				return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "spam"}
			}
			return nil
		},
	})
	r := relayTo(t, sink.Addr())
	ms := personal(20, "body\r\n")
	out := r.DeliverBatch(context.Background(), ms, nil)
	for i, rs := range out {
		res := rs[0]
		switch i {
		case 3, 11:
			if res.Err == nil || !res.Permanent {
				t.Errorf("message %d: %+v, want a permanent failure", i, res)
			}
		case 7:
			if res.Err == nil || res.Permanent {
				t.Errorf("message %d: %+v, want a temporary failure", i, res)
			}
		default:
			if res.Err != nil {
				t.Errorf("message %d: %v", i, res.Err)
			}
		}
	}
	if got := len(sink.Messages()); got != 17 {
		t.Errorf("the relay accepted %d messages, want 17", got)
	}
}

// A relay that says 421 in the middle of a batch, or drops the
// connection: nothing is reported sent that the relay did not accept,
// nothing it did not accept fails for good, and what it accepted before
// the failure was acknowledged is not lost. (Replies in flight when a
// relay resets the connection can be lost with it: those messages are
// deferred and sent again, at most pipelineWindow of them.)
func TestPipelineConnectionLostMidBatch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, reply string }{
		{"421", "421 4.3.2 shutting down"},
		{"drop", "drop"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mails := 0
			var mu sync.Mutex
			s := startScript(t, []string{"PIPELINING", "CHUNKING"}, func(_ int, cmd string) string {
				mu.Lock()
				defer mu.Unlock()
				if strings.HasPrefix(cmd, "MAIL") {
					if mails++; mails == 12 {
						return tc.reply
					}
				}
				return ""
			})
			r := relayTo(t, s.addr())
			ms := personal(30, "body\r\n")
			out := r.DeliverBatch(context.Background(), ms, nil)
			accepted := map[string]bool{}
			for _, m := range s.received() {
				to := strings.SplitN(strings.SplitN(m, ">", 2)[1], "|", 2)[0]
				if accepted[to] {
					t.Errorf("%s received twice", to)
				}
				accepted[to] = true
			}
			if len(accepted) != 11 {
				t.Fatalf("the relay accepted %d messages before failing, want 11", len(accepted))
			}
			sent := 0
			for i, rs := range out {
				res := rs[0]
				if res.Err == nil {
					sent++
					if !accepted[res.Recipient] {
						t.Errorf("message %d (%s) reported sent, the relay never accepted it", i, res.Recipient)
					}
				} else if res.Permanent {
					t.Errorf("message %d failed for good after a lost connection: %v", i, res.Err)
				}
			}
			if sent < 11-pipelineWindow {
				t.Errorf("only %d of the 11 accepted messages were known as sent", sent)
			}
		})
	}
}

func TestCanonicalCRLF(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{
		"": true, "a\r\nb\r\n": true, "no newline": true, "a\r\nend": true,
		"a\nb": false, "a\rb\r\n": false, "a\r": false, "\r\r\n": false,
	} {
		if got := canonicalCRLF([]byte(in)); got != want {
			t.Errorf("canonicalCRLF(%q) = %v", in, got)
		}
	}
}

// FuzzDotStuffing: whatever the header and body, what writeDotStuffed
// sends reads back, through a DATA reader, as the same lines with CRLF.
func FuzzDotStuffing(f *testing.F) {
	f.Add([]byte("Subject: x\r\n\r\n"), []byte(".\r\n..\r\nbody"))
	f.Add([]byte("A: b\r"), []byte("\n.x\nbare\rcr\r\n"))
	f.Add([]byte{}, []byte("."))
	f.Fuzz(func(t *testing.T, header, body []byte) {
		var buf bytes.Buffer
		w := bufio.NewWriter(&buf)
		writeDotStuffed(w, header, body)
		w.Flush()
		if !bytes.HasSuffix(buf.Bytes(), []byte("\r\n.\r\n")) && !bytes.Equal(buf.Bytes(), []byte(".\r\n")) {
			t.Fatalf("no final dot line: %q", buf.Bytes())
		}
		if bytes.Contains(buf.Bytes()[:buf.Len()-3], []byte("\r\n.\r\n")) {
			t.Fatalf("a dot line ends the message early: %q", buf.Bytes())
		}
		got, err := io.ReadAll(textproto.NewReader(bufio.NewReader(&buf)).DotReader())
		if err != nil {
			t.Fatal(err)
		}
		in := append(append([]byte{}, header...), body...)
		if len(in) > 0 && in[len(in)-1] != '\n' {
			in = append(in, '\n') // a last line gets its line end
		}
		want := bytes.ReplaceAll(in, []byte("\r\n"), []byte("\n"))
		// DotReader gives lines with LF; a CR alone inside a line stays.
		if !bytes.Equal(got, want) {
			t.Fatalf("read back %q, want %q", got, want)
		}
	})
}

// With done set, each transaction's outcome is told as soon as it is
// known and before the relay gets the next message: a caller recording
// the outcomes in done never leaves more than one transaction taken by
// the relay and not recorded, pipelined or not.
func TestDeliverBatchTellsEachOutcomeBeforeTheNextMessage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		exts []string
	}{
		{"CHUNKING", []string{"PIPELINING", "CHUNKING"}},
		{"PIPELINING only", []string{"PIPELINING"}},
		{"lock step", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startScript(t, tc.exts, func(_ int, cmd string) string {
				if cmd == "RCPT TO:<m005@example.org>" {
					return "550 5.1.1 no such user"
				}
				return ""
			})
			r := relayTo(t, s.addr())
			ms := personal(30, "body\r\n")
			var told []int
			out := r.DeliverBatch(context.Background(), ms, func(k int, rs []Result) {
				told = append(told, k)
				if len(rs) != 1 || rs[0].Recipient != ms[k].To[0] {
					t.Errorf("done(%d) got %+v", k, rs)
				}
				// Message 5 is refused: k+1 messages sent, one less taken.
				want := k + 1
				if k >= 5 {
					want = k
				}
				if got := len(s.received()); got > want {
					t.Errorf("when message %d's outcome was told, the relay had %d messages, want at most %d", k, got, want)
				}
			})
			for i, k := range told {
				if k != i || len(told) != len(ms) {
					t.Fatalf("outcomes told for %v, want each message once, in order", told)
				}
			}
			if out[5][0].Err == nil || !out[5][0].Permanent {
				t.Errorf("message 5: %+v, want refused", out[5][0])
			}
			if got := len(s.received()); got != 29 {
				t.Errorf("the relay got %d messages, want 29", got)
			}
		})
	}
}
