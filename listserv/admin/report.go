package admin

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"tacit/listserv/register"
)

// report runs `tacit report LIST [--from DATE] [--to DATE] [--format
// text|html|csv|json]` (docs/meetings.md): the record of the decisions
// taken on LIST over a period, for a general assembly. Dates are days in
// the server's timezone, both included; the default is the last twelve
// months up to today. It is the record the list's register serves at
// /lists/NAME/report, for any list, public or not, in the list's
// language.
func (a *Admin) report(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	from := fs.String("from", "", "first day of the period, YYYY-MM-DD (default: twelve months before --to)")
	to := fs.String("to", "", "last day of the period, YYYY-MM-DD (default: today)")
	format := fs.String("format", register.ReportFormats[0], "text, html, csv or json")
	pos, err := parseN(fs, args, 1)
	if err != nil {
		return err
	}
	if !slices.Contains(register.ReportFormats, *format) {
		return &UsageError{Msg: fmt.Sprintf("report: --format %q: want text, html, csv or json", *format),
			Fr: fmt.Sprintf("report : --format %q : écrire text, html, csv ou json", *format)}
	}
	addr, err := a.checkListAddress(pos[0])
	if err != nil {
		return err
	}
	l, err := a.o.Store.List(addr)
	if err != nil {
		return a.notFoundList(addr, err)
	}
	now := a.o.Now()
	period, err := register.ParsePeriod(*from, *to, now, a.o.Location)
	if err != nil {
		return periodError(*from, *to, err)
	}
	ps, err := a.o.Store.Proposals(addr)
	if err != nil {
		return err
	}
	lang := l.Lang
	if lang == "" {
		lang = a.o.Language
	}
	var buf bytes.Buffer
	err = register.WriteReport(&buf, *format, register.ReportOptions{List: l, Proposals: ps, Period: period,
		Lang: lang, Location: a.o.Location, Now: now, LineFeed: true})
	if err != nil {
		return err
	}
	out := buf.String()
	if *format == "json" {
		// Execute escapes what a terminal must not receive; DEL is the
		// one such character encoding/json leaves raw, and its escape
		// must be JSON's.
		out = strings.ReplaceAll(out, "\x7f", `\u007f`)
	}
	_, err = io.WriteString(w, out)
	return err
}

// periodError is report's usage error for a period register.ParsePeriod
// refused (err, in English): a day badly written, or one after the other.
func periodError(from, to string, err error) *UsageError {
	u := &UsageError{Msg: "report: " + err.Error(),
		Fr: "report : --from est après --to : la période finit avant de commencer"}
	for _, d := range []struct{ name, value string }{{"to", to}, {"from", from}} {
		if _, perr := time.Parse("2006-01-02", d.value); d.value != "" && perr != nil {
			u.Fr = fmt.Sprintf("report : %s %q : écrire une date AAAA-MM-JJ, par exemple 2026-12-01", d.name, d.value)
			break
		}
	}
	return u
}
