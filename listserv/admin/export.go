package admin

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"tacit/consensus"
	"tacit/storage"
)

// `tacit list export LIST [--output DIR]` writes DIR/LIST.mbox, the
// list's archive, and DIR/LIST.json, its register; `tacit list rm LIST
// [--force]` removes the list, once an export holds everything it has.

// ExportFormat names the layout of LIST.json.
const ExportFormat = "tacit-list-export/1"

// exportDoc is LIST.json.
type exportDoc struct {
	Format     string    `json:"format"`
	ExportedAt time.Time `json:"exported_at"`
	// List is the list's settings.
	List      storage.List      `json:"list"`
	Members   []storage.Member  `json:"members"`
	Bans      []storage.Ban     `json:"bans"`
	Moderated []storage.Ban     `json:"moderated"`
	Proposals []exportProposal  `json:"proposals"`
	Meetings  []storage.Meeting `json:"meetings"`
	// Held are the posts waiting for moderation (not in the mbox).
	Held    []storage.Held `json:"held"`
	Archive exportArchive  `json:"archive"`
}

// exportProposal is a proposal with its timeline, as `proposal show
// --json` prints it.
type exportProposal struct {
	consensus.Proposal
	Events []storage.ProposalEvent `json:"events"`
}

// exportArchive says where the archive went.
type exportArchive struct {
	File     string `json:"file"`
	Messages int    `json:"messages"`
}

// ExportFiles returns the names of the files `list export` writes for
// list in dir.
func ExportFiles(dir, list string) (mbox, register string) {
	return filepath.Join(dir, list+".mbox"), filepath.Join(dir, list+".json")
}

func (a *Admin) listExport(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("list export", flag.ContinueOnError)
	dir := fs.String("output", "", "the directory to write LIST.mbox and LIST.json in")
	pos, err := parseN(fs, args, 1)
	if err != nil {
		return err
	}
	if !filepath.IsAbs(*dir) {
		// The server may run in another directory: the command line
		// sends an absolute one (the current directory by default).
		return &UsageError{Msg: "list export: --output must be an absolute directory",
			Fr: "list export : --output doit être un dossier absolu"}
	}
	list, err := a.checkListAddress(pos[0])
	if err != nil {
		return err
	}
	// The state first: whatever changes while the files are written
	// makes this export stale for list rm.
	state, err := a.o.Store.ListState(list)
	if err != nil {
		return a.notFoundList(list, err)
	}
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		return a.errorf("list export : %w", "list export: %w", err)
	}
	mboxPath, jsonPath := ExportFiles(*dir, list)
	now := a.o.Now().UTC()
	n := 0
	if err := writeFileAtomic(mboxPath, func(f io.Writer) error {
		var err error
		n, err = a.writeMbox(f, list)
		return err
	}); err != nil {
		return a.errorf("list export : %w", "list export: %w", err)
	}
	doc, err := a.register(list, now)
	if err != nil {
		return a.errorf("list export : %w", "list export: %w", err)
	}
	doc.Archive = exportArchive{File: filepath.Base(mboxPath), Messages: n}
	if err := writeFileAtomic(jsonPath, func(f io.Writer) error { return writeJSON(f, doc) }); err != nil {
		return a.errorf("list export : %w", "list export: %w", err)
	}
	if err := a.o.Store.MarkExported(list, now, state); err != nil {
		return err
	}
	a.printf(w, "%s exportée : ses archives, %s, dans %s ; son registre dans %s\n",
		"exported %s: its archive, %s, to %s; its register to %s\n", list, a.count(n, "message", "messages", "message", "messages"), mboxPath, jsonPath)
	return nil
}

// register reads what LIST.json holds, but the archive.
func (a *Admin) register(list string, now time.Time) (exportDoc, error) {
	st := a.o.Store
	doc := exportDoc{Format: ExportFormat, ExportedAt: now}
	var err error
	if doc.List, err = st.List(list); err != nil {
		return doc, err
	}
	if doc.Members, err = st.Members(list); err != nil {
		return doc, err
	}
	for i := range doc.Members {
		doc.Members[i].PasswordHash = "" // a secret of the member's, not of the list
	}
	if doc.Bans, err = st.Bans(list); err != nil {
		return doc, err
	}
	if doc.Moderated, err = st.ModeratedAddresses(list); err != nil {
		return doc, err
	}
	ps, err := st.Proposals(list)
	if err != nil {
		return doc, err
	}
	for _, p := range ps {
		events, err := st.ProposalEvents(storage.ProposalRef{List: list, Number: p.Number})
		if err != nil {
			return doc, err
		}
		doc.Proposals = append(doc.Proposals, exportProposal{Proposal: p, Events: nonNil(events)})
	}
	if doc.Meetings, err = st.Meetings(list); err != nil {
		return doc, err
	}
	if doc.Held, err = st.HeldPosts(list); err != nil {
		return doc, err
	}
	for i := range doc.Held {
		doc.Held[i].Token = "" // the secret of the owners' notice
	}
	doc.Members, doc.Bans, doc.Moderated = nonNil(doc.Members), nonNil(doc.Bans), nonNil(doc.Moderated)
	doc.Proposals, doc.Meetings, doc.Held = nonNil(doc.Proposals), nonNil(doc.Meetings), nonNil(doc.Held)
	return doc, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// writeMbox writes list's archive to w as an mboxrd file, oldest first,
// each message as the list distributed it, and returns how many.
func (a *Admin) writeMbox(w io.Writer, list string) (int, error) {
	bw := bufio.NewWriter(w)
	n := 0
	var after uint64
	for {
		entries, err := a.o.Store.ArchiveEntries(list, after, 200)
		if err != nil {
			return n, err
		}
		if len(entries) == 0 {
			break
		}
		for _, e := range entries {
			after = e.Seq
			_, raw, err := a.o.Store.ArchivedMessage(list, e.Seq)
			if errors.Is(err, storage.ErrNotFound) {
				continue // an entry whose message is gone
			}
			if err != nil {
				return n, err
			}
			writeMboxMessage(bw, e, raw)
			n++
		}
	}
	return n, bw.Flush()
}

var fromLine = regexp.MustCompile(`^>*From `)

// writeMboxMessage writes one message of an mboxrd file: its "From "
// line (the author, the date it was distributed), its lines with LF
// endings, each line starting with ">"s and "From " quoted by one more
// ">", and an empty line.
func writeMboxMessage(w *bufio.Writer, e storage.ArchiveEntry, raw []byte) {
	sender := strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f {
			return -1
		}
		return r
	}, e.From)
	if sender == "" {
		sender = "MAILER-DAEMON"
	}
	fmt.Fprintf(w, "From %s %s\n", sender, e.At.UTC().Format(time.ANSIC))
	raw = bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		if fromLine.Match(line) {
			w.WriteByte('>')
		}
		w.Write(line)
		w.WriteByte('\n')
	}
	w.WriteByte('\n')
}

// writeFileAtomic writes path (mode 0600) through a temporary file
// renamed into place once complete and synced: an interrupted export
// leaves the previous file as it was.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	err = write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func (a *Admin) listRm(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("list rm", flag.ContinueOnError)
	force := fs.Bool("force", false, "remove the list even without an export since its last change")
	list, err := a.listArg(fs, args)
	if err != nil {
		return err
	}
	r, err := a.o.Store.RemoveList(list, *force)
	var ne *storage.NotExportedError
	switch {
	case errors.As(err, &ne):
		return a.notExported(list, ne.Exported)
	case err != nil:
		return a.notFoundList(list, err)
	}
	a.printf(w, "liste %s supprimée : %s, %s, %s, %s, %s, %s ; %s ; %s\n",
		"removed list %s: %s, %s, %s, %s, %s, %s; %s; %s\n", list,
		a.count(r.Members, "membre", "membres", "member", "members"),
		a.count(r.Posts, "message archivé", "messages archivés", "archived message", "archived messages"),
		a.count(r.Proposals, "proposition", "propositions", "proposal", "proposals"),
		a.count(r.Held, "message retenu", "messages retenus", "held post", "held posts"),
		a.count(r.Meetings, "réunion", "réunions", "meeting", "meetings"),
		a.count(r.Confirmations, "confirmation en attente", "confirmations en attente", "pending confirmation", "pending confirmations"),
		a.count(r.Queued, "envoi en attente annulé", "envois en attente annulés", "queued delivery cancelled", "queued deliveries cancelled"),
		a.count(r.Messages, "message stocké effacé", "messages stockés effacés", "stored message deleted", "stored messages deleted"))
	return nil
}

// notExported is list rm's refusal, in the request's language.
func (a *Admin) notExported(list string, at time.Time) error {
	loc := a.o.Location
	if loc == nil {
		loc = time.UTC
	}
	when := at.In(loc)
	if a.lang == "en" {
		why := "was never exported"
		if !at.IsZero() {
			why = "changed since its last export, on " + when.Format("2006-01-02 15:04")
		}
		return fmt.Errorf("list %s %s: run tacit list export %s first, which saves its archive and register "+
			"(they are kept nowhere else), or tacit list rm %s --force to delete it anyway and lose them", list, why, list, list)
	}
	why := "n'a jamais été exportée"
	if !at.IsZero() {
		why = "a changé depuis sa dernière exportation, le " + when.Format("02/01/2006 à 15h04")
	}
	return fmt.Errorf("la liste %s %s : lancez d'abord tacit list export %s, qui enregistre ses archives et son registre "+
		"(ils ne sont conservés nulle part ailleurs), ou tacit list rm %s --force pour la supprimer quand même et les perdre", list, why, list, list)
}
