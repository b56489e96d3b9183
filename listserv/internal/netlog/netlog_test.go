package netlog

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"tacit/internal/logtest"
)

func TestGone(t *testing.T) {
	t.Parallel()
	opErr := func(err error) error {
		return &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", err)}
	}
	for _, err := range []error{io.EOF, io.ErrUnexpectedEOF, fmt.Errorf("smtp: %w", io.EOF), opErr(syscall.ECONNRESET),
		opErr(syscall.EPIPE), &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}, net.ErrClosed} {
		if !Gone(err) || !GoneText(err.Error()) {
			t.Errorf("%v: not seen as a client gone (Gone %v, GoneText %v)", err, Gone(err), GoneText(err.Error()))
		}
	}
	for _, err := range []error{nil, errors.New("storage: disk full"), opErr(syscall.ENOSPC), errors.New("EOF marker missing")} {
		if Gone(err) || err != nil && GoneText(err.Error()) {
			t.Errorf("%v: seen as a client gone", err)
		}
	}
}

// TestErrorLogOfHTTPS: a net/http server whose ErrorLog is ErrorLog logs
// a client that drops its connection in the TLS handshake at INFO, and
// what else it reports at ERROR.
func TestErrorLogOfHTTPS(t *testing.T) {
	t.Parallel()
	log, rec := logtest.New()
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.Config.ErrorLog = ErrorLog(log, "http")
	srv.StartTLS()
	defer srv.Close()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte{0x16, 0x03, 0x01, 0x00, 0x80, 0x01}) // the start of a ClientHello
	c.Close()
	r, ok := rec.WaitFor(10*time.Second, func(r logtest.Record) bool { return strings.Contains(r.Attrs, "TLS handshake error") })
	if !ok || r.Level != slog.LevelInfo || r.Message != "http: client disconnected" {
		t.Errorf("the client that left mid-handshake: %v %v; all: %v", r, ok, rec.Records())
	}
	srv.Config.ErrorLog.Printf("http: Accept error: too many open files; retrying in 5ms")
	if got := rec.AtLeast(slog.LevelError); len(got) != 1 || got[0].Message != "http: Accept error: too many open files; retrying in 5ms" {
		t.Errorf("another error: %v", got)
	}
}
