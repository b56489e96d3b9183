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
	msg  text
	// alt is what to say instead of msg when the problem is reported
	// at another key than the first (nil: msg after that key).
	alt map[string]text
}

// at returns the problem's text reported at key, as "KEY: problem".
func (p problem) at(key string) text {
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
		t := p.at(p.keys[0])
		errs[i] = Error{File: c.Path, Key: p.keys[0], Msg: t.en, MsgFr: t.fr}
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

// checker collects the problems of a configuration.
type checker struct{ ps []problem }

// add records a problem of key, written in English and in French.
func (k *checker) add(key, en, fr string, args ...any) {
	k.ps = append(k.ps, problem{keys: []string{key}, msg: keyed(key, say(en, fr, args...))})
}

// addText records a problem of key already written.
func (k *checker) addText(key string, t text) { k.add(key, "%s", "%s", t) }

// addKeys records a problem of several keys, reported at the first the
// file sets.
func (k *checker) addKeys(keys []string, en, fr string, args ...any) {
	k.ps = append(k.ps, problem{keys: keys, msg: say(en, fr, args...)})
}

func (k *checker) atLeast(key string, v int64, minimum int64) {
	if v < minimum {
		k.add(key, "must be at least %d, got %d", "doit valoir au moins %d, et vaut %d", minimum, v)
	}
}

func (k *checker) positive(key string, d Duration) {
	if d.Duration <= 0 {
		k.add(key, "must be longer than 0s", "doit être plus longue que 0s")
	}
}

// check runs every value check and returns the problems in key order.
func (c *Config) check() []problem {
	k := &checker{}
	add, addText, addKeys, atLeast, positive := k.add, k.addText, k.addKeys, k.atLeast, k.positive

	if c.DataDir == "" {
		add("data_dir", "must not be empty", "ne doit pas être vide")
	}
	if msg := checkDomain(c.Domain); !msg.empty() {
		addText("domain", msg)
	}
	if c.Language != "fr" && c.Language != "en" {
		add("language", "%q is not supported; use \"fr\" or \"en\"", "%q n'est pas pris en charge ; écrire \"fr\" ou \"en\"", c.Language)
	}
	c.loc = nil
	if loc, err := time.LoadLocation(c.Timezone); err != nil {
		add("timezone", "unknown time zone %q (use a name like \"Europe/Paris\" or \"UTC\")",
			"fuseau horaire %q inconnu (écrire un nom comme \"Europe/Paris\" ou \"UTC\")", c.Timezone)
	} else {
		c.loc = loc
	}

	if msg := checkHostPort(c.SMTP.Listen, "127.0.0.1:2525"); !msg.empty() {
		addText("smtp.listen", msg)
	}
	if msg := checkDomain(c.SMTP.Hostname); !msg.empty() {
		addText("smtp.hostname", msg)
	}
	atLeast("smtp.max_message_bytes", c.SMTP.MaxMessageBytes, 1)
	atLeast("smtp.max_recipients", int64(c.SMTP.MaxRecipients), 1)
	atLeast("smtp.max_connections", int64(c.SMTP.MaxConnections), 1)
	atLeast("smtp.max_connections_per_ip", int64(c.SMTP.MaxConnectionsPerIP), 1)
	atLeast("smtp.max_messages_per_minute", int64(c.SMTP.MaxMessagesPerMinute), 1)
	if _, err := c.TrustedRelays(); err != nil {
		addText("smtp.trusted_relays", textOf(err))
	}
	if d := c.DKIM; (d.Domain != "" || d.Selector != "" || d.PrivateKey != "") &&
		(d.Domain == "" || d.Selector == "" || d.PrivateKey == "") {
		addKeys([]string{"dkim.domain", "dkim.selector", "dkim.private_key"},
			"dkim.domain, dkim.selector and dkim.private_key go together (all three, or none to sign nothing)",
			"dkim.domain, dkim.selector et dkim.private_key vont ensemble (les trois, ou aucune pour ne rien signer)")
	}
	positive("smtp.idle_timeout", c.SMTP.IdleTimeout)
	positive("smtp.data_timeout", c.SMTP.DataTimeout)
	bothOrNeither(k, "smtp.tls_cert", c.SMTP.TLSCert, "smtp.tls_key", c.SMTP.TLSKey)

	if c.IMAP.Listen != "" {
		if msg := checkHostPort(c.IMAP.Listen, "127.0.0.1:1143"); !msg.empty() {
			addText("imap.listen", msg)
		}
	}
	if c.HTTP.Listen != "" {
		if msg := checkHostPort(c.HTTP.Listen, "127.0.0.1:8025"); !msg.empty() {
			addText("http.listen", msg)
		}
		if msg := checkBaseURL(c.HTTP.BaseURL); !msg.empty() {
			addKeys([]string{"http.base_url", "http.listen"}, "http.base_url: %s", "http.base_url : %s", msg)
		}
	}

	switch c.Delivery.Mode {
	case "maildir":
		if c.Delivery.Maildir == "" {
			addKeys([]string{"delivery.maildir", "delivery.mode"},
				"delivery.maildir: must not be empty when delivery.mode is \"maildir\"",
				"delivery.maildir : ne doit pas être vide quand delivery.mode vaut \"maildir\"")
		}
	case "relay":
		if c.Delivery.Relay == "" {
			addKeys([]string{"delivery.relay", "delivery.mode"},
				"delivery.relay: must be set when delivery.mode is \"relay\"",
				"delivery.relay : doit être donné quand delivery.mode vaut \"relay\"")
		}
	default:
		add("delivery.mode", "%q is not supported; use \"maildir\" or \"relay\"",
			"%q n'est pas pris en charge ; écrire \"maildir\" ou \"relay\"", c.Delivery.Mode)
	}
	if c.Delivery.Relay != "" {
		if msg := checkHostPort(c.Delivery.Relay, "smtp.example.org:25"); !msg.empty() {
			addText("delivery.relay", msg)
		} else if host, _, _ := net.SplitHostPort(c.Delivery.Relay); host == "" {
			add("delivery.relay", "%q has no host name (for example \"smtp.example.org:25\")",
				"%q n'a pas de nom d'hôte (par exemple \"smtp.example.org:25\")", c.Delivery.Relay)
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
		add("delivery.digest_time", "%q is not a time of day: write HH:MM, for example \"18:00\"",
			"%q n'est pas une heure : écrire HH:MM, par exemple \"18:00\"", c.Delivery.DigestTime)
	}

	switch c.Storage.Driver {
	case "bbolt":
	case "postgres":
		if c.Storage.DSN == "" {
			const example = "\"postgres://tacit@db.example.org/tacit\""
			k.ps = append(k.ps, problem{keys: []string{"storage.dsn", "storage.driver"},
				msg: say("storage.dsn: must be set when storage.driver is \"postgres\" (for example %s)",
					"storage.dsn : doit être donné quand storage.driver vaut \"postgres\" (par exemple %s)", example),
				alt: map[string]text{"storage.driver": say("\"postgres\" needs storage.dsn, the database's connection string (for example %s)",
					"\"postgres\" demande storage.dsn, la chaîne de connexion à la base (par exemple %s)", example)}})
		}
	default:
		add("storage.driver", "%q is not supported; use \"bbolt\" or \"postgres\"",
			"%q n'est pas pris en charge ; écrire \"bbolt\" ou \"postgres\"", c.Storage.Driver)
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
			msg: say("consensus.min_deadline: %s is longer than consensus.default_deadline (%s); shorten it, or lengthen consensus.default_deadline",
				"consensus.min_deadline : %s est plus long que consensus.default_deadline (%s) ; le raccourcir, ou allonger consensus.default_deadline", lo, def),
			alt: map[string]text{"consensus.default_deadline": say(
				"%s is shorter than consensus.min_deadline (%s); lengthen it, or shorten consensus.min_deadline",
				"%s est plus court que consensus.min_deadline (%s) ; l'allonger, ou raccourcir consensus.min_deadline", def, lo)}})
	}
	if msg := checkCron(c.Consensus.Schedule); !msg.empty() {
		k.addText("consensus.schedule", msg)
	}
	switch c.Consensus.Authentication {
	case AuthDKIMOrConfirm, AuthDKIM, AuthNone:
	default:
		add("consensus.authentication", "must be %q, %q or %q, not %q", "doit valoir %q, %q ou %q, et non %q",
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
				return nil, &textError{say("%q is not an address or a CIDR block (like \"192.0.2.0/24\")",
					"%q n'est ni une adresse ni un bloc CIDR (comme \"192.0.2.0/24\")", f)}
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p)
	}
	return out, nil
}

// checkDomain says what is wrong with a domain name, or nothing if it
// is plausible: ASCII letters, digits and inner hyphens in dot-separated
// labels of 1 to 63 characters, at most 253 in all, not an IP address.
func checkDomain(s string) text {
	if s == "" {
		return text{en: "must not be empty", fr: "ne doit pas être vide"}
	}
	bad := say("%q is not a domain name (letters, digits, \"-\" and dots, like \"lists.example.org\")",
		"%q n'est pas un nom de domaine (lettres, chiffres, \"-\" et points, comme \"lists.example.org\")", s)
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
	return text{}
}

// checkHostPort says what is wrong with a listen or relay address, or
// nothing if it is host:port with a numeric port and an empty host, an
// IP address or a host name.
func checkHostPort(s, example string) text {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return say("%q is not host:port (for example %q)", "%q n'est pas de la forme hôte:port (par exemple %q)", s, example)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return say("%q: the port must be a number from 0 to 65535 (for example %q)",
			"%q : le port doit être un nombre de 0 à 65535 (par exemple %q)", s, example)
	}
	if host == "" {
		return text{}
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return text{}
	}
	if !checkDomain(host).empty() {
		return say("%q: %q is not an IP address or a host name (for example %q)",
			"%q : %q n'est ni une adresse IP ni un nom d'hôte (par exemple %q)", s, host, example)
	}
	return text{}
}

// checkBaseURL says what is wrong with http.base_url, or nothing if it
// is an absolute http or https URL without query or fragment.
func checkBaseURL(s string) text {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return say("%q is not an absolute http:// or https:// URL (for example \"https://lists.example.org\")",
			"%q n'est pas une URL absolue en http:// ou https:// (par exemple \"https://lists.example.org\")", s)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return say("%q must not have a query (?) or a fragment (#)", "%q ne doit avoir ni requête (?) ni fragment (#)", s)
	}
	return text{}
}

// checkCron says what is wrong with a robfig/cron schedule, or nothing
// if cron.ParseStandard accepts it and an @every period is at least 1s.
func checkCron(spec string) text {
	if err := parseCron(spec); err != nil {
		return say("%q is not a cron schedule: %v (for example \"@every 30s\" or \"*/5 * * * *\")",
			"%q n'est pas un calendrier cron : %v (par exemple \"@every 30s\" ou \"*/5 * * * *\")", spec, err)
	}
	if rest, ok := strings.CutPrefix(spec, "@every "); ok {
		if d, err := time.ParseDuration(rest); err == nil && d < time.Second {
			return say("%q is too frequent: the shortest period is \"@every 1s\"",
				"%q est trop fréquent : la période la plus courte est \"@every 1s\"", spec)
		}
	}
	return text{}
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
