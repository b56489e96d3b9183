package admin

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"tacit/consensus"
	"tacit/storage"
)

// proposalLs lists proposals: tacit proposal ls [LIST] [--status S] [--json].
func (a *Admin) proposalLs(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("proposal ls", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	status := fs.String("status", "", "open, adopted, blocked or withdrawn")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usage("proposal ls")
	}
	if *status != "" && !consensus.Status(*status).Valid() {
		return &UsageError{Msg: fmt.Sprintf("--status %q: want open, adopted, blocked, withdrawn or rejected", *status),
			Fr: fmt.Sprintf("--status %q : écrire open, adopted, blocked, withdrawn ou rejected", *status)}
	}
	list, err := a.optionalList(pos)
	if err != nil {
		return err
	}
	all, err := a.o.Store.Proposals(list)
	if err != nil {
		return err
	}
	ps := []consensus.Proposal{}
	for _, p := range all {
		if *status == "" || string(p.Status) == *status {
			ps = append(ps, p)
		}
	}
	if *asJSON {
		return writeJSON(w, ps)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, a.tr("ID\tÉTAT\tÉCHÉANCE\tOBJECTIONS\tSOUTIENS\tAUTEUR\tTITRE",
		"ID\tSTATUS\tDEADLINE\tOBJECTIONS\tSUPPORTS\tAUTHOR\tTITLE"))
	for _, p := range ps {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\n", Escape(proposalID(p)), Escape(string(p.Status)),
			p.Deadline.Format(time.RFC3339), len(p.Objections), len(p.Supports), Escape(p.Author), Escape(p.Title))
	}
	return tw.Flush()
}

// proposalID names a proposal the way `proposal show` reads it.
func proposalID(p consensus.Proposal) string {
	local, _, _ := strings.Cut(p.List, "@")
	return fmt.Sprintf("%s#%d", local, p.Number)
}

// proposalShow shows one proposal with its timeline.
func (a *Admin) proposalShow(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("proposal show", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseN(fs, args, 1)
	if err != nil {
		return err
	}
	ref, err := a.proposalRef(pos[0])
	if err != nil {
		return err
	}
	p, err := a.o.Store.Proposal(ref)
	if errors.Is(err, storage.ErrNotFound) {
		return a.errorf("la proposition %s n'existe pas", "no proposal %s", pos[0])
	} else if err != nil {
		return err
	}
	events, err := a.o.Store.ProposalEvents(ref)
	if err != nil {
		return err
	}
	if events == nil {
		events = []storage.ProposalEvent{}
	}
	if *asJSON {
		return writeJSON(w, struct {
			consensus.Proposal
			Events []storage.ProposalEvent `json:"events"`
		}{p, events})
	}
	fmt.Fprintf(w, "%s  %s\n", Escape(proposalID(p)), Escape(p.Title))
	a.printf(w, "état :       %s\n", "status:     %s\n", Escape(string(p.Status)))
	a.printf(w, "auteur :     %s\n", "author:     %s\n", Escape(p.Author))
	a.printf(w, "ouverte :    %s\n", "opened:     %s\n", p.Opened.Format(time.RFC3339))
	a.printf(w, "échéance :   %s\n", "deadline:   %s\n", p.Deadline.Format(time.RFC3339))
	if !p.Decided.IsZero() {
		a.printf(w, "décidée :    %s\n", "decided:    %s\n", p.Decided.Format(time.RFC3339))
	}
	a.printf(w, "réponses :   %d\n", "replies:    %d\n", p.Replies)
	for _, o := range p.Objections {
		a.printf(w, "objection :  %s (%s) %s\n", "objection:  %s (%s) %s\n", Escape(o.Member), o.At.Format(time.RFC3339), Escape(o.Reason))
	}
	for _, s := range p.Supports {
		a.printf(w, "soutien :    %s (%s)\n", "support:    %s (%s)\n", Escape(s.Member), s.At.Format(time.RFC3339))
	}
	fmt.Fprintln(w, a.tr("historique :", "timeline:"))
	for _, e := range events {
		fmt.Fprintf(w, "  %s  %-8s %s %s\n", e.At.Format(time.RFC3339), Escape(string(e.Kind)), Escape(e.From), Escape(a.eventDetail(e)))
	}
	for i, v := range p.Versions {
		a.printf(w, "version %d (%s) :\n", "version %d (%s):\n", i+1, v.At.Format(time.RFC3339))
		for _, line := range strings.Split(strings.TrimRight(v.Text, "\r\n"), "\n") {
			// A line of the text: its tabs are kept, the rest escaped.
			fmt.Fprintln(w, "  | "+escapeOutput(strings.TrimSuffix(line, "\r"), false))
		}
	}
	return nil
}

// proposalRef reads "NAME#N", "NAME@DOMAIN#N", or "N" when only one list
// has a proposal N.
func (a *Admin) proposalRef(id string) (storage.ProposalRef, error) {
	list, num, hasList := strings.Cut(id, "#")
	if !hasList {
		num, list = list, ""
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 {
		return storage.ProposalRef{}, &UsageError{Msg: fmt.Sprintf("proposal %q: want LIST#N, e.g. jardin#3", id),
			Fr: fmt.Sprintf("proposition %q : écrire LIST#N, par exemple jardin#3", id)}
	}
	if list != "" {
		addr, err := a.checkListAddress(list)
		if err != nil {
			return storage.ProposalRef{}, err
		}
		return storage.ProposalRef{List: addr, Number: n}, nil
	}
	all, err := a.o.Store.Proposals("")
	if err != nil {
		return storage.ProposalRef{}, err
	}
	var found []storage.ProposalRef
	for _, p := range all {
		if p.Number == n {
			found = append(found, storage.ProposalRef{List: p.List, Number: n})
		}
	}
	switch len(found) {
	case 0:
		return storage.ProposalRef{}, a.errorf("la proposition %s n'existe pas", "no proposal %s", id)
	case 1:
		return found[0], nil
	}
	return storage.ProposalRef{}, &UsageError{Msg: fmt.Sprintf("proposal %s exists in several lists: write LIST#%d", id, n),
		Fr: fmt.Sprintf("la proposition %s existe dans plusieurs listes : écrire LIST#%d", id, n)}
}

// eventDetail writes a timeline event's fields for the terminal: the new
// status, the reason, why it did not count, how its sender was
// authenticated.
func (a *Admin) eventDetail(e storage.ProposalEvent) string {
	var parts []string
	if e.Status != "" {
		parts = append(parts, string(e.Status))
	}
	if len(e.Commands) > 0 {
		kinds := make([]string, len(e.Commands))
		for i, k := range e.Commands {
			kinds[i] = string(k)
		}
		parts = append(parts, a.tr("en attente de confirmation : ", "waiting for confirmation: ")+strings.Join(kinds, ", "))
	}
	if e.Reason != "" {
		parts = append(parts, e.Reason)
	}
	if e.Refusal != "" {
		parts = append(parts, a.tr("non comptée : ", "not counted: ")+e.Refusal)
	}
	if e.Auth != "" {
		parts = append(parts, a.tr("authentification : ", "auth: ")+e.Auth)
	}
	if e.Channel == storage.ChannelWeb {
		parts = append(parts, a.tr("par le web", "via the web"))
	}
	if e.Note != "" {
		parts = append(parts, "("+e.Note+")")
	}
	return strings.Join(parts, " ")
}
