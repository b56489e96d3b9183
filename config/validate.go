package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Paris must load even without /usr/share/zoneinfo

	"github.com/robfig/cron/v3"
)

// problem is one failed value check. keys lists the keys involved, the
// one to blame first: Load reports the problem at the first of them that
// the file sets.
type problem struct {
	keys []string
	msg  string
	// alt is what to say instead of msg when the problem is reported
	// at another key than the first (nil: msg after that key).
	alt map[string]string
}

// at returns the problem's text reported at key, as "KEY: problem".
func (p problem) at(key string) string {
	if m, ok := p.alt[key]; ok {
		return keyed(key, m)
	}
	return keyed(key, p.msg)
}

// Validate checks the values of c: enumerations, ranges, addresses, URL,
// time zone, cron spec and the rules that tie keys together. It returns
// nil or an Errors listing every problem, with Line 0 (Load gives lines).
// On success it also remembers the loaded time zone for Location.
func (c *Config) Validate() error {
	ps := c.check()
	if len(ps) == 0 {
		return nil
	}
	errs := make(Errors, len(ps))
	for i, p := range ps {
		errs[i] = Error{File: c.Path, Key: p.keys[0], Msg: p.at(p.keys[0])}
	}
	return errs
}

// Location returns the time zone of Timezone, in which notices write
// dates. After a successful Load or Validate it is the zone loaded then;
// otherwise it is loaded on the spot, and an unknown zone gives time.UTC.
func (c *Config) Location() *time.Location {
	if c.loc != nil && c.loc.String() == c.Timezone {
		return c.loc
	}
	if loc, err := time.LoadLocation(c.Timezone); err == nil {
		return loc
	}
	return time.UTC
}

// MaildirPath returns the directory of maildir delivery: Delivery.Maildir,
// joined to DataDir unless it is absolute.
func (c *Config) MaildirPath() string {
	if filepath.IsAbs(c.Delivery.Maildir) {
		return filepath.Clean(c.Delivery.Maildir)
	}
	return filepath.Join(c.DataDir, c.Delivery.Maildir)
}

// StorePath returns the path of the bbolt store, DataDir/tacit.db.
func (c *Config) StorePath() string {
	return filepath.Join(c.DataDir, "tacit.db")
}

// keyed returns msg as "KEY: problem": msg when it starts with key
// already, else msg after key (a problem of several keys is reported at
// the one the file sets, which its text may not start with).
func keyed(key, msg string) string {
	if strings.HasPrefix(msg, key+": ") {
		return msg
	}
	return key + ": " + msg
}

// checker collects the problems of a configuration.
type checker struct{ ps []problem }

func (k *checker) add(key, format string, args ...any) {
	k.ps = append(k.ps, problem{keys: []string{key}, msg: key + ": " + fmt.Sprintf(format, args...)})
}

func (k *checker) addKeys(keys []string, format string, args ...any) {
	k.ps = append(k.ps, problem{keys: keys, msg: fmt.Sprintf(format, args...)})
}

func (k *checker) atLeast(key string, v int64, minimum int64) {
	if v < minimum {
		k.add(key, "must be at least %d, got %d", minimum, v)
	}
}

func (k *checker) positive(key string, d Duration) {
	if d.Duration <= 0 {
		k.add(key, "must be longer than 0s")
	}
}

// check runs every value check and returns the problems in key order.
func (c *Config) check() []problem {
	k := &checker{}
	add, addKeys, atLeast, positive := k.add, k.addKeys, k.atLeast, k.positive

	if c.DataDir == "" {
		add("data_dir", "must not be empty")
	}
	if msg := checkDomain(c.Domain); msg != "" {
		add("domain", "%s", msg)
	}
	if c.Language != "fr" && c.Language != "en" {
		add("language", "%q is not supported; use \"fr\" or \"en\"", c.Language)
	}
	c.loc = nil
	if loc, err := time.LoadLocation(c.Timezone); err != nil {
		add("timezone", "unknown time zone %q (use a name like \"Europe/Paris\" or \"UTC\")", c.Timezone)
	} else {
		c.loc = loc
	}

	if msg := checkHostPort(c.SMTP.Listen, "127.0.0.1:2525"); msg != "" {
		add("smtp.listen", "%s", msg)
	}
	if msg := checkDomain(c.SMTP.Hostname); msg != "" {
		add("smtp.hostname", "%s", msg)
	}
	atLeast("smtp.max_message_bytes", c.SMTP.MaxMessageBytes, 1)
	atLeast("smtp.max_recipients", int64(c.SMTP.MaxRecipients), 1)
	atLeast("smtp.max_connections", int64(c.SMTP.MaxConnections), 1)
	atLeast("smtp.max_connections_per_ip", int64(c.SMTP.MaxConnectionsPerIP), 1)
	atLeast("smtp.max_messages_per_minute", int64(c.SMTP.MaxMessagesPerMinute), 1)
	if _, err := c.TrustedRelays(); err != nil {
		add("smtp.trusted_relays", "%s", err)
	}
	if d := c.DKIM; (d.Domain != "" || d.Selector != "" || d.PrivateKey != "") &&
		(d.Domain == "" || d.Selector == "" || d.PrivateKey == "") {
		addKeys([]string{"dkim.domain", "dkim.selector", "dkim.private_key"},
			"dkim.domain, dkim.selector and dkim.private_key go together (all three, or none to sign nothing)")
	}
	positive("smtp.idle_timeout", c.SMTP.IdleTimeout)
	positive("smtp.data_timeout", c.SMTP.DataTimeout)
	switch {
	case c.SMTP.TLSCert != "" && c.SMTP.TLSKey == "":
		addKeys([]string{"smtp.tls_cert"}, "smtp.tls_cert: set but smtp.tls_key is not; set both or neither")
	case c.SMTP.TLSCert == "" && c.SMTP.TLSKey != "":
		addKeys([]string{"smtp.tls_key"}, "smtp.tls_key: set but smtp.tls_cert is not; set both or neither")
	}

	if c.IMAP.Listen != "" {
		if msg := checkHostPort(c.IMAP.Listen, "127.0.0.1:1143"); msg != "" {
			add("imap.listen", "%s", msg)
		}
	}
	if c.HTTP.Listen != "" {
		if msg := checkHostPort(c.HTTP.Listen, "127.0.0.1:8025"); msg != "" {
			add("http.listen", "%s", msg)
		}
		if msg := checkBaseURL(c.HTTP.BaseURL); msg != "" {
			addKeys([]string{"http.base_url", "http.listen"}, "http.base_url: %s", msg)
		}
	}

	switch c.Delivery.Mode {
	case "maildir":
		if c.Delivery.Maildir == "" {
			addKeys([]string{"delivery.maildir", "delivery.mode"},
				"delivery.maildir: must not be empty when delivery.mode is \"maildir\"")
		}
	case "relay":
		if c.Delivery.Relay == "" {
			addKeys([]string{"delivery.relay", "delivery.mode"},
				"delivery.relay: must be set when delivery.mode is \"relay\"")
		}
	default:
		add("delivery.mode", "%q is not supported; use \"maildir\" or \"relay\"", c.Delivery.Mode)
	}
	if c.Delivery.Relay != "" {
		if msg := checkHostPort(c.Delivery.Relay, "smtp.example.org:25"); msg != "" {
			add("delivery.relay", "%s", msg)
		} else if host, _, _ := net.SplitHostPort(c.Delivery.Relay); host == "" {
			add("delivery.relay", "%q has no host name (for example \"smtp.example.org:25\")", c.Delivery.Relay)
		}
	}
	atLeast("delivery.concurrency", int64(c.Delivery.Concurrency), 1)
	atLeast("delivery.recipients_per_transaction", int64(c.Delivery.RecipientsPerTransaction), 1)
	positive("delivery.max_queue_lifetime", c.Delivery.MaxQueueLifetime)
	positive("delivery.lease", c.Delivery.Lease)
	atLeast("delivery.max_replies_per_hour", int64(c.Delivery.MaxRepliesPerHour), 1)
	atLeast("delivery.max_posts_per_hour", int64(c.Delivery.MaxPostsPerHour), 1)
	atLeast("delivery.bounce_days", int64(c.Delivery.BounceDays), 1)
	positive("delivery.bounce_window", c.Delivery.BounceWindow)
	if _, err := time.Parse("15:04", c.Delivery.DigestTime); err != nil || len(c.Delivery.DigestTime) != 5 {
		add("delivery.digest_time", "%q is not a time of day: write HH:MM, for example \"18:00\"", c.Delivery.DigestTime)
	}

	switch c.Storage.Driver {
	case "bbolt":
	case "postgres":
		if c.Storage.DSN == "" {
			const example = "(for example \"postgres://tacit@db.example.org/tacit\")"
			k.ps = append(k.ps, problem{keys: []string{"storage.dsn", "storage.driver"},
				msg: "storage.dsn: must be set when storage.driver is \"postgres\" " + example,
				alt: map[string]string{"storage.driver": "\"postgres\" needs storage.dsn, the database's connection string " + example}})
		}
	default:
		add("storage.driver", "%q is not supported; use \"bbolt\" or \"postgres\"", c.Storage.Driver)
	}

	c.checkConsensus(k)
	c.checkTLS(k)
	return k.ps
}

// checkConsensus checks the [consensus] table.
func (c *Config) checkConsensus(k *checker) {
	add, positive := k.add, k.positive
	positive("consensus.default_deadline", c.Consensus.DefaultDeadline)
	if c.Consensus.MinDeadline.Duration > c.Consensus.DefaultDeadline.Duration {
		lo, def := c.Consensus.MinDeadline, c.Consensus.DefaultDeadline
		k.ps = append(k.ps, problem{keys: []string{"consensus.min_deadline", "consensus.default_deadline"},
			msg: fmt.Sprintf("consensus.min_deadline: %s is longer than consensus.default_deadline (%s); shorten it, or lengthen consensus.default_deadline", lo, def),
			alt: map[string]string{"consensus.default_deadline": fmt.Sprintf(
				"%s is shorter than consensus.min_deadline (%s); lengthen it, or shorten consensus.min_deadline", def, lo)}})
	}
	if msg := checkCron(c.Consensus.Schedule); msg != "" {
		add("consensus.schedule", "%s", msg)
	}
	switch c.Consensus.Authentication {
	case AuthDKIMOrConfirm, AuthDKIM, AuthNone:
	default:
		add("consensus.authentication", "must be %q, %q or %q, not %q",
			AuthDKIMOrConfirm, AuthDKIM, AuthNone, c.Consensus.Authentication)
	}
	positive("consensus.confirm_window", c.Consensus.ConfirmWindow)
	positive("consensus.agenda_before", c.Consensus.AgendaBefore)
}

// AuthservIDOrHost returns smtp.authserv_id, or smtp.hostname when it is
// empty.
func (c *Config) AuthservIDOrHost() string {
	if c.SMTP.AuthservID != "" {
		return c.SMTP.AuthservID
	}
	return c.SMTP.Hostname
}

// TrustedRelays parses smtp.trusted_relays.
func (c *Config) TrustedRelays() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(c.SMTP.TrustedRelays, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				return nil, fmt.Errorf("%q is not an address or a CIDR block (like \"192.0.2.0/24\")", f)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p)
	}
	return out, nil
}

// checkDomain says what is wrong with a domain name, or "" if it is
// plausible: ASCII letters, digits and inner hyphens in dot-separated
// labels of 1 to 63 characters, at most 253 in all, not an IP address.
func checkDomain(s string) string {
	if s == "" {
		return "must not be empty"
	}
	bad := fmt.Sprintf("%q is not a domain name (letters, digits, \"-\" and dots, like \"lists.example.org\")", s)
	if len(s) > 253 {
		return bad
	}
	labels := strings.Split(s, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return bad
		}
		for i := 0; i < len(l); i++ {
			ch := l[i]
			if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-') {
				return bad
			}
		}
	}
	if _, err := strconv.Atoi(labels[len(labels)-1]); err == nil {
		return bad // an IP address, or a name ending in digits only
	}
	return ""
}

// checkHostPort says what is wrong with a listen or relay address, or ""
// if it is host:port with a numeric port and an empty host, an IP address
// or a host name.
func checkHostPort(s, example string) string {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Sprintf("%q is not host:port (for example %q)", s, example)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Sprintf("%q: the port must be a number from 0 to 65535 (for example %q)", s, example)
	}
	if host == "" {
		return ""
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return ""
	}
	if checkDomain(host) != "" {
		return fmt.Sprintf("%q: %q is not an IP address or a host name (for example %q)", s, host, example)
	}
	return ""
}

// checkBaseURL says what is wrong with http.base_url, or "" if it is an
// absolute http or https URL without query or fragment.
func checkBaseURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return fmt.Sprintf("%q is not an absolute http:// or https:// URL (for example \"https://lists.example.org\")", s)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return fmt.Sprintf("%q must not have a query (?) or a fragment (#)", s)
	}
	return ""
}

// checkCron says what is wrong with a robfig/cron schedule, or "" if
// cron.ParseStandard accepts it and an @every period is at least 1s.
func checkCron(spec string) string {
	if err := parseCron(spec); err != nil {
		return fmt.Sprintf("%q is not a cron schedule: %v (for example \"@every 30s\" or \"*/5 * * * *\")", spec, err)
	}
	if rest, ok := strings.CutPrefix(spec, "@every "); ok {
		if d, err := time.ParseDuration(rest); err == nil && d < time.Second {
			return fmt.Sprintf("%q is too frequent: the shortest period is \"@every 1s\"", spec)
		}
	}
	return ""
}

// parseCron runs cron.ParseStandard, turning its panics (it slices out of
// range on input such as "TZ=x") into an error.
func parseCron(spec string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot be read")
		}
	}()
	_, err = cron.ParseStandard(spec)
	return err
}
