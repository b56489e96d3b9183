package admin

import (
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"

	"tacit/listserv/classify"
	"tacit/listserv/dkim"
	"tacit/storage"
)

// maxExplained bounds the message `tacit explain` reads.
const maxExplained = 64 << 20

// explain runs `tacit explain FILE [--list NAME] [--json]`: what the
// server reads in one message, threaded with this store (docs/admin.md).
// FILE is an absolute path: the server may run in another directory.
func (a *Admin) explain(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "print one JSON document")
	list := fs.String("list", "", "the list's NAME or address (default: from the To header)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || !filepath.IsAbs(pos[0]) {
		return usage("explain")
	}
	raw, err := readBounded(pos[0])
	if err != nil {
		return a.errorf("explain : %w", "explain: %w", err)
	}
	o := classify.ExplainOptions{List: *list, Domain: a.o.Domain, Location: a.o.Location, Now: a.o.Now}
	if a.o.Store != nil {
		o.Index = a.o.Store
	}
	e, err := classify.Explain(raw, o)
	if err != nil {
		return a.errorf("explain : %w", "explain: %w", err)
	}
	e.Authentication = a.authentication(raw, e.List)
	if *asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(e)
	}
	e.WriteText(w, a.lang)
	return nil
}

// readBounded reads a file of at most maxExplained bytes.
func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxExplained))
}

// authentication reads how the server would authenticate the sender of
// raw, and what that means under the mode of list.
func (a *Admin) authentication(raw []byte, list string) *classify.Authentication {
	r := a.o.Authenticity.Read(raw)
	mode := a.o.Authentication
	if mode == "" {
		mode = storage.AuthDKIMOrConfirm
	}
	if a.o.Store != nil && list != "" {
		if l, err := a.o.Store.List(storage.NormalizeAddress(list)); err == nil {
			switch {
			case l.Authentication != "":
				mode = l.Authentication
			case l.RequireAuth:
				mode = storage.AuthDKIM
			}
		}
	}
	return &classify.Authentication{Method: r.Method, Domain: r.Domain, Result: r.Result, DNSError: r.DNSError,
		Mode: mode, Effect: authEffect(mode, r.Result)}
}

// authEffect is what mode makes of an authentication result: "counts",
// "confirm" or "refused".
func authEffect(mode, result string) string {
	switch {
	case result == dkim.ResultPass || mode == storage.AuthNone:
		return "counts"
	case mode == storage.AuthDKIM:
		return "refused"
	}
	return "confirm"
}
