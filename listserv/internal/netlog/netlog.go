// Package netlog tells, for the logs of the SMTP, IMAP and HTTP
// listeners, a client that went away from a fault of ours. A client that
// closes its connection mid-session, resets it, stops reading (broken
// pipe) or stops answering until a deadline is an everyday event on the
// Internet: the listeners log it at Info, and keep Error for what an
// operator must look at.
package netlog

import (
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"os"
	"strings"
	"syscall"
)

// Gone reports whether err says the peer left: end of file, a reset or
// aborted connection, a broken pipe, a closed connection, or a deadline
// passed waiting for the peer.
func Gone(err error) bool {
	if err == nil {
		return false
	}
	for _, target := range []error{io.EOF, io.ErrUnexpectedEOF, net.ErrClosed, os.ErrDeadlineExceeded,
		syscall.ECONNRESET, syscall.ECONNABORTED, syscall.EPIPE} {
		if errors.Is(err, target) {
			return true
		}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return false
}

// goneTexts are how the errors Gone recognises read once a library has
// formatted them into its log line.
var goneTexts = [...]string{"connection reset by peer", "broken pipe", "unexpected EOF",
	"use of closed network connection", "i/o timeout", "software caused connection abort"}

// GoneText is Gone for an error a library already formatted into a log
// line (go-smtp's and go-imap's loggers get only text).
func GoneText(msg string) bool {
	msg = strings.TrimSpace(msg)
	if strings.HasSuffix(msg, ": EOF") || msg == "EOF" {
		return true
	}
	for _, s := range goneTexts {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// ErrorLog returns a *log.Logger (what net/http's Server.ErrorLog
// takes) that writes each line to l, prefixed by name: at Info when it
// says the client left, at Error otherwise.
func ErrorLog(l *slog.Logger, name string) *log.Logger {
	return log.New(lineWriter{l: l, name: name}, "", 0)
}

type lineWriter struct {
	l    *slog.Logger
	name string
}

func (w lineWriter) Write(p []byte) (int, error) {
	msg := strings.TrimPrefix(strings.TrimSpace(string(p)), w.name+": ") // net/http's lines start "http: "
	if GoneText(msg) {
		w.l.Info(w.name+": client disconnected", "detail", msg)
	} else {
		w.l.Error(w.name + ": " + msg)
	}
	return len(p), nil
}
