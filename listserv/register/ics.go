package register

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"tacit/consensus"
	"tacit/storage"
)

// icsTime is the UTC form of DATE-TIME (RFC 5545 section 3.3.5).
const icsTime = "20060102T150405Z"

// icsWriter writes iCalendar content lines (RFC 5545 section 3.1): CRLF
// ends, lines folded at 75 octets without splitting a UTF-8 character.
type icsWriter struct {
	buf bytes.Buffer
}

// line writes one content line "name:value"; value must already be
// escaped when it is TEXT (see icsText).
func (iw *icsWriter) line(name, value string) {
	s := name + ":" + value
	const limit = 75
	width := limit
	for len(s) > width {
		cut := width
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		iw.buf.WriteString(s[:cut])
		iw.buf.WriteString("\r\n ")
		s = s[cut:]
		width = limit - 1 // the leading space of a continuation counts
	}
	iw.buf.WriteString(s)
	iw.buf.WriteString("\r\n")
}

// icsText escapes a TEXT value (RFC 5545 section 3.3.11): backslash,
// semicolon, comma and newlines; other control characters are dropped.
func icsText(s string) string {
	var b strings.Builder
	s = strings.ReplaceAll(s, "\r\n", "\n")
	for _, r := range s {
		switch {
		case r == '\\' || r == ';' || r == ',':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n' || r == '\r':
			b.WriteString(`\n`)
		case r < 0x20 && r != '\t' || r == 0x7f:
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// writeICS writes one VEVENT per open proposal, at its deadline, so that
// members can subscribe to the list's deadlines in a calendar. An
// event's UID never changes; its SEQUENCE counts the amendments that
// moved it, its LAST-MODIFIED is when the current version came, and its
// DESCRIPTION holds the current text, after when and how it was last
// amended. Then one VEVENT per meeting of the list (ms), past ones
// included, so that a subscribed calendar keeps them (see meetingEvent).
func (h *handler) writeICS(w http.ResponseWriter, req request, ps []consensus.Proposal, ms []storage.Meeting) error {
	name := listName(req.list)
	var iw icsWriter
	iw.line("BEGIN", "VCALENDAR")
	iw.line("VERSION", "2.0")
	iw.line("PRODID", "-//tacit//decision register//"+strings.ToUpper(req.w.Lang))
	iw.line("CALSCALE", "GREGORIAN")
	iw.line("METHOD", "PUBLISH")
	iw.line("NAME", icsText(fmt.Sprintf(req.w.FeedTitle, name)))
	iw.line("X-WR-CALNAME", icsText(fmt.Sprintf(req.w.FeedTitle, name)))
	iw.line("SOURCE", req.base+req.path+".ics"+req.query)
	iw.line("REFRESH-INTERVAL;VALUE=DURATION", "PT1H")
	iw.line("X-PUBLISHED-TTL", "PT1H")
	stamp := h.o.Now().UTC().Format(icsTime)
	for _, p := range ps {
		due := deadline(p)
		if p.Status != consensus.StatusOpen || due.IsZero() {
			continue
		}
		// An amendment moves the deadline: LAST-MODIFIED and SEQUENCE
		// change with it, so that calendars replace the event.
		revised := p.Opened
		if at := p.Current().At; at.After(revised) {
			revised = at
		}
		url := req.proposalURL(p.Number) + req.query
		desc := fmt.Sprintf(req.w.EventText, p.Number, req.list.Address) + "\n\n"
		if a := req.w.amended(p, h.o.Location, false); a != "" {
			desc += sentence(a) + "\n\n"
		}
		desc += p.Current().Text + "\n\n" + url
		iw.line("BEGIN", "VEVENT")
		iw.line("UID", icsUID(req, p.Number))
		iw.line("DTSTAMP", stamp)
		iw.line("DTSTART", due.UTC().Format(icsTime))
		iw.line("DURATION", "PT0S")
		iw.line("SEQUENCE", strconv.Itoa(max(len(p.Versions)-1, 0)))
		if !revised.IsZero() {
			iw.line("CREATED", p.Opened.UTC().Format(icsTime))
			iw.line("LAST-MODIFIED", revised.UTC().Format(icsTime))
		}
		summary := fmt.Sprintf(req.w.EventSummary, p.Number, p.Title)
		if p.Amended() {
			summary += " (" + req.w.Amended + ")"
		}
		iw.line("SUMMARY", icsText(summary))
		iw.line("DESCRIPTION", icsText(desc))
		iw.line("URL", url)
		iw.line("STATUS", "CONFIRMED")
		iw.line("TRANSP", "TRANSPARENT")
		iw.line("CLASS", "PUBLIC")
		iw.line("END", "VEVENT")
	}
	for _, m := range ms {
		h.meetingEvent(&iw, req, m, stamp)
	}
	iw.line("END", "VCALENDAR")
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `inline; filename="`+req.list.LocalPart()+`-decisions.ics"`)
	return write(w, iw.buf.Bytes())
}

// icsUID is the stable UID of proposal n's deadline: the proposal number
// then the list's address, which no other list or server shares.
func icsUID(req request, n int) string {
	return "proposal-" + strconv.Itoa(n) + "." + req.list.LocalPart() + "@" + req.list.Domain()
}

// meetingEvent writes the VEVENT of meeting m: its UID is the meeting's
// id then the list's address, which never changes; DTSTART is when it
// starts, and it has no end, since tacit is not told one (a calendar
// shows it at its time, as it shows the deadlines); its SUMMARY is its
// title, or the list's name; LOCATION its place. A meeting is never
// edited (tacit meeting rm, then add), so its SEQUENCE stays 0.
func (h *handler) meetingEvent(iw *icsWriter, req request, m storage.Meeting, stamp string) {
	summary := fmt.Sprintf(req.w.MeetingOf, listName(req.list))
	if title := strings.TrimSpace(m.Title); title != "" {
		summary = fmt.Sprintf(req.w.MeetingTitled, title)
	}
	url := req.base + req.path + req.query
	iw.line("BEGIN", "VEVENT")
	iw.line("UID", meetingUID(req, m.ID))
	iw.line("DTSTAMP", stamp)
	iw.line("DTSTART", m.At.UTC().Format(icsTime))
	iw.line("SEQUENCE", "0")
	if !m.Created.IsZero() {
		iw.line("CREATED", m.Created.UTC().Format(icsTime))
		iw.line("LAST-MODIFIED", m.Created.UTC().Format(icsTime))
	}
	iw.line("SUMMARY", icsText(summary))
	if place := strings.TrimSpace(m.Place); place != "" {
		iw.line("LOCATION", icsText(place))
	}
	iw.line("DESCRIPTION", icsText(fmt.Sprintf(req.w.MeetingText, req.list.Address)+"\n\n"+url))
	iw.line("URL", url)
	iw.line("STATUS", "CONFIRMED")
	iw.line("TRANSP", "OPAQUE")
	iw.line("CLASS", "PUBLIC")
	iw.line("END", "VEVENT")
}

// meetingUID is the stable UID of meeting id of the list: "meeting-3.
// jardin@lists.test", beside the deadlines' "proposal-5.jardin@…".
func meetingUID(req request, id uint64) string {
	return "meeting-" + strconv.FormatUint(id, 10) + "." + req.list.LocalPart() + "@" + req.list.Domain()
}
