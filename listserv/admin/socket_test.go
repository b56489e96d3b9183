package admin

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// shortDir returns a directory with a short path (a unix socket's path
// has about 100 bytes), removed at the end of the test.
func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "adm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// The socket is mode 0600 even under a umask of 0, replaces a stale
// one, leaves nothing else in the directory, and goes when closed. Not
// parallel: the umask belongs to the process.
func TestSocketIsPrivateWhateverTheUmask(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := shortDir(t)
	sock := filepath.Join(dir, "tacit.sock")
	if err := os.WriteFile(sock, nil, 0o666); err != nil { // a stale file
		t.Fatal(err)
	}
	l, err := Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket %s has mode %v, want a socket of mode 0600", sock, fi.Mode())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the directory holds %d entries, want the socket alone", len(entries))
	}
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatalf("dial the renamed socket: %v", err)
	}
	c.Close()
	if err := l.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("the socket file is still there after Close: %v", err)
	}
}

// PeerUID reads the kernel's credentials of a real connection: ours.
func TestPeerUIDOfARealConnection(t *testing.T) {
	t.Parallel()
	l, err := Listen(filepath.Join(shortDir(t), "tacit.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	c, err := net.Dial("unix", l.Addr().String())
	if err != nil {
		l.Close()
		t.Fatalf("dial %s: %v", l.Addr(), err)
	}
	defer c.Close()
	srv := <-accepted
	if srv == nil {
		t.Fatal("accept failed")
	}
	defer srv.Close()
	uid, err := PeerUID(srv)
	if err != nil || int64(uid) != int64(os.Getuid()) {
		t.Fatalf("PeerUID = %d, %v; want %d", uid, err, os.Getuid())
	}
	if !ownUserOrRoot(uid) || !ownUserOrRoot(0) {
		t.Errorf("the default check refuses our own uid or root")
	}
	if _, err := PeerUID(&net.TCPConn{}); err == nil {
		t.Errorf("PeerUID of a TCP connection did not fail")
	}
}

// A connection from another user gets an error answer, runs nothing,
// and leaves a line in the log.
func TestSocketRefusesAnotherUser(t *testing.T) {
	t.Parallel()
	a, s := newAdmin(t)
	var seen []uint32
	a.o.PeerAllowed = func(uid uint32) bool { seen = append(seen, uid); return false }
	sock := filepath.Join(shortDir(t), "tacit.sock")
	l, err := Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done := make(chan struct{})
	go func() { a.Serve(ctx, l, slog.New(slog.NewTextHandler(&logs, nil))); close(done) }()
	var out strings.Builder
	err = Call(ctx, sock, []string{"list", "create", "jardin"}, &out)
	if err == nil || !strings.Contains(err.Error(), "refused") || !strings.Contains(err.Error(), "nor root") {
		t.Fatalf("Call from a refused uid: %v, want a refusal", err)
	}
	if lists, _ := s.Lists(); len(lists) != 0 {
		t.Errorf("the refused command ran: %+v", lists)
	}
	cancel()
	<-done
	if len(seen) != 1 || int64(seen[0]) != int64(os.Getuid()) {
		t.Errorf("the check saw uids %v, want ours", seen)
	}
	if !strings.Contains(logs.String(), "admin: connection refused") || !strings.Contains(logs.String(), "list create jardin") {
		t.Errorf("log lacks the refusal:\n%s", logs.String())
	}
}

// Without the right to the socket file, Call says so rather than
// falling back to the store (which the server holds).
func TestCallWithoutPermission(t *testing.T) {
	t.Parallel()
	if os.Getuid() == 0 {
		t.Skip("root reaches any socket")
	}
	sock := filepath.Join(shortDir(t), "tacit.sock")
	l, err := Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := os.Chmod(sock, 0); err != nil {
		t.Fatal(err)
	}
	err = Call(context.Background(), sock, []string{"list", "ls"}, &strings.Builder{})
	if err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("Call on a socket we may not use: %v", err)
	}
}
