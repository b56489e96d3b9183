package deploy

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// DKIMKeyBits is the size of the RSA keys NewDKIMKey makes: 2048 bits,
// what receivers expect today and still fits a DNS TXT record.
const DKIMKeyBits = 2048

// NewDKIMKey makes an RSA key for DKIM and returns it as PEM (PKCS#8,
// "PRIVATE KEY"), the form dkim.private_key reads.
func NewDKIMKey() ([]byte, *rsa.PrivateKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, DKIMKeyBits)
	if err != nil {
		return nil, nil, fmt.Errorf("dkim key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("dkim key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), key, nil
}

// Selector returns the DKIM selector of a key made at t: "tacit" and the
// year and month ("tacit202601"), so that a new key gets a new name and
// the old record can stay published while signed mail is in transit.
func Selector(t time.Time) string {
	return "tacit" + t.Format("200601")
}

// DKIMKeyTXT returns the text of the DKIM key record of pub (RFC 6376
// section 3.6.1): "v=DKIM1; k=rsa; p=BASE64" with the
// SubjectPublicKeyInfo of an RSA key, or k=ed25519 and the raw key.
func DKIMKeyTXT(pub crypto.PublicKey) (string, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			return "", fmt.Errorf("dkim record: %w", err)
		}
		return "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der), nil
	case ed25519.PublicKey:
		return "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(k), nil
	}
	return "", fmt.Errorf("dkim record: unsupported key type %T", pub)
}

// SplitTXT cuts s into the strings of at most 255 bytes a TXT record is
// made of (RFC 1035 section 3.3.14): zone files and DNS consoles need a
// 2048-bit key's record given as several quoted strings, which receivers
// join back without separator.
func SplitTXT(s string) []string {
	var out []string
	for len(s) > 255 {
		out = append(out, s[:255])
		s = s[255:]
	}
	return append(out, s)
}

// Record is one DNS record to publish, as written in a zone file.
type Record struct {
	// Name is the owner name, fully qualified with its final dot.
	Name string
	// Type is "MX", "A", "AAAA" or "TXT".
	Type string
	// Data is the record's data: for TXT its strings, unquoted; for the
	// others one field.
	Data []string
}

// String writes the record as a zone-file line, TXT strings quoted.
func (r Record) String() string {
	data := strings.Join(r.Data, " ")
	if r.Type == "TXT" {
		q := make([]string, len(r.Data))
		for i, s := range r.Data {
			q[i] = `"` + s + `"`
		}
		data = strings.Join(q, " ")
	}
	return fmt.Sprintf("%s 3600 IN %s %s", r.Name, r.Type, data)
}

// DNSOptions are what the DNS records of a list domain depend on.
type DNSOptions struct {
	// Domain is the lists' domain; the server answering its MX is the
	// machine where Postfix and tacit run, under that same name.
	Domain string
	// Selector and PublicKey are the DKIM key's.
	Selector  string
	PublicKey crypto.PublicKey
	// ReportTo is the mailbox of DMARC aggregate reports; "" gives
	// ReportMailbox(Domain).
	ReportTo string
	// IPv4 and IPv6 are the server's addresses; "" writes the
	// documentation addresses 192.0.2.1 and 2001:db8::1, to replace.
	IPv4, IPv6 string
}

// ReportMailbox returns the default mailbox of DMARC reports for a list
// domain whose postmaster Postfix does not forward: postmaster at its
// parent domain ("postmaster@example.org" for lists.example.org). With
// PostfixVirtual's lines installed, postmaster@ the list domain itself
// is the tidier choice.
func ReportMailbox(domain string) string {
	if _, parent, ok := strings.Cut(domain, "."); ok && strings.Contains(parent, ".") {
		return "postmaster@" + parent
	}
	return "postmaster@" + domain
}

// DNSRecords returns the records that make the domain's mail reach this
// server and its lists' mail trusted elsewhere: MX, A and AAAA of the
// server, SPF, the DKIM key and DMARC. DMARC starts at p=none with
// aggregate reports: nothing is lost while the reports show that all the
// domain's mail passes; docs/deploy.md says when to move to quarantine.
func DNSRecords(o DNSOptions) ([]Record, error) {
	if o.Domain == "" || o.Selector == "" {
		return nil, errors.New("dns records: domain and selector are required")
	}
	txt, err := DKIMKeyTXT(o.PublicKey)
	if err != nil {
		return nil, err
	}
	if o.ReportTo == "" {
		o.ReportTo = ReportMailbox(o.Domain)
	}
	if o.IPv4 == "" {
		o.IPv4 = "192.0.2.1"
	}
	if o.IPv6 == "" {
		o.IPv6 = "2001:db8::1"
	}
	d := strings.TrimSuffix(o.Domain, ".") + "."
	return []Record{
		{Name: d, Type: "MX", Data: []string{"10", d}},
		{Name: d, Type: "A", Data: []string{o.IPv4}},
		{Name: d, Type: "AAAA", Data: []string{o.IPv6}},
		{Name: d, Type: "TXT", Data: []string{"v=spf1 mx -all"}},
		{Name: o.Selector + "._domainkey." + d, Type: "TXT", Data: SplitTXT(txt)},
		{Name: "_dmarc." + d, Type: "TXT", Data: []string{"v=DMARC1; p=none; rua=mailto:" + o.ReportTo}},
	}, nil
}

// PostfixOptions are what the Postfix lines depend on.
type PostfixOptions struct {
	// Domain is the lists' domain, relayed by Postfix to tacit.
	Domain string
	// TacitSMTP is smtp.listen of tacit, an IP address and a port.
	TacitSMTP string
	// MaxMessageBytes is smtp.max_message_bytes of tacit.
	MaxMessageBytes int64
	// Postmaster is the administrator's own mailbox, where Postfix
	// forwards postmaster@ and abuse@ the domain; "" writes
	// PostmasterPlaceholder, to replace.
	Postmaster string
}

// PostmasterPlaceholder is the mailbox PostfixVirtual writes when no
// administrator's mailbox is given: an example address, like the
// documentation IP addresses of DNSRecords, to replace.
const PostmasterPlaceholder = "admin@example.net"

// PostfixMainCF returns the lines to set in /etc/postfix/main.cf (with
// postconf -e, or by hand) to put tacit behind Postfix: mail for the
// domain goes to tacit, except postmaster@ and abuse@ (PostfixVirtual),
// whose recipients are checked before Postfix
// accepts a message; mail from tacit (on 127.0.0.1) goes anywhere;
// nobody else's goes anywhere but to the domain.
func PostfixMainCF(o PostfixOptions) []string {
	limit := o.MaxMessageBytes
	if limit <= 0 {
		limit = 26214400
	}
	return []string{
		"relay_domains = " + o.Domain,
		"transport_maps = hash:/etc/postfix/transport",
		"virtual_alias_maps = hash:/etc/postfix/virtual",
		"mynetworks = 127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128",
		"smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination",
		"smtpd_recipient_restrictions = permit_mynetworks, reject_unverified_recipient",
		"unverified_recipient_reject_code = 550",
		// tacit's copies carry a few more headers than the post it accepted.
		fmt.Sprintf("message_size_limit = %d", limit+1<<20),
	}
}

// PostfixTransport returns the line of /etc/postfix/transport that hands
// the domain's mail to tacit.
func PostfixTransport(o PostfixOptions) []string {
	host, port, err := net.SplitHostPort(o.TacitSMTP)
	if err != nil {
		host, port = "", "2525"
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1" // tacit listens on every address, or on a name
	} else if ip.To4() == nil {
		host = "ipv6:" + host
	}
	return []string{fmt.Sprintf("%s smtp:[%s]:%s", o.Domain, host, port)}
}

// PostfixVirtual returns the lines of /etc/postfix/virtual that send
// postmaster@ and abuse@ the domain to the administrator's mailbox
// instead of tacit, which knows only its lists' addresses: RFC 5321
// section 4.5.1 requires postmaster at every domain that takes mail, and
// receivers send their complaints and DMARC reports there. Postfix's
// cleanup rewrites these addresses before it picks a transport, so the
// domain's transport to tacit never sees them.
func PostfixVirtual(o PostfixOptions) []string {
	to := o.Postmaster
	if to == "" {
		to = PostmasterPlaceholder
	}
	return []string{"postmaster@" + o.Domain + " " + to, "abuse@" + o.Domain + " " + to}
}
