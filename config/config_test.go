package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const fixtures = "../testdata/config"

// TestDefaultsMatchSpec checks Default against docs/configuration.md, value by
// value, and tacit's own SMTP limits against docs/configuration.md.
func TestDefaultsMatchSpec(t *testing.T) {
	t.Parallel()
	c := Default()
	checks := []struct {
		key       string
		got, want any
	}{
		{"data_dir", c.DataDir, "tacit-data"},
		{"domain", c.Domain, "lists.localhost"},
		{"language", c.Language, "fr"},
		{"timezone", c.Timezone, "Europe/Paris"},
		{"smtp.listen", c.SMTP.Listen, "127.0.0.1:2525"},
		{"smtp.hostname", c.SMTP.Hostname, "lists.localhost"},
		{"smtp.max_message_bytes", c.SMTP.MaxMessageBytes, int64(26214400)},
		{"smtp.tls_cert", c.SMTP.TLSCert, ""},
		{"smtp.tls_key", c.SMTP.TLSKey, ""},
		{"imap.listen", c.IMAP.Listen, "127.0.0.1:1143"},
		{"imap.tls_listen", c.IMAP.TLSListen, ""},
		{"imap.tls_cert", c.IMAP.TLSCert, ""},
		{"imap.tls_key", c.IMAP.TLSKey, ""},
		{"http.listen", c.HTTP.Listen, "127.0.0.1:8025"},
		{"http.base_url", c.HTTP.BaseURL, "http://127.0.0.1:8025"},
		{"http.tls_cert", c.HTTP.TLSCert, ""},
		{"http.tls_key", c.HTTP.TLSKey, ""},
		{"delivery.mode", c.Delivery.Mode, "maildir"},
		{"delivery.maildir", c.Delivery.Maildir, "outbox"},
		{"delivery.relay", c.Delivery.Relay, "127.0.0.1:25"},
		{"delivery.concurrency", c.Delivery.Concurrency, 8},
		{"delivery.recipients_per_transaction", c.Delivery.RecipientsPerTransaction, 100},
		{"delivery.max_queue_lifetime", c.Delivery.MaxQueueLifetime.Duration, 120 * time.Hour},
		{"consensus.default_deadline", c.Consensus.DefaultDeadline.Duration, 72 * time.Hour},
		{"consensus.min_deadline", c.Consensus.MinDeadline.Duration, 24 * time.Hour},
		{"consensus.remind_before", c.Consensus.RemindBefore.Duration, 24 * time.Hour},
		{"consensus.schedule", c.Consensus.Schedule, "@every 30s"},
		// tacit's additions (docs/configuration.md).
		{"smtp.max_recipients", c.SMTP.MaxRecipients, 100},
		{"smtp.max_connections", c.SMTP.MaxConnections, 200},
		{"smtp.max_connections_per_ip", c.SMTP.MaxConnectionsPerIP, 50},
		{"smtp.max_messages_per_minute", c.SMTP.MaxMessagesPerMinute, 600},
		{"smtp.trusted_relays", c.SMTP.TrustedRelays, ""},
		{"smtp.authserv_id", c.SMTP.AuthservID, ""},
		{"consensus.authentication", c.Consensus.Authentication, "dkim-or-confirm"},
		{"consensus.confirm_window", c.Consensus.ConfirmWindow.Duration, 24 * time.Hour},
		{"consensus.agenda_before", c.Consensus.AgendaBefore.Duration, 72 * time.Hour},
		{"dkim.domain", c.DKIM.Domain, ""},
		{"dkim.selector", c.DKIM.Selector, ""},
		{"dkim.private_key", c.DKIM.PrivateKey, ""},
		{"smtp.idle_timeout", c.SMTP.IdleTimeout.Duration, 5 * time.Minute},
		{"smtp.data_timeout", c.SMTP.DataTimeout.Duration, 10 * time.Minute},
		{"delivery.verp", c.Delivery.VERP, true},
		{"delivery.max_replies_per_hour", c.Delivery.MaxRepliesPerHour, 10},
		{"delivery.max_posts_per_hour", c.Delivery.MaxPostsPerHour, 10},
		{"delivery.bounce_days", c.Delivery.BounceDays, 3},
		{"delivery.bounce_window", c.Delivery.BounceWindow.Duration, 14 * 24 * time.Hour},
		{"delivery.digest_time", c.Delivery.DigestTime, "18:00"},
		{"delivery.lease", c.Delivery.Lease.Duration, 30 * time.Second},
		{"storage.driver", c.Storage.Driver, "bbolt"},
		{"storage.dsn", c.Storage.DSN, ""},
		{"Path", c.Path, ""},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("default %s = %#v, want %#v", ch.key, ch.got, ch.want)
		}
	}
	// Every key of the schema is checked above.
	leaves, tables := map[string][]int{}, map[string]bool{}
	schema(reflect.TypeOf(*c), "", nil, leaves, tables)
	checked := map[string]bool{}
	for _, ch := range checks {
		checked[ch.key] = true
	}
	for k := range leaves {
		if !checked[k] {
			t.Errorf("key %s has no default check", k)
		}
	}
	if err := c.Validate(); err != nil {
		t.Errorf("defaults do not validate:\n%v", err)
	}
}

func TestLoadNoFile(t *testing.T) {
	t.Parallel()
	c, err := Load("")
	if err != nil {
		t.Fatalf("Load(\"\"): %v", err)
	}
	want := Default()
	want.loc, c.loc = nil, nil
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Load(\"\") = %+v, want the defaults %+v", c, want)
	}
	if got := c.Location().String(); got != "Europe/Paris" {
		t.Errorf("Location() = %s, want Europe/Paris", got)
	}
}

func TestLoadMissingFile(t *testing.T) {
	t.Parallel()
	_, err := Load(filepath.Join(t.TempDir(), "none.toml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load of a missing file: %v, want fs.ErrNotExist", err)
	}
	if !strings.HasPrefix(err.Error(), "config: ") {
		t.Errorf("error %q lacks the config: prefix", err)
	}
}

// validWant gives, for each file of testdata/config/valid, the
// configuration it must load into.
func validWant(name string) *Config {
	c := Default()
	c.Path = filepath.Join(fixtures, "valid", name)
	switch name {
	case "full.toml":
		c.DataDir = "/var/lib/tacit"
		c.Domain = "listes.exemple.org"
		c.Language = "en"
		c.Timezone = "America/Montreal"
		c.SMTP = SMTP{
			Listen:               "0.0.0.0:25",
			Hostname:             "mx.exemple.org",
			MaxMessageBytes:      10485760,
			MaxRecipients:        50,
			MaxConnections:       20,
			MaxConnectionsPerIP:  50,
			MaxMessagesPerMinute: 600,
			IdleTimeout:          Duration{2 * time.Minute},
			DataTimeout:          Duration{15 * time.Minute},
			TLSCert:              "/etc/tacit/cert.pem",
			TLSKey:               "/etc/tacit/key.pem",
		}
		c.IMAP.Listen = "[::1]:993"
		c.HTTP = HTTP{Listen: ":8080", BaseURL: "https://listes.exemple.org/tacit"} // trailing "/" removed
		c.Delivery = Delivery{
			Mode:                     "maildir",
			Maildir:                  "/srv/mail/outbox",
			Relay:                    "smtp.exemple.org:587",
			Concurrency:              4,
			RecipientsPerTransaction: 25,
			MaxQueueLifetime:         Duration{48 * time.Hour},
			Lease:                    Duration{30 * time.Second},
			VERP:                     true,
			MaxRepliesPerHour:        10,
			MaxPostsPerHour:          10,
			BounceDays:               3,
			BounceWindow:             Duration{14 * 24 * time.Hour},
			DigestTime:               "18:00",
		}
		c.Consensus = Consensus{
			DefaultDeadline: Duration{168 * time.Hour},
			MinDeadline:     Duration{48 * time.Hour},
			RemindBefore:    Duration{0},
			Schedule:        "*/5 * * * *",
			Authentication:  "dkim-or-confirm",
			ConfirmWindow:   Duration{24 * time.Hour},
			AgendaBefore:    Duration{72 * time.Hour},
		}
	case "minimal.toml":
		c.Domain = "listes.exemple.org"
		c.SMTP.Hostname = "listes.exemple.org"
	case "relay.toml":
		c.Domain = "exemple.org"
		c.SMTP.Hostname = "lists.exemple.org"
		c.IMAP.Listen = ""
		c.Delivery.Mode = "relay"
		c.Delivery.Relay = "smtp.fournisseur.example:25"
		c.Delivery.Concurrency = 2
		c.Delivery.RecipientsPerTransaction = 50
	case "empty.toml":
	case "inline.toml":
		c.SMTP.Listen = "127.0.0.1:2526"
		c.HTTP = HTTP{Listen: "", BaseURL: "not checked when http.listen is empty"}
		c.Delivery.Concurrency = 16
		c.Consensus.Schedule = "@every 1m"
	default:
		return nil
	}
	return c
}

func TestValidFixtures(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(fixtures, "valid", "*.toml"))
	if err != nil || len(files) < 3 {
		t.Fatalf("valid fixtures: %v %v", files, err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want := validWant(name)
			if want == nil {
				t.Fatalf("no expected configuration for %s in validWant", name)
			}
			got, err := Load(f)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got.Location().String() != got.Timezone {
				t.Errorf("Location() = %s, want %s", got.Location(), got.Timezone)
			}
			got.loc = nil
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Load(%s)\n got %+v\nwant %+v", name, got, want)
			}
		})
	}
}

func TestInvalidFixtures(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(fixtures, "invalid", "*.toml"))
	if err != nil || len(files) < 8 {
		t.Fatalf("invalid fixtures: %v %v", files, err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want, err := os.ReadFile(f + ".want")
			if err != nil {
				t.Fatalf("each invalid fixture needs a .want file: %v", err)
			}
			c, err := Load(f)
			if err == nil {
				t.Fatalf("Load(%s) = %+v, want an error", name, c)
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is %T, want Errors: %v", err, err)
			}
			var got []string
			for _, e := range errs {
				if e.File != f {
					t.Errorf("Error.File = %q, want %q", e.File, f)
				}
				if e.Line < 1 {
					t.Errorf("error without a line: %v", e)
				}
				if e.Key == "" && !strings.HasPrefix(e.Msg, "invalid TOML: ") {
					t.Errorf("error without a key: %v", e)
				}
				e.File = name
				got = append(got, e.Error())
			}
			wantLines := strings.Split(strings.TrimRight(string(want), "\n"), "\n")
			if !reflect.DeepEqual(got, wantLines) {
				t.Errorf("Load(%s) errors:\n%s\nwant:\n%s", name, strings.Join(got, "\n"), strings.Join(wantLines, "\n"))
			}
			if strings.Join(got, "\n") != strings.ReplaceAll(err.Error(), f+":", name+":") {
				t.Errorf("Errors.Error() = %q, want the lines joined", err.Error())
			}
		})
	}
}

// TestAllErrorsAtOnce checks that one Load reports every mistake of a file
// with many, in file order, each with its key.
func TestAllErrorsAtOnce(t *testing.T) {
	t.Parallel()
	_, err := Load(filepath.Join(fixtures, "invalid", "multi.toml"))
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error is %T, want Errors: %v", err, err)
	}
	wantKeys := []string{
		"language", "timezone", "smtp.lisen", "smtp.max_message_bytes",
		"smtp.tls_cert", "http.base_url", "delivery.mode",
		"delivery.concurrency", "delivery.max_queue_lifetime",
		"consensus.min_deadline", "consensus.remind_before",
		"consensus.schedule", "consensus.quorum",
	}
	var keys []string
	for i, e := range errs {
		keys = append(keys, e.Key)
		if i > 0 && e.Line <= errs[i-1].Line {
			t.Errorf("errors out of file order: %v after %v", e, errs[i-1])
		}
	}
	if !reflect.DeepEqual(keys, wantKeys) {
		t.Errorf("keys = %q\nwant %q", keys, wantKeys)
	}
	var one Error
	if !errors.As(err, &one) || one.Key != "language" || one.Line != 4 {
		t.Errorf("errors.As(err, *Error) = %+v, want the first problem", one)
	}
}

// TestParseEdgeCases covers documents that the fixtures do not.
func TestParseEdgeCases(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, doc string
		want      []string // error lines; nil means the document loads
	}{
		{"quoted dotted key", "\"smtp.listen\" = \"127.0.0.1:1\"\n",
			[]string{`t.toml:1: "smtp.listen": unknown key (misspelt, or in the wrong table)`}},
		{"dotted key into known table", "consensus.schedule = \"@every 1m\"\n", nil},
		{"inline table with unknown key", "smtp = { listen = \"127.0.0.1:1\", lisen = \"x\" }\n",
			[]string{`t.toml:1: smtp.lisen: unknown key (misspelt, or in the wrong table); did you mean listen?`}},
		{"unknown table hides its keys", "[foo]\na = 1\nb = 2\n[smtp]\nx = 1\n",
			[]string{`t.toml:1: foo: unknown table (misspelt, or not one of tacit's tables)`, `t.toml:5: smtp.x: unknown key (misspelt, or in the wrong table)`}},
		{"subtable of known table", "[smtp.tls]\ncert = \"c\"\n",
			[]string{`t.toml:1: smtp.tls: unknown table (misspelt, or not one of tacit's tables)`}},
		{"integer too large", "[smtp]\nmax_message_bytes = 99999999999999999999\n",
			[]string{"t.toml:2: invalid TOML: decimal number is too large to fit in a 64-bit signed integer"}},
		{"CRLF lines", "domain = \"a.example\"\r\n[smtp]\r\nlisen = \"x\"\r\n",
			[]string{`t.toml:3: smtp.lisen: unknown key (misspelt, or in the wrong table); did you mean listen?`}},
		{"byte order mark", "\xef\xbb\xbf[smtp]\nlisen = 1\n",
			[]string{`t.toml:2: smtp.lisen: unknown key (misspelt, or in the wrong table); did you mean listen?`}},
		{"imap and http disabled", "[imap]\nlisten = \"\"\n[http]\nlisten = \"\"\nbase_url = \"\"\n", nil},
		{"base_url checked when http on", "[http]\nbase_url = \"\"\n",
			[]string{`t.toml:2: http.base_url: "" is not an absolute http:// or https:// URL (for example "https://lists.example.org")`}},
		{"base_url with a query", "[http]\nbase_url = \"https://x.example/?a=1\"\n",
			[]string{`t.toml:2: http.base_url: "https://x.example/?a=1" must not have a query (?) or a fragment (#)`}},
		{"relay without host", "[delivery]\nrelay = \":25\"\n",
			[]string{`t.toml:2: delivery.relay: ":25" has no host name (for example "smtp.example.org:25")`}},
		{"cron TZ prefix that panics robfig", "[consensus]\nschedule = \"TZ=x\"\n",
			[]string{`t.toml:2: consensus.schedule: "TZ=x" is not a cron schedule: cannot be read (for example "@every 30s" or "*/5 * * * *")`}},
		{"unknown authentication mode", "[consensus]\nauthentication = \"dkim-only\"\n",
			[]string{`t.toml:2: consensus.authentication: must be "dkim-or-confirm", "dkim" or "none", not "dkim-only"`}},
		{"cron too frequent", "[consensus]\nschedule = \"@every 500ms\"\n",
			[]string{`t.toml:2: consensus.schedule: "@every 500ms" is too frequent: the shortest period is "@every 1s"`}},
		{"IP address as domain", "domain = \"192.168.1.1\"\n",
			[]string{`t.toml:1: domain: "192.168.1.1" is not a domain name (letters, digits, "-" and dots, like "lists.example.org")`}},
		{"error type hides a derived error", "[consensus]\nmin_deadline = 1\ndefault_deadline = \"1h\"\n",
			[]string{`t.toml:2: consensus.min_deadline: expected a duration in quotes (like "3d" or "72h"), got the number 1`}},
		{"postgres without a dsn", "[storage]\ndriver = \"postgres\"\n",
			[]string{`t.toml:2: storage.driver: "postgres" needs storage.dsn, the database's connection string (for example "postgres://tacit@db.example.org/tacit")`}},
		{"unknown storage driver", "[storage]\ndriver = \"sqlite\"\n",
			[]string{`t.toml:2: storage.driver: "sqlite" is not supported; use "bbolt" or "postgres"`}},
		{"postgres with a dsn", "[storage]\ndriver = \"postgres\"\ndsn = \"postgres://tacit@db.example.org/tacit\"\n", nil},
		{"several errors on one line", "smtp = { lisen = \"x\", max_recipients = 0 }\n",
			[]string{`t.toml:1: smtp.lisen: unknown key (misspelt, or in the wrong table); did you mean listen?`, `t.toml:1: smtp.max_recipients: must be at least 1, got 0`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := Parse("t.toml", []byte(tc.doc))
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if c.Path != "t.toml" {
					t.Errorf("Path = %q", c.Path)
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse = %+v, want errors", c)
			}
			if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestNormalization(t *testing.T) {
	t.Parallel()
	c, err := Parse("t.toml", []byte("domain = \"Listes.Exemple.ORG\"\n[smtp]\nhostname = \"MX.Exemple.org\"\n[http]\nbase_url = \"https://x.example//\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Domain != "listes.exemple.org" || c.SMTP.Hostname != "mx.exemple.org" || c.HTTP.BaseURL != "https://x.example" {
		t.Errorf("got domain %q hostname %q base_url %q", c.Domain, c.SMTP.Hostname, c.HTTP.BaseURL)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	c := Default()
	c.Delivery.Mode = "pigeon"
	c.Consensus.MinDeadline = Duration{100 * time.Hour}
	c.SMTP.TLSCert = "cert.pem"
	err := c.Validate()
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Validate = %v, want Errors", err)
	}
	want := Errors{
		{Key: "smtp.tls_cert", Msg: "smtp.tls_cert: set but smtp.tls_key is not; set both or neither",
			MsgFr: "smtp.tls_cert : donné mais pas smtp.tls_key ; donner les deux ou aucun"},
		{Key: "delivery.mode", Msg: `delivery.mode: "pigeon" is not supported; use "maildir" or "relay"`,
			MsgFr: `delivery.mode : "pigeon" n'est pas pris en charge ; écrire "maildir" ou "relay"`},
		{Key: "consensus.min_deadline", Msg: "consensus.min_deadline: 100h is longer than consensus.default_deadline (72h); shorten it, or lengthen consensus.default_deadline",
			MsgFr: "consensus.min_deadline : 100h est plus long que consensus.default_deadline (72h) ; le raccourcir, ou allonger consensus.default_deadline"},
	}
	if !reflect.DeepEqual(errs, want) {
		t.Errorf("Validate =\n%#v\nwant\n%#v", errs, want)
	}
	if got := errs[1].Error(); got != want[1].Msg {
		t.Errorf("Error() without file = %q", got)
	}
	c = Default()
	c.Path = "x.toml"
	c.Language = "it"
	if got := c.Validate().Error(); got != `x.toml: language: "it" is not supported; use "fr" or "en"` {
		t.Errorf("Validate with Path = %q", got)
	}
}

func TestErrorFormat(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		e    Error
		want string
	}{
		{Error{File: "a.toml", Line: 7, Msg: "m"}, "a.toml:7: m"},
		{Error{File: "a.toml", Msg: "m"}, "a.toml: m"},
		{Error{Line: 3, Msg: "m"}, "line 3: m"},
		{Error{Msg: "m"}, "m"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("%+v.Error() = %q, want %q", tc.e, got, tc.want)
		}
	}
}

func TestDurationText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, out string
		d       time.Duration
	}{
		{"72h", "72h", 72 * time.Hour},
		{"0s", "0s", 0},
		{"0", "0s", 0},
		{"1h30m", "1h30m", 90 * time.Minute},
		{"90m", "1h30m", 90 * time.Minute},
		{"30s", "30s", 30 * time.Second},
		{"1h0m30s", "1h0m30s", time.Hour + 30*time.Second},
		{"10m", "10m", 10 * time.Minute},
		{"1.5s", "1.5s", 1500 * time.Millisecond},
		{"250ms", "250ms", 250 * time.Millisecond},
		{"3d", "72h", 72 * time.Hour},
		{"7d", "168h", 7 * 24 * time.Hour},
		{"1d12h", "36h", 36 * time.Hour},
		{"0d", "0s", 0},
		{"2d30m", "48h30m", 48*time.Hour + 30*time.Minute},
	} {
		var d Duration
		if err := d.UnmarshalText([]byte(tc.in)); err != nil {
			t.Errorf("UnmarshalText(%q): %v", tc.in, err)
			continue
		}
		if d.Duration != tc.d {
			t.Errorf("UnmarshalText(%q) = %v, want %v", tc.in, d.Duration, tc.d)
		}
		b, err := d.MarshalText()
		if err != nil || string(b) != tc.out {
			t.Errorf("MarshalText(%v) = %q, %v; want %q", tc.d, b, err, tc.out)
		}
		var back Duration
		if err := back.UnmarshalText(b); err != nil || back != d {
			t.Errorf("round trip of %q: %v, %v", b, back, err)
		}
	}
	for _, bad := range []string{"-5s", "3 days", "72", "", "h", "d", "1.5d", "-3d", "1d-1h", "3dd", "+3d", "1d+2h",
		"3D", "99999999999999d", "106751d24h"} {
		var d Duration
		err := d.UnmarshalText([]byte(bad))
		if err == nil {
			t.Errorf("UnmarshalText(%q) = %v, want an error", bad, d)
			continue
		}
		// The message shows what to write instead, or says negative.
		want := `"3d", "72h", "1d12h"`
		if bad == "-5s" || bad == "-3d" {
			want = "negative"
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("UnmarshalText(%q): %v; want %s in it", bad, err, want)
		}
	}
	if _, err := (Duration{-time.Second}).MarshalText(); err == nil {
		t.Error("MarshalText of a negative duration succeeded")
	}
}

func TestLocation(t *testing.T) {
	t.Parallel()
	c := Default()
	if got := c.Location().String(); got != "Europe/Paris" {
		t.Errorf("Location before Validate = %s", got)
	}
	c.Timezone = "Asia/Tokyo"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	loc := c.Location()
	if loc.String() != "Asia/Tokyo" || c.Location() != loc {
		t.Errorf("Location after Validate = %s", loc)
	}
	when := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).In(loc)
	if when.Hour() != 9 {
		t.Errorf("midnight UTC in Tokyo = %v", when)
	}
	c.Timezone = "UTC"
	if c.Location() != time.UTC {
		t.Errorf("Location for UTC = %v", c.Location())
	}
	c.Timezone = "Nowhere/Land"
	if c.Location() != time.UTC {
		t.Errorf("Location for an unknown zone = %v, want UTC", c.Location())
	}
}

func TestPaths(t *testing.T) {
	t.Parallel()
	c := Default()
	if got, want := c.MaildirPath(), filepath.Join("tacit-data", "outbox"); got != want {
		t.Errorf("MaildirPath = %q, want %q", got, want)
	}
	if got, want := c.StorePath(), filepath.Join("tacit-data", "tacit.db"); got != want {
		t.Errorf("StorePath = %q, want %q", got, want)
	}
	abs := filepath.Join(t.TempDir(), "out")
	c.Delivery.Maildir = abs
	if got := c.MaildirPath(); got != abs {
		t.Errorf("MaildirPath with absolute maildir = %q, want %q", got, abs)
	}
}

// FuzzLoad feeds random files to Load: it must never panic, and what it
// accepts must pass Validate.
func FuzzLoad(f *testing.F) {
	for _, dir := range []string{"valid", "invalid"} {
		files, _ := filepath.Glob(filepath.Join(fixtures, dir, "*.toml"))
		for _, file := range files {
			if b, err := os.ReadFile(file); err == nil {
				f.Add(b)
			}
		}
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		f, err := os.CreateTemp(dir, "fuzz-*.toml")
		if err != nil {
			t.Fatal(err)
		}
		path := f.Name()
		defer os.Remove(path)
		if _, err := f.Write(data); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		c, err := Load(path)
		if err != nil {
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error is not a non-empty Errors: %T %v", err, err)
			}
			for _, e := range errs {
				if e.Msg == "" || e.File != path {
					t.Fatalf("bad Error %+v", e)
				}
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Load accepted a configuration that Validate rejects: %v", err)
		}
	})
}
