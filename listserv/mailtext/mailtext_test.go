package mailtext

import (
	"errors"
	"fmt"
	"strings"
	"tacit/internal/fuzzwatch"
	"testing"
)

// crlf turns "\n" into "\r\n", as messages travel.
func crlf(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }

func TestTextPlain(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct{ raw, want string }{
		"no content type": {
			"Subject: x\n\nOBJECTION\nBob", "OBJECTION\nBob\n"},
		"quoted-printable utf-8": {
			"Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: quoted-printable\n\n" +
				"Je l=C3=A8ve mon objection, c=E2=80=99est r=C3=A9gl=C3=A9 avec un tr=C3=A8s long=\n texte.\n",
			"Je lève mon objection, c’est réglé avec un très long texte.\n"},
		"base64 utf-8": {
			"Content-Type: text/plain; charset=\"utf-8\"\nContent-Transfer-Encoding: base64\n\n" +
				"UGFzIGQnb2JqZWN0aW9uLCB0csOocyBiaWVuLg0KDQpDaGxvw6kNCg==\n",
			"Pas d'objection, très bien.\n\nChloé\n"},
		"iso-8859-1 8bit": {
			"Content-Type: text/plain; charset=ISO-8859-1\nContent-Transfer-Encoding: 8bit\n\nJe m'oppose : pas vot\xe9.\n",
			"Je m'oppose : pas voté.\n"},
		"iso-8859-15 euro": {
			"Content-Type: text/plain; charset=iso-8859-15\n\n189 \xa4, un \xbduf\n", "189 €, un œuf\n"},
		"windows-1252 quoted-printable": {
			"Content-Type: text/plain; charset=\"windows-1252\"\nContent-Transfer-Encoding: quoted-printable\n\n" +
				"c=92est =93bio=94 : 12 =80, C=9Cur\n",
			"c’est “bio” : 12 €, Cœur\n"},
		"windows-1252 labelled iso-8859-1": {
			"Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nn=92est pas =80\n",
			"n’est pas €\n"},
		"undeclared latin-1": {
			"Content-Type: text/plain\n\nd\xe9j\xe0 vot\xe9\n", "déjà voté\n"},
		"unknown charset": {
			"Content-Type: text/plain; charset=x-no-such-thing\n\nObjection\n", "Objection\n"},
		"unknown transfer encoding": {
			"Content-Type: text/plain\nContent-Transfer-Encoding: x-weird\n\nObjection\n", "Objection\n"},
		"bom and lone cr": {
			"Content-Type: text/plain; charset=utf-8\n\n\ufeff+1\rBob", "+1\nBob\n"},
		"format=flowed": {
			"Content-Type: text/plain; charset=UTF-8; format=flowed\n\n" +
				"Objection : le devis date de 2024, il faut \nen redemander un.\n\n" +
				"> Bonjour, je propose \n> d'acheter.\n>> Plus ancien\n From the start\n-- \nDavid\n",
			"Objection : le devis date de 2024, il faut en redemander un.\n\n" +
				"> Bonjour, je propose d'acheter.\n>> Plus ancien\nFrom the start\n-- \nDavid\n"},
		"format=flowed delsp": {
			"Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes\n\nanti \nconstitutionnel\n",
			"anticonstitutionnel\n"},
		"empty":       {"Subject: x\n\n", ""},
		"empty input": {"", ""},
	} {
		for _, raw := range [][]byte{[]byte(c.raw), crlf(c.raw)} {
			got, err := Text(raw)
			if err != nil || got != c.want {
				t.Errorf("%s: %q, %v; want %q", name, got, err, c.want)
			}
		}
	}
}

func TestTextChoosesThePart(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct{ raw, want string }{
		"alternative prefers plain": {`Content-Type: multipart/alternative; boundary="b"

--b
Content-Type: text/html; charset=utf-8

<p>HTML</p>
--b
Content-Type: text/plain; charset=utf-8

Plain
--b--
`, "Plain\n"},
		"alternative with blank plain": {`Content-Type: multipart/alternative; boundary="b"

--b
Content-Type: text/plain; charset=utf-8

  

--b
Content-Type: text/html; charset=utf-8

<p>HTML</p>
--b--
`, "HTML\n"},
		"alternative with related html": {`Content-Type: multipart/alternative; boundary="b"

--b
Content-Type: multipart/related; boundary="r"

--r
Content-Type: text/html; charset=utf-8

<div>Objection<br>Bob</div>
--r
Content-Type: image/png
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--r--
--b--
`, "Objection\nBob\n"},
		"mixed skips attachments": {`Content-Type: multipart/mixed; boundary="m"

--m
Content-Type: application/pdf; name="devis.pdf"
Content-Disposition: attachment; filename="devis.pdf"
Content-Transfer-Encoding: base64

JVBERi0=
--m
Content-Type: text/plain; charset=utf-8
Content-Disposition: attachment; filename="notes.txt"

OBJECTION in a file
--m
Content-Type: multipart/alternative; boundary="a"

--a
Content-Type: text/plain; charset=utf-8

+1
--a
Content-Type: text/html; charset=utf-8

<p>+1</p>
--a--
--m
Content-Type: text/plain; charset=utf-8

second text
--m--
`, "+1\n"},
		"signed": {`Content-Type: multipart/signed; micalg=pgp-sha256; protocol="application/pgp-signature"; boundary="s"

--s
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Je soutiens.
--s
Content-Type: application/pgp-signature; name="signature.asc"

-----BEGIN PGP SIGNATURE-----
--s--
`, "Je soutiens.\n"},
		"no text": {`Content-Type: multipart/mixed; boundary="m"

--m
Content-Type: image/jpeg

xx
--m--
`, ""},
		"attached message is not the text": {`Content-Type: multipart/mixed; boundary="m"

--m
Content-Type: message/rfc822

Subject: old

OBJECTION
--m--
`, ""},
	} {
		got, err := Text([]byte(c.raw))
		if err != nil || got != c.want {
			t.Errorf("%s: %q, %v; want %q", name, got, err, c.want)
		}
	}
}

func TestTextHTML(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct{ html, want string }{
		"blocks and breaks": {
			`<html><head><title>OBJECTION</title><style>p{color:red}</style></head><body><div dir="ltr">Objection&nbsp;: trop cher<div><br></div><div>Bob</div></div><script>var OBJECTION = 1;</script></body></html>`,
			"Objection\u00a0: trop cher\n\nBob\n"},
		"entities and spaces": {
			"<p>Pas d&rsquo;objection,\n   vraiment &amp; s&eacute;rieusement &lt;3 &#8364;&#x20AC;</p><p>fin</p>",
			"Pas d’objection, vraiment & sérieusement <3 €€\n\nfin\n"},
		"blockquote": {
			`<div>+1</div><div class="moz-cite-prefix">Le 24/11/2026 à 10:12, Alice a écrit&nbsp;:<br></div><blockquote type="cite"><p>Bonjour,</p><p>OBJECTION ?</p><blockquote>plus ancien<br>encore</blockquote></blockquote><p>Après</p>`,
			"+1\nLe 24/11/2026 à 10:12, Alice a écrit\u00a0:\n> Bonjour,\n>\n> OBJECTION ?\n>> plus ancien\n>> encore\nAprès\n"},
		"gmail quote container": {
			`<div dir="ltr">Je soutiens</div><br><div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">Le mar. 24 nov. 2026 à 10:12, Alice &lt;<a href="mailto:a@x.org">a@x.org</a>&gt; a écrit&nbsp;:<br></div><blockquote class="gmail_quote" style="margin:0px">Objection</blockquote></div>`,
			"Je soutiens\n\n> Le mar. 24 nov. 2026 à 10:12, Alice <a@x.org> a écrit\u00a0:\n>> Objection\n"},
		"outlook reply header": {
			`<div class="elementToProof">No objection.</div><div id="appendonsend"></div><hr style="display:inline-block;width:98%" tabindex="-1"><div id="divRplyFwdMsg" dir="ltr"><font face="Calibri"><b>From:</b> Alice<br><b>Sent:</b> Tuesday<br></font></div><div>OBJECTION: old</div>`,
			"No objection.\n" + OutlookSeparator + "\nFrom: Alice\nSent: Tuesday\nOBJECTION: old\n"},
		"lists tables pre comments": {
			"<ul><li>un</li><li><p>deux</p></li></ul><table><tr><td>a</td><td>b</td></tr></table><pre>  x\n  y</pre><!-- OBJECTION --><!--[if mso]>z<![endif]--><p>1 &lt; 2 > 0</p>",
			"- un\n- deux\n\na b\n  x\n  y\n\n1 < 2 > 0\n"},
		"broken markup": {
			"<div a=1 b='2' c>x</div>text < not a tag <b>bold</ <br/>end<p",
			"x\ntext < not a tag boldend\n"},
		"unterminated attribute eats the rest, as in browsers": {
			"before<div a=\"1>x</div>text", "before\n"},
		"signature separator": {"<div>+1</div><div class=\"moz-signature\">-- <br>Bob</div>", "+1\n-- \nBob\n"},
		"word paragraphs":     {"<p class=MsoNormal>a<o:p></o:p></p><p class=MsoNormal>b</p>", "a\nb\n"},
		"unclosed comment":    {"avant<!-- jamais fermé", "avant\n"},
		"unclosed script":     {"avant<script>OBJECTION", "avant\n"},
		"blank lines":         {"<p>&nbsp;</p><p>a</p><p>&nbsp;</p><p>&nbsp;</p><br><br><p>b</p><p>&nbsp;</p>", "a\n\nb\n"},
	} {
		got, err := htmlToText(c.html)
		if err != nil || got != c.want {
			t.Errorf("%s: %q, %v; want %q", name, got, err, c.want)
		}
	}
	raw := "Content-Type: text/html; charset=windows-1252\nContent-Transfer-Encoding: quoted-printable\n\n<p class=3DMsoNormal>Je m=92oppose</p>"
	if got, err := Text([]byte(raw)); err != nil || got != "Je m’oppose\n" {
		t.Errorf("html part: %q, %v", got, err)
	}
}

func TestTextErrors(t *testing.T) {
	t.Parallel()
	var deep strings.Builder
	deep.WriteString("Content-Type: multipart/mixed; boundary=\"b0\"\n\n")
	for i := 1; i <= MaxDepth+2; i++ {
		fmt.Fprintf(&deep, "--b%d\nContent-Type: multipart/mixed; boundary=\"b%d\"\n\n", i-1, i)
	}
	deep.WriteString("--b102\nContent-Type: text/plain\n\nhi\n")
	for name, c := range map[string]struct {
		raw  string
		want error
	}{
		"malformed header":  {"this is not a header\n\nbody", nil},
		"no boundary":       {"Content-Type: multipart/mixed\n\n--x\n\nhi\n--x--\n", nil},
		"broken base64":     {"Content-Transfer-Encoding: base64\n\n!!!! not base64 ****\n", nil},
		"broken multipart":  {"Content-Type: multipart/mixed; boundary=b\n\nno parts at all", nil},
		"nested too deeply": {deep.String(), ErrTooDeep},
		"text too large":    {"Content-Type: text/plain\n\n" + strings.Repeat("x", MaxText+1), ErrTooLarge},
		"html too large":    {"Content-Type: text/html\n\n" + strings.Repeat("<blockquote>", 200) + strings.Repeat("x<br>", MaxText/100), ErrTooLarge},
	} {
		got, err := Text([]byte(c.raw))
		if err == nil || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: %.40q, %v; want error %v", name, got, err, c.want)
		}
	}
}

func TestSubject(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"Subject: Re: [jardin] [PROPOSITION #12] Acheter\n\n":                                      "Re: [jardin] [PROPOSITION #12] Acheter",
		"Subject: =?UTF-8?Q?Re=3A_=5Bjardin=5D_=C3=89ch=C3=A9ance?=\n\n":                           "Re: [jardin] Échéance",
		"Subject: =?ISO-8859-1?B?UulmIDogW2phcmRpbl0gZOljaGV0cw==?=\n\n":                           "Réf : [jardin] déchets",
		"Subject: =?windows-1252?Q?RE:_c=92est_=80?=\n =?windows-1252?Q?_et_=9C?=\n\n":             "RE: c’est € et œ",
		"Subject: =?utf-8?q?Re=3A_=5Bjardin=5D_=5BPROPOSITION_?=\n =?utf-8?q?=2312=5D_Compost?=\n": "Re: [jardin] [PROPOSITION #12] Compost",
		"From: a@x.org\nSubject: folded\n  over lines\n\nbody":                                     "folded over lines",
		"Subject: 8bit d\xe9j\xe0\n\n":                                                             "8bit déjà",
		"From: a@x.org\n\n":                                                                        "",
		"Subject: header only":                                                                     "header only",
	} {
		got, err := Subject([]byte(raw))
		if err != nil || got != want {
			t.Errorf("%q: %q, %v; want %q", raw, got, err, want)
		}
	}
	got, err := Subject([]byte("Subject: =?x-unknown?Q?abc?=\n\n"))
	if err == nil || got != "=?x-unknown?Q?abc?=" {
		t.Errorf("unknown charset: %q, %v", got, err)
	}
	if _, err := Subject([]byte(" leading space\n\n")); err == nil {
		t.Error("malformed header: no error")
	}
}

func FuzzText(f *testing.F) {
	f.Add([]byte("Subject: x\n\nOBJECTION\n"))
	f.Add([]byte("Content-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/html\n\n<blockquote>x</blockquote>\n--b--\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		// A post is read on the post path: no input may take long.
		fuzzwatch.Check(t, raw, func() string { return checkText(raw) })
	})
}

// checkText reads raw as FuzzText does and says what is wrong, "" when
// nothing is.
func checkText(raw []byte) string {
	s, err := Text(raw)
	if err != nil {
		return ""
	}
	switch {
	case len(s) > MaxText*2:
		return fmt.Sprintf("text of %d bytes", len(s))
	case s != "" && !strings.HasSuffix(s, "\n"):
		return fmt.Sprintf("text does not end with a newline: %q", s)
	case strings.Contains(s, "\r"):
		return fmt.Sprintf("carriage return in text: %q", s)
	}
	_, _ = Subject(raw)
	return ""
}

// TestTextHTMLPathological feeds the converter inputs that would be slow
// with quadratic work: many open elements and stray end tags, endless
// attributes, deep quotes.
func TestTextHTMLPathological(t *testing.T) {
	t.Parallel()
	for name, doc := range map[string]string{
		"stray end tags": strings.Repeat("<div>", 2000) + strings.Repeat("</x>", 1<<19) + "fin",
		"attributes":     "<div " + strings.Repeat("a=b ", 1<<19) + ">fin",
		"deep quotes":    strings.Repeat("<blockquote>", 1<<16) + "fin" + strings.Repeat("</blockquote>", 1<<16),
		"unclosed tags":  strings.Repeat("<p><span><b>x", 1<<16),
		"comments":       strings.Repeat("<!-- x -->", 1<<18) + "fin",
	} {
		got, err := htmlToText(doc)
		if err != nil || !strings.Contains(got, "fin") && !strings.Contains(got, "x") {
			t.Errorf("%s: %.60q, %v", name, got, err)
		}
	}
}
