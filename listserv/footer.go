package listserv

import (
	"bytes"
	"mime"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// contentFields are the header fields a footer may replace.
var contentFields = []string{"Content-Type", "Content-Transfer-Encoding", "MIME-Version"}

// withFooter appends footer to a post's body without re-encoding what the
// author wrote. A plain-text body in UTF-8 or ASCII gets the footer
// appended in its own encoding; anything else (HTML, multipart, other
// charsets, base64) becomes the first part of a multipart/mixed whose
// second part is the footer, as Mailman does. It returns the content
// fields that replace contentFields in the header, and the new body.
func withFooter(h textproto.Header, body []byte, footer, boundary string) ([]string, []byte) {
	ct := h.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if ct == "" {
		mt, params, err = "text/plain", map[string]string{}, nil
	}
	cte := strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding")))
	cs := strings.ToLower(params["charset"])
	plain := err == nil && mt == "text/plain" && (cs == "" || cs == "us-ascii" || cs == "utf-8")
	if plain && (cte == "" || cte == "7bit" || cte == "8bit" || cte == "quoted-printable") {
		params["charset"] = "utf-8"
		out := append([]byte(nil), body...)
		if len(out) > 0 && !bytes.HasSuffix(out, []byte("\n")) {
			out = append(out, "\r\n"...)
		}
		out = append(out, "\r\n"...)
		newCTE := "8bit"
		if cte == "quoted-printable" {
			newCTE = cte
			out = append(out, qp(footer)...)
		} else {
			out = append(out, strings.ReplaceAll(strings.ReplaceAll(footer, "\r\n", "\n"), "\n", "\r\n")...)
		}
		return []string{"MIME-Version: 1.0", "Content-Type: " + mime.FormatMediaType("text/plain", params),
			"Content-Transfer-Encoding: " + newCTE}, out
	}
	var b bytes.Buffer
	b.WriteString("--" + boundary + "\r\n")
	if ct == "" {
		ct = "text/plain; charset=us-ascii"
	}
	b.WriteString("Content-Type: " + ct + "\r\n")
	if cte != "" {
		b.WriteString("Content-Transfer-Encoding: " + h.Get("Content-Transfer-Encoding") + "\r\n")
	}
	b.WriteString("\r\n")
	b.Write(body)
	if len(body) > 0 && !bytes.HasSuffix(body, []byte("\n")) {
		b.WriteString("\r\n")
	}
	b.WriteString("--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: quoted-printable\r\nContent-Disposition: inline\r\n\r\n")
	b.Write(qp(footer))
	b.WriteString("\r\n--" + boundary + "--\r\n")
	return []string{"MIME-Version: 1.0", `Content-Type: multipart/mixed; boundary="` + boundary + `"`}, b.Bytes()
}

// encodeSubject returns a Subject value, RFC 2047 encoded when it is not
// ASCII.
func encodeSubject(s string) string { return mime.QEncoding.Encode("utf-8", s) }
