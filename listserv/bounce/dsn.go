package bounce

import (
	"bufio"
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-message/textproto"
)

// fields is a header block of a delivery-status part: lower-case field
// name → first value.
type fields map[string]string

// recipient reports whether the block is a per-recipient block.
func (f fields) recipient() bool {
	_, fr := f["final-recipient"]
	_, or := f["original-recipient"]
	_, ac := f["action"]
	return fr || or || ac
}

// looksLikeDSN reports whether a text/plain part is really a
// delivery-status part mislabelled by the MTA that sent it.
func looksLikeDSN(b []byte) bool {
	head := bytes.ToLower(bytes.TrimLeft(b[:min(len(b), 4096)], " \t\r\n"))
	for _, p := range []string{"reporting-mta:", "final-recipient:", "original-envelope-id:", "received-from-mta:", "dsn-gateway:"} {
		if bytes.HasPrefix(head, []byte(p)) {
			return bytes.Contains(head, []byte("final-recipient:")) || bytes.Contains(head, []byte("original-recipient:"))
		}
	}
	return false
}

// parseDSN reads the body of a message/delivery-status part: a
// per-message header block followed by per-recipient header blocks,
// separated by blank lines (RFC 3464 section 2.1). It returns the
// per-recipient blocks. A malformed line ends its block; the fields after
// it are merged back into the block they belong to.
func parseDSN(b []byte) []fields {
	b = normalizeBlankLines(b)
	rd := bytes.NewReader(b)
	br := bufio.NewReader(rd)
	pos := func() int { return len(b) - rd.Len() - br.Buffered() }
	var out []fields
	broken := false
	for range maxDSNBlocks {
		for {
			c, err := br.Peek(1)
			if err != nil || c[0] != '\n' {
				break
			}
			br.ReadByte()
		}
		if _, err := br.Peek(1); err != nil {
			break
		}
		start := pos()
		h, err := textproto.ReadHeader(br)
		f := fields{}
		for fs := h.Fields(); fs.Next(); {
			k := strings.ToLower(fs.Key())
			if _, ok := f[k]; !ok {
				f[k] = fs.Value()
			}
		}
		switch {
		case broken && len(out) > 0 && !f.recipient():
			last := out[len(out)-1]
			for k, v := range f {
				if _, ok := last[k]; !ok {
					last[k] = v
				}
			}
		case f.recipient():
			out = append(out, f)
		}
		broken = err != nil
		if pos() == start {
			break
		}
	}
	return out
}

// normalizeBlankLines turns CRLF into LF and whitespace-only lines into
// empty ones, so that blank lines separate header blocks whatever the MTA
// put in them.
func normalizeBlankLines(b []byte) []byte {
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	var out bytes.Buffer
	out.Grow(len(b) + 1)
	for line := range bytes.Lines(b) {
		if len(bytes.TrimSpace(line)) == 0 {
			out.WriteByte('\n')
			continue
		}
		out.Write(line)
	}
	return out.Bytes()
}

type action int

const (
	actionOther action = iota // delivered, relayed, expanded, unknown
	actionFailed
	actionDelayed
)

// dsnFailure reads a per-recipient block.
func dsnFailure(f fields) (Failure, action) {
	fl := Failure{
		Recipient:  address(f["final-recipient"]),
		Status:     findStatus(f["status"]),
		Diagnostic: cleanDiagnostic(stripType(f["diagnostic-code"])),
	}
	if fl.Recipient == "" {
		fl.Recipient = address(f["original-recipient"])
	}
	if ds := diagnosticStatus(fl.Diagnostic); ds != "" && (fl.Status == "" || strings.HasSuffix(fl.Status, ".0.0")) {
		fl.Status = ds
	}
	act := actionOther
	a := strings.ToLower(strings.TrimSpace(f["action"]))
	switch {
	case strings.HasPrefix(a, "fail"):
		act = actionFailed
	case strings.HasPrefix(a, "delay"):
		act = actionDelayed
	case a == "":
		// No Action field, against RFC 3464: go by the status.
		switch {
		case strings.HasPrefix(fl.Status, "5."):
			act = actionFailed
		case strings.HasPrefix(fl.Status, "4."):
			act = actionDelayed
		case fl.Status == "" && strings.HasPrefix(smtpCode(fl.Diagnostic), "5"):
			act = actionFailed
		}
	}
	fl.Kind = classify(fl.Status, fl.Diagnostic)
	return fl, act
}

// stripType removes the type from a typed DSN field ("smtp; 550 …",
// "rfc822; bob@example.org").
func stripType(v string) string {
	t, rest, ok := strings.Cut(v, ";")
	if !ok || len(t) > 32 {
		return v
	}
	for _, c := range strings.TrimSpace(t) {
		if !(c == '-' || c == '_' || c == '.' || unicode.IsLetter(c) || unicode.IsDigit(c)) {
			return v
		}
	}
	return rest
}

// address extracts a lower-case address from a recipient field, "" when
// there is none.
func address(v string) string {
	s := strings.TrimSpace(stripType(v))
	if strings.HasPrefix(s, "<") {
		s, _, _ = strings.Cut(s[1:], ">")
	}
	if i := strings.IndexFunc(s, unicode.IsSpace); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimRight(s, ".,;:>")
	return checkAddress(s)
}

// checkAddress returns s in lower case if it looks like an address, ""
// otherwise.
func checkAddress(s string) string {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || len(s) > maxAddress || !utf8.ValidString(s) {
		return ""
	}
	for _, c := range s {
		if c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == '(' || c == ')' || c == ',' || c == ';' || unicode.IsSpace(c) || unicode.IsControl(c) {
			return ""
		}
	}
	return strings.ToLower(s)
}
