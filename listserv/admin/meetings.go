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
	"tacit/listserv/notice"
	"tacit/storage"
)

// meetingAdd runs `tacit meeting add LIST WHEN [--place TEXT] [--title
// TEXT]`: WHEN in the words of a deadline ("12/01/2027 18h30", "mardi
// 18h"), in the server's timezone.
func (a *Admin) meetingAdd(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("meeting add", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	place := fs.String("place", "", "where the meeting is")
	title := fs.String("title", "", "what it is")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return usage("meeting add")
	}
	list, err := a.checkListAddress(pos[0])
	if err != nil {
		return err
	}
	loc := a.o.Location
	if loc == nil {
		loc = time.UTC
	}
	at, rest, err := consensus.ParseWhen(strings.Join(pos[1:], " "), a.o.Now(), loc)
	if err != nil {
		when := strings.Join(pos[1:], " ")
		if a.lang == "en" {
			return fmt.Errorf("meeting add: %q: %w", when, err)
		}
		if errors.Is(err, consensus.ErrDeadlinePassed) {
			return fmt.Errorf("meeting add : %q est passé", when)
		}
		return fmt.Errorf("meeting add : %q n'est pas une date comprise (par exemple 12/01/2027 18h30)", when)
	}
	if *place == "" {
		*place = rest
	}
	m, err := a.o.Store.AddMeeting(storage.Meeting{List: list, At: at, Place: *place, Title: *title,
		Created: a.o.Now().UTC(), By: "cli"})
	if err != nil {
		return a.notFoundList(list, err)
	}
	if a.lang == "en" {
		fmt.Fprintf(w, "meeting %d of %s on %s%s\n", m.ID, list, at.In(loc).Format("Mon 2006-01-02 15:04 MST"),
			placeSuffix(m.Place))
		return nil
	}
	fmt.Fprintf(w, "réunion %d de %s le %s%s\n", m.ID, list, notice.Date(at, "fr", loc), placeSuffix(m.Place))
	return nil
}

func placeSuffix(place string) string {
	if place == "" {
		return ""
	}
	return ", " + place
}

// meetingLs runs `tacit meeting ls [LIST] [--json]`.
func (a *Admin) meetingLs(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("meeting ls", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usage("meeting ls")
	}
	list, err := a.optionalList(pos)
	if err != nil {
		return err
	}
	ms, err := a.o.Store.Meetings(list)
	if err != nil {
		return err
	}
	if *asJSON {
		if ms == nil {
			ms = []storage.Meeting{}
		}
		return writeJSON(w, ms)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, a.tr("ID\tLISTE\tQUAND\tLIEU\tTITRE\tORDRE DU JOUR", "ID\tLIST\tWHEN\tPLACE\tTITLE\tAGENDA"))
	for _, m := range ms {
		agenda := a.tr("à envoyer", "to send")
		if m.AgendaSent {
			agenda = a.tr("envoyé", "sent")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.List, m.At.Format(time.RFC3339), m.Place, m.Title, agenda)
	}
	return tw.Flush()
}

// meetingRm runs `tacit meeting rm LIST ID`.
func (a *Admin) meetingRm(args []string, w io.Writer) error {
	if len(args) != 2 {
		return usage("meeting rm")
	}
	list, err := a.checkListAddress(args[0])
	if err != nil {
		return err
	}
	id, err := strconv.ParseUint(args[1], 10, 64)
	if err != nil {
		return usage("meeting rm")
	}
	if err := a.o.Store.RemoveMeeting(list, id); err != nil {
		return a.errorf("aucune réunion %d pour %s", "no meeting %d of %s", id, list)
	}
	a.printf(w, "réunion %d de %s annulée\n", "removed meeting %d of %s\n", id, list)
	return nil
}

// proposalSettle runs `tacit proposal settle LIST#N
// adopted|rejected|postponed [--note TEXT]`: what a meeting decided.
func (a *Admin) proposalSettle(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("proposal settle", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	note := fs.String("note", "", "what the meeting noted")
	pos, err := parse(fs, args)
	bad := usage("proposal settle")
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return bad
	}
	ref, err := a.proposalRef(pos[0])
	if err != nil {
		return err
	}
	switch pos[1] {
	case consensus.SettleAdopted, consensus.SettleRejected, consensus.SettlePostponed:
	default:
		return bad
	}
	if a.o.Settle == nil {
		return errors.New(a.tr("proposal settle : impossible d'envoyer ici l'avis à la liste",
			"proposal settle: no way to send the list's notice here"))
	}
	if err := a.o.Settle(ref.List, ref.Number, pos[1], *note); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			if _, lerr := a.o.Store.List(ref.List); lerr != nil {
				return a.notFoundList(ref.List, lerr)
			}
			return a.errorf("la proposition %s n'existe pas", "no proposal %s", pos[0])
		}
		return a.localize(err)
	}
	fmt.Fprintf(w, "%s#%d: %s\n", ref.List, ref.Number, pos[1])
	return nil
}
