// Package admin implements tacit's administration commands (list, member,
// held, proposal) once, for both ways they run: inside `tacit serve`, which answers
// them on a unix socket in the data directory (the store has a single
// writer), and directly on the store when no server holds it.
//
// The socket speaks one JSON request per connection: {"args": [...],
// "lang": "fr"} in, {"output": "...", "error": "..."} out; the output and
// the error are in the request's language, the server's when it names
// none. The socket file is mode 0600
// whatever the umask (see Listen), and the server answers only its own
// user and root, by the peer credentials the kernel gives (see PeerUID):
// whoever can reach it could also open the store.
//
// What the commands print is safe for a terminal: member-supplied text
// (a Subject, an address, a reason, a title) has its control characters
// escaped (see Escape).
package admin

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"tacit/listserv/dkim"
	"tacit/storage"
)

// Options configure an Admin.
type Options struct {
	// Store is the open store the commands act on.
	Store *storage.Store
	// Domain completes list addresses given without "@".
	Domain string
	// Language is the default language of new lists.
	Language string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Wake, when set, tells the running server that a held post was
	// decided and waits in its inbox.
	Wake func()
	// Location is the timezone deadlines and meetings are read in; nil
	// means UTC.
	Location *time.Location
	// Settle records a meeting's decision on proposal number of list and
	// sends the list its notice (the server's processor, or one working
	// on the store when no server runs).
	Settle func(list string, number int, outcome, note string) error
	// SendDigest sends the digest of list ("" for every list) now and
	// returns how many posts it carried (tacit digest send).
	SendDigest func(list string) (int, error)
	// PeerAllowed says whether the socket serves a connection whose peer
	// runs as uid; nil allows the server's own user and root only.
	PeerAllowed func(uid uint32) bool
	// Authenticity is the server's checker of senders (trusted relays,
	// authserv-id), which `tacit explain` reads a message with, and
	// Authentication the lists' default mode ("" means
	// storage.AuthDKIMOrConfirm).
	Authenticity   dkim.Checker
	Authentication string
}

// Admin runs administration commands on a store.
type Admin struct {
	o Options
	// lang is the language of the request being run ("fr" or "en"):
	// ExecuteIn runs each request on its own copy.
	lang string
}

// New returns an Admin.
func New(o Options) *Admin {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Language == "" {
		o.Language = "fr"
	}
	return &Admin{o: o, lang: requestLang("", o.Language)}
}

// UsageError is returned for a command line that does not parse. Its
// Error is in English; In gives it in French too.
type UsageError struct {
	// Msg is the message in English.
	Msg string
	// Fr is the message in French; "" for Msg in every language.
	Fr string
}

func (e *UsageError) Error() string { return e.Msg }

// In returns the message in lang: English for "en", else French.
func (e *UsageError) In(lang string) string {
	if lang == "en" || e.Fr == "" {
		return e.Msg
	}
	return e.Fr
}

// usage is the UsageError of a command line that does not fit the
// usage of the command named: its usage from the table, and what to
// run for its flags.
func usage(name string) *UsageError {
	c, ok := FindCommand(strings.Fields(name))
	if !ok {
		return &UsageError{Msg: "usage: tacit " + name}
	}
	line := strings.Join(strings.Fields(strings.Join(c.Usage, " ")), " ")
	return &UsageError{
		Msg: "usage: " + line + " (tacit " + c.Name + " --help)",
		Fr:  "usage : " + line + " (tacit " + c.Name + " --help)",
	}
}

// Execute runs one command, args being what follows `tacit` on the command
// line (e.g. "member", "add", "jardin@lists.localhost", "a@example.org"),
// and writes its output to w, control characters escaped (with --json,
// as JSON escapes). Its output and errors are in the server's language
// (Options.Language).
func (a *Admin) Execute(ctx context.Context, args []string, w io.Writer) error {
	return a.ExecuteIn(ctx, "", args, w)
}

// ExecuteIn is Execute with the output and errors in lang: "en" for
// English, "fr" for French, "" for the server's language. --json output
// is the same in every language.
func (a *Admin) ExecuteIn(ctx context.Context, lang string, args []string, w io.Writer) error {
	r := *a
	r.lang = requestLang(lang, a.o.Language)
	var out bytes.Buffer
	err := r.execute(ctx, args, &out)
	if _, werr := io.WriteString(w, escapeOutput(out.String(), wantsJSON(args))); werr != nil && err == nil {
		err = fmt.Errorf("admin: write output: %w", werr)
	}
	return err
}

func (a *Admin) execute(ctx context.Context, args []string, w io.Writer) error {
	c, ok := FindCommand(args)
	if !ok || c.Local {
		return UnknownCommand(args)
	}
	if WantsHelp(args) {
		// --help sent to the server: the same help as the command
		// line's, and nothing run.
		writeOne(w, c, a.lang)
		return nil
	}
	return c.run(a, args[len(strings.Fields(c.Name)):], w)
}

type request struct {
	Args []string `json:"args"`
	// Lang is the caller's language, "fr" or "en"; absent (older
	// clients), the server's.
	Lang string `json:"lang,omitempty"`
}

type response struct {
	Output string `json:"output"`
	Error  string `json:"error,omitempty"`
	Usage  bool   `json:"usage,omitempty"`
	// ErrorFr is a usage error's message in French.
	ErrorFr string `json:"error_fr,omitempty"`
}

// Serve answers admin requests on l until ctx is done or l is closed.
func (a *Admin) Serve(ctx context.Context, l net.Listener, log *slog.Logger) {
	go func() {
		<-ctx.Done()
		l.Close()
	}()
	for {
		c, err := l.Accept()
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				log.Error("admin: accept", "err", err)
			}
			return
		}
		go a.serveConn(ctx, c, log)
	}
}

func (a *Admin) serveConn(ctx context.Context, c net.Conn, log *slog.Logger) {
	defer c.Close()
	defer func() {
		// A command that fails so badly must not take the server (and
		// every list) down with it.
		if r := recover(); r != nil {
			log.Error("admin: command panicked", "panic", r)
			_ = json.NewEncoder(c).Encode(response{Error: fmt.Sprintf("admin: internal error: %v", r)})
		}
	}()
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	var req request
	derr := json.NewDecoder(bufio.NewReader(io.LimitReader(c, 1<<20))).Decode(&req)
	// The request is read first, so that the refusal reaches the peer.
	if err := a.checkPeer(c); err != nil {
		var re *refusedError
		if errors.As(err, &re) {
			re.lang = requestLang(req.Lang, a.o.Language)
			log.Warn("admin: connection refused", "uid", re.uid, "args", strings.Join(req.Args, " "))
		} else {
			log.Warn("admin: connection refused", "err", err)
		}
		_ = json.NewEncoder(c).Encode(response{Error: err.Error()})
		return
	}
	if derr != nil {
		log.Warn("admin: bad request", "err", derr)
		return
	}
	var out strings.Builder
	err := a.ExecuteIn(ctx, req.Lang, req.Args, &out)
	resp := response{Output: out.String()}
	if err != nil {
		resp.Error = err.Error()
		var ue *UsageError
		if resp.Usage = errors.As(err, &ue); resp.Usage && ue.Error() == resp.Error {
			resp.ErrorFr = ue.Fr
		}
	}
	log.Info("admin command", "args", strings.Join(req.Args, " "), "err", resp.Error)
	_ = json.NewEncoder(c).Encode(resp)
}

// ErrNoServer is returned by Call when no server answers on the socket.
var ErrNoServer = errors.New("admin: no server on the socket")

// Call sends args to the server listening on socket and copies its output
// to w, in the server's language. It returns ErrNoServer when nothing
// listens there.
func Call(ctx context.Context, socket string, args []string, w io.Writer) error {
	return CallIn(ctx, socket, "", args, w)
}

// CallIn is Call with the output and errors in lang ("fr" or "en"; ""
// for the server's language).
func CallIn(ctx context.Context, socket, lang string, args []string, w io.Writer) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", socket)
	if errors.Is(err, os.ErrPermission) {
		if lang == "en" {
			return fmt.Errorf("admin: %s: permission denied: run tacit as the server's user or root", socket)
		}
		return fmt.Errorf("admin : %s : permission refusée : lancez tacit sous l'utilisateur du serveur ou root", socket)
	}
	if err != nil {
		return ErrNoServer
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Minute))
	if err := json.NewEncoder(c).Encode(request{Args: args, Lang: lang}); err != nil {
		return fmt.Errorf("admin: send to server: %w", err)
	}
	var resp response
	if err := json.NewDecoder(c).Decode(&resp); err != nil {
		return fmt.Errorf("admin: read server answer: %w", err)
	}
	if _, err := io.WriteString(w, resp.Output); err != nil {
		return fmt.Errorf("admin: write output: %w", err)
	}
	switch {
	case resp.Error == "":
		return nil
	case resp.Usage:
		return &UsageError{Msg: resp.Error, Fr: resp.ErrorFr}
	default:
		return errors.New(resp.Error)
	}
}

// backup runs `tacit backup FILE`: a consistent copy of the store, taken
// while it is in use (by the server, when one runs).
func (a *Admin) backup(args []string, w io.Writer) error {
	if len(args) != 1 || !filepath.IsAbs(args[0]) {
		return usage("backup")
	}
	if err := a.o.Store.Backup(args[0]); err != nil {
		return err
	}
	a.printf(w, "sauvegarde écrite dans %s\n", "backup written to %s\n", args[0])
	return nil
}
