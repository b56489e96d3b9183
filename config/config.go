// Package config owns tacit's configuration: its types, the defaults that
// let `tacit serve` start with no file at all, and Load, which reads a TOML
// file strictly and reports every problem at once with its file and line.
//
// The package is a leaf: it imports nothing of tacit's.
package config

import "time"

// Config is the whole configuration of one tacit instance (docs/configuration.md).
type Config struct {
	// DataDir holds the bbolt store and the spools; relative paths are
	// relative to the working directory.
	DataDir string `toml:"data_dir"`
	// Domain is the default host part of list addresses.
	Domain string `toml:"domain"`
	// Language is the default language of notices: "fr" or "en".
	Language string `toml:"language"`
	// Timezone is the IANA zone in which dates are written in notices.
	Timezone string `toml:"timezone"`

	// SMTP is the [smtp] table: the inbound mail server.
	SMTP SMTP `toml:"smtp"`
	// IMAP is the [imap] table: the read-only archive.
	IMAP IMAP `toml:"imap"`
	// HTTP is the [http] table: the decision register and unsubscribe links.
	HTTP HTTP `toml:"http"`
	// Delivery is the [delivery] table: outbound mail.
	Delivery Delivery `toml:"delivery"`
	// Consensus is the [consensus] table: deadlines and the engine's tick.
	Consensus Consensus `toml:"consensus"`

	// DKIM is the [dkim] table: the key that signs the lists' mail.
	DKIM DKIM `toml:"dkim"`

	// Storage is the [storage] table: the engine holding the store.
	Storage Storage `toml:"storage"`

	// Path is the file the configuration was read from, "" for the
	// built-in defaults.
	Path string `toml:"-"`

	// loc is Timezone loaded by Validate; nil until then (see Location).
	loc *time.Location
}

// SMTP configures the inbound SMTP listener.
type SMTP struct {
	// Listen is the host:port the SMTP server binds.
	Listen string `toml:"listen"`
	// Hostname is the EHLO name and the host part of generated Message-IDs.
	Hostname string `toml:"hostname"`
	// MaxMessageBytes is the largest message accepted; larger ones get 552.
	MaxMessageBytes int64 `toml:"max_message_bytes"`
	// MaxRecipients is the most RCPT commands accepted per message.
	MaxRecipients int `toml:"max_recipients"`
	// MaxConnections caps simultaneous SMTP connections.
	MaxConnections int `toml:"max_connections"`
	// MaxConnectionsPerIP caps simultaneous SMTP connections from one
	// client address.
	MaxConnectionsPerIP int `toml:"max_connections_per_ip"`
	// MaxMessagesPerMinute caps the messages one client address may send
	// per minute.
	MaxMessagesPerMinute int `toml:"max_messages_per_minute"`
	// TrustedRelays are the client addresses (comma-separated CIDRs) of
	// the operator's MTA: their Authentication-Results (with AuthservID)
	// are read to authenticate a sender (docs/security.md). Nobody else's
	// are.
	TrustedRelays string `toml:"trusted_relays"`
	// AuthservID is the authserv-id those relays write in
	// Authentication-Results; "" means Hostname.
	AuthservID string `toml:"authserv_id"`
	// IdleTimeout closes a connection silent for this long between commands.
	IdleTimeout Duration `toml:"idle_timeout"`
	// DataTimeout bounds the time a client may take to send one message body.
	DataTimeout Duration `toml:"data_timeout"`
	// TLSCert is the PEM certificate file (full chain) for STARTTLS. It
	// is set together with TLSKey, or not at all.
	TLSCert string `toml:"tls_cert"`
	// TLSKey is the PEM private key file matching TLSCert. When both are
	// set, the server offers STARTTLS.
	TLSKey string `toml:"tls_key"`
}

// IMAP configures the read-only archive server.
type IMAP struct {
	// Listen is the host:port of the IMAP server; "" disables it.
	Listen string `toml:"listen"`
	// TLSListen is the host:port of the IMAP server over TLS from the
	// first byte (IMAPS, port 993); "" (the default) disables it.
	TLSListen string `toml:"tls_listen"`
	// TLSCert and TLSKey are the IMAP server's own certificate and key
	// (PEM files), set together; "" uses smtp.tls_cert and smtp.tls_key.
	TLSCert string `toml:"tls_cert"`
	TLSKey  string `toml:"tls_key"`
}

// HTTP configures the web server (register, one-click unsubscribe, health).
type HTTP struct {
	// Listen is the host:port of the HTTP server; "" disables it.
	Listen string `toml:"listen"`
	// BaseURL is how the outside world reaches Listen, used in links.
	BaseURL string `toml:"base_url"`
	// TLSCert and TLSKey, set together, make the server speak HTTPS
	// (only) on Listen with this certificate and key (PEM files); ""
	// serves plain HTTP, for a reverse proxy in front.
	TLSCert string `toml:"tls_cert"`
	TLSKey  string `toml:"tls_key"`
}

// Delivery configures outbound mail.
type Delivery struct {
	// Mode is "maildir" (write copies under data_dir) or "relay" (SMTP to
	// a smarthost).
	Mode string `toml:"mode"`
	// Maildir is the directory, relative to DataDir unless absolute, that
	// receives outbox/<recipient>/new/<file> in maildir mode.
	Maildir string `toml:"maildir"`
	// Relay is the host:port of the smarthost in relay mode.
	Relay string `toml:"relay"`
	// Concurrency is the number of delivery sessions at once.
	Concurrency int `toml:"concurrency"`
	// RecipientsPerTransaction caps RCPT commands per SMTP transaction.
	RecipientsPerTransaction int `toml:"recipients_per_transaction"`
	// MaxQueueLifetime is how long a recipient is retried before it is
	// given up as failed.
	MaxQueueLifetime Duration `toml:"max_queue_lifetime"`
	// Lease is how long a delivery attempt holds its queue entry before
	// another node may take it over (renewed while the attempt runs).
	Lease Duration `toml:"lease"`
	// VERP sends list mail one transaction per member, with the member
	// encoded in the envelope sender, so bounces name their member.
	VERP bool `toml:"verp"`
	// MaxRepliesPerHour caps the mail the list writes to one address in
	// an hour (answers to commands, moderation notices).
	MaxRepliesPerHour int `toml:"max_replies_per_hour"`
	// MaxPostsPerHour caps the posts one member has distributed in a
	// sliding hour: those beyond are held for the owners.
	MaxPostsPerHour int `toml:"max_posts_per_hour"`
	// BounceDays of hard bounces within BounceWindow stop delivery to a
	// member (the member stays subscribed; owners are told).
	BounceDays   int      `toml:"bounce_days"`
	BounceWindow Duration `toml:"bounce_window"`
	// DigestTime is when (HH:MM, in the timezone) the daily digest goes
	// to the members who chose it (docs/membership.md).
	DigestTime string `toml:"digest_time"`
}

// DKIM configures the signing of outgoing mail; empty disables it.
type DKIM struct {
	// Domain (d=) and Selector (s=) of the signature: the public key is
	// published at SELECTOR._domainkey.DOMAIN.
	Domain   string `toml:"domain"`
	Selector string `toml:"selector"`
	// PrivateKey is the PEM file of the key (RSA or Ed25519).
	PrivateKey string `toml:"private_key"`
}

// Storage chooses the engine of the store.
type Storage struct {
	// Driver is "bbolt" (one file, data_dir/tacit.db) or "postgres".
	Driver string `toml:"driver"`
	// DSN is the PostgreSQL connection string (postgres://…), for the
	// postgres driver.
	DSN string `toml:"dsn"`
}

// Consensus configures the lazy-consensus engine.
type Consensus struct {
	// DefaultDeadline is the deadline of a proposal that names none.
	DefaultDeadline Duration `toml:"default_deadline"`
	// MinDeadline is the shortest deadline a proposal may ask for; it is
	// never longer than DefaultDeadline.
	MinDeadline Duration `toml:"min_deadline"`
	// RemindBefore is how long before a deadline a reminder is sent; 0
	// sends none.
	RemindBefore Duration `toml:"remind_before"`
	// Schedule is the robfig/cron spec of the engine's tick.
	Schedule string `toml:"schedule"`
	// Authentication is how a proposal, a reply command or a -request
	// command that changes something is tied to its From (docs/security.md):
	// "dkim-or-confirm" (an aligned DKIM signature or a trusted
	// relay's results count at once, anything else after the sender
	// confirms by return mail), "dkim" (only those count) or "none" (From
	// is trusted).
	Authentication string `toml:"authentication"`
	// AgendaBefore is how long before each meeting its agenda goes to
	// the list (docs/meetings.md).
	AgendaBefore Duration `toml:"agenda_before"`
	// ConfirmWindow is how long a command waits for its confirmation;
	// a decision never passes over a command waiting, for at most this
	// long.
	ConfirmWindow Duration `toml:"confirm_window"`
}

// The values of consensus.authentication.
const (
	AuthDKIMOrConfirm = "dkim-or-confirm"
	AuthDKIM          = "dkim"
	AuthNone          = "none"
)

// Duration is a time.Duration written in TOML as a Go duration string
// ("72h", "30s", "1h30m"), which may start with days ("3d", "1d12h"):
// see ParseDuration. It is never negative; "0s" is allowed. It
// implements encoding.TextUnmarshaler and encoding.TextMarshaler.
type Duration struct {
	time.Duration
}

// Default returns the built-in configuration of docs/configuration.md, plus
// tacit's own SMTP limits. It returns a new value on each call.
func Default() *Config {
	return &Config{
		DataDir:  "tacit-data",
		Domain:   "lists.localhost",
		Language: "fr",
		Timezone: "Europe/Paris",
		SMTP: SMTP{
			Listen:               "127.0.0.1:2525",
			Hostname:             "lists.localhost",
			MaxMessageBytes:      26214400,
			MaxRecipients:        100,
			MaxConnections:       200,
			MaxConnectionsPerIP:  50,
			MaxMessagesPerMinute: 600,
			IdleTimeout:          Duration{5 * time.Minute},
			DataTimeout:          Duration{10 * time.Minute},
		},
		IMAP: IMAP{Listen: "127.0.0.1:1143"},
		HTTP: HTTP{Listen: "127.0.0.1:8025", BaseURL: "http://127.0.0.1:8025"},
		Delivery: Delivery{
			Mode:                     "maildir",
			Maildir:                  "outbox",
			Relay:                    "127.0.0.1:25",
			Concurrency:              8,
			RecipientsPerTransaction: 100,
			MaxQueueLifetime:         Duration{120 * time.Hour},
			Lease:                    Duration{30 * time.Second},
			VERP:                     true,
			MaxRepliesPerHour:        10,
			MaxPostsPerHour:          10,
			BounceDays:               3,
			BounceWindow:             Duration{14 * 24 * time.Hour},
			DigestTime:               "18:00",
		},
		Storage: Storage{Driver: "bbolt"},
		Consensus: Consensus{
			DefaultDeadline: Duration{72 * time.Hour},
			MinDeadline:     Duration{24 * time.Hour},
			RemindBefore:    Duration{24 * time.Hour},
			Schedule:        "@every 30s",
			Authentication:  AuthDKIMOrConfirm,
			ConfirmWindow:   Duration{24 * time.Hour},
			AgendaBefore:    Duration{72 * time.Hour},
		},
	}
}
