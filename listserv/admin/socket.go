package admin

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
)

// The admin socket (docs/security.md): the file is mode 0600 from the
// moment it exists, whatever the umask, and the server answers only
// connections whose peer credentials, read from the kernel, are its own
// user's or root's.

// Listen creates the admin socket at path, replacing a stale one left by
// a server that died. The socket is bound in a new directory of mode
// 0700 beside path, set to mode 0600 there, then renamed to path: at no
// moment can another user reach it, whatever the umask. Closing the
// listener removes path.
func Listen(path string) (net.Listener, error) {
	dir, err := os.MkdirTemp(filepath.Dir(path), ".s") // short: a socket path has ~100 bytes
	if err != nil {
		return nil, fmt.Errorf("admin: socket: %w", err)
	}
	defer os.RemoveAll(dir)
	private := filepath.Join(dir, "s")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: private, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("admin: socket: %w", err)
	}
	l.SetUnlinkOnClose(false) // the file moves: Close removes it where it ends up
	if err := os.Chmod(private, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("admin: socket: %w", err)
	}
	if err := os.Rename(private, path); err != nil {
		l.Close()
		return nil, fmt.Errorf("admin: socket: %w", err)
	}
	return &socketListener{UnixListener: l, path: path}, nil
}

// socketListener is the admin socket's listener; Close removes its file.
type socketListener struct {
	*net.UnixListener
	path string
}

// Addr returns the socket's address: where it ends up, not where it was
// bound.
func (l *socketListener) Addr() net.Addr { return &net.UnixAddr{Name: l.path, Net: "unix"} }

func (l *socketListener) Close() error {
	err := l.UnixListener.Close()
	if rerr := os.Remove(l.path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
		err = rerr
	}
	return err
}

// PeerUID returns the user id of the process at the other end of c, a
// unix socket connection, as the kernel knows it (SO_PEERCRED on
// Linux): not something the peer says.
func PeerUID(c net.Conn) (uint32, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return 0, fmt.Errorf("admin: peer credentials of a %T: not a unix socket", c)
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return 0, fmt.Errorf("admin: peer credentials: %w", err)
	}
	var uid uint32
	var uerr error
	if err := raw.Control(func(fd uintptr) { uid, uerr = peerUID(int(fd)) }); err != nil {
		return 0, fmt.Errorf("admin: peer credentials: %w", err)
	}
	if uerr != nil {
		return 0, fmt.Errorf("admin: peer credentials: %w", uerr)
	}
	return uid, nil
}

// ownUserOrRoot is the default Options.PeerAllowed.
func ownUserOrRoot(uid uint32) bool {
	return uid == 0 || int64(uid) == int64(os.Getuid())
}

// checkPeer returns why the connection c must not be served, nil when it
// may.
func (a *Admin) checkPeer(c net.Conn) error {
	uid, err := PeerUID(c)
	if err != nil {
		return err
	}
	allowed := a.o.PeerAllowed
	if allowed == nil {
		allowed = ownUserOrRoot
	}
	if !allowed(uid) {
		return &refusedError{uid: uid}
	}
	return nil
}

// refusedError is the answer to a connection from another user, in
// the language of its request.
type refusedError struct {
	uid  uint32
	lang string
}

func (e *refusedError) Error() string {
	if e.lang != "en" {
		return fmt.Sprintf("admin : refusé : l'uid %d n'est ni l'utilisateur du serveur (uid %d) ni root ; lancez tacit sous cet utilisateur",
			e.uid, os.Getuid())
	}
	return fmt.Sprintf("admin: refused: uid %d is neither the server's user (uid %d) nor root; run tacit as that user",
		e.uid, os.Getuid())
}
