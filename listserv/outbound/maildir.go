package outbound

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Maildir is a Transport that delivers each recipient's copy into a
// maildir of its own, <dir>/<recipient>, for local delivery and tests.
// A copy is written to tmp, synced, renamed into new and the new directory
// synced, so it is either complete in new or absent after a crash.
//
// A recipient address that cannot be a single directory name (empty,
// starting with a dot, containing '/', '\' or NUL, longer than 255 bytes)
// gets a permanent error; a failure to write is temporary.
//
// A Maildir is safe for concurrent use.
type Maildir struct {
	dir  string
	host string // for unique names, with '/' and ':' escaped
	pid  int
	seq  atomic.Uint64
}

// NewMaildir returns a Maildir rooted at dir, which is created (0700) on
// first delivery if needed.
func NewMaildir(dir string) *Maildir {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	// The maildir convention: '/' and ':' in the host name are written
	// as octal escapes.
	host = strings.NewReplacer("/", `\057`, ":", `\072`).Replace(host)
	return &Maildir{dir: dir, host: host, pid: os.Getpid()}
}

// DeliverBatch delivers each message in turn, telling done (when not
// nil) about each.
func (md *Maildir) DeliverBatch(ctx context.Context, ms []*Message, done func(k int, rs []Result)) [][]Result {
	out := make([][]Result, len(ms))
	for i, m := range ms {
		out[i] = md.Deliver(ctx, m)
		if done != nil {
			done(i, out[i])
		}
	}
	return out
}

// Deliver writes one file per recipient and returns one Result per entry
// of m.To, in order. Recipients not yet written when ctx is done get a
// temporary error.
func (md *Maildir) Deliver(ctx context.Context, m *Message) []Result {
	res := make([]Result, len(m.To))
	for i, to := range m.To {
		res[i].Recipient = to
		if err := checkMailbox(to); err != nil {
			res[i].Err = fmt.Errorf("outbound: maildir: recipient %q: %w", to, err)
			res[i].Permanent = true
			continue
		}
		if err := ctx.Err(); err != nil {
			res[i].Err = fmt.Errorf("outbound: maildir: %s: %w", to, err)
			continue
		}
		if err := md.deliverOne(to, m); err != nil {
			res[i].Err = fmt.Errorf("outbound: maildir: %s: %w", to, err)
		}
	}
	return res
}

// Close does nothing: a Maildir keeps nothing open.
func (md *Maildir) Close() error { return nil }

// checkMailbox refuses an address that would not name exactly one
// directory entry inside the root.
func checkMailbox(to string) error {
	switch {
	case to == "":
		return errors.New("empty address")
	case to[0] == '.':
		return errors.New("address starts with a dot")
	case strings.ContainsAny(to, "/\\\x00"):
		return errors.New("address contains '/', '\\' or NUL")
	case len(to) > 255:
		return errors.New("address too long for a directory name")
	}
	return nil
}

// uniqueName returns <unixnano>.<pid>_<counter>.<hostname>.
func (md *Maildir) uniqueName() string {
	return strconv.FormatInt(time.Now().UnixNano(), 10) + "." +
		strconv.Itoa(md.pid) + "_" + strconv.FormatUint(md.seq.Add(1), 10) + "." + md.host
}

func (md *Maildir) deliverOne(to string, m *Message) error {
	box := filepath.Join(md.dir, to)
	if err := md.ensureBox(box); err != nil {
		return err
	}
	name := md.uniqueName()
	tmp := filepath.Join(box, "tmp", name)
	if err := writeSynced(tmp, m.Header, m.Body); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, filepath.Join(box, "new", name)); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("rename into new: %w", err)
	}
	if err := syncDir(filepath.Join(box, "new")); err != nil {
		// The file is in new but perhaps not durably: report it as not
		// delivered. A retry may deliver a second copy, never none.
		return err
	}
	return nil
}

// ensureBox creates box and its tmp, new and cur (0700) if missing, and
// syncs the parents of what it created so the entries survive a crash.
func (md *Maildir) ensureBox(box string) error {
	if err := os.MkdirAll(md.dir, 0o700); err != nil {
		return fmt.Errorf("create root: %w", err)
	}
	created, err := mkdir(box)
	if err != nil {
		return err
	}
	if created {
		if err := syncDir(md.dir); err != nil {
			return err
		}
	}
	createdSub := false
	for _, sub := range []string{"tmp", "new", "cur"} {
		c, err := mkdir(filepath.Join(box, sub))
		if err != nil {
			return err
		}
		createdSub = createdSub || c
	}
	if createdSub {
		return syncDir(box)
	}
	return nil
}

// mkdir creates dir (0700) and reports whether it did; an existing
// directory is not an error.
func mkdir(dir string) (bool, error) {
	err := os.Mkdir(dir, 0o700)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrExist):
		if fi, serr := os.Stat(dir); serr == nil && fi.IsDir() {
			return false, nil
		}
		return false, fmt.Errorf("create %s: not a directory", dir)
	default:
		return false, fmt.Errorf("create %s: %w", dir, err)
	}
}

// writeSynced creates path exclusively (0600) and writes parts to it,
// then fsyncs and closes it.
func writeSynced(path string, parts ...[]byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	for _, p := range parts {
		if _, err := f.Write(p); err != nil {
			_ = f.Close()
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	return nil
}

// syncDir fsyncs a directory, making renames and creations in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

var _ Transport = (*Maildir)(nil)
