// Command tacit is the tacit list server and its administration tool.
// See docs/admin.md and docs/ for the commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"tacit/config"
	"tacit/listserv"
	"tacit/listserv/admin"
	"tacit/listserv/dkim"
	"tacit/listserv/outbound"
	"tacit/listserv/rewrite"
	"tacit/storage"
)

// version is set at link time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

func main() {
	env := osEnvironment()
	if err := runIn(env, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		// One line on stderr per problem (a configuration file may
		// have several), each starting with "tacit:", in the language
		// of the locale.
		for _, line := range strings.Split(strings.TrimRight(errorText(err, env.lang), "\n"), "\n") {
			fmt.Fprintln(os.Stderr, "tacit: "+line)
		}
		os.Exit(1)
	}
}

// run is main without the process: it parses args and runs one command,
// found in the table of commands (admin.Commands): a local one here, the
// others through the running server's admin socket or on the store.
func run(args []string, stdout, stderr io.Writer) error {
	return runIn(osEnvironment(), args, stdout, stderr)
}

// runIn is run in the environment env.
func runIn(env environment, args []string, stdout, stderr io.Writer) error {
	cfgPath, given, args, err := configFlag(args)
	if err != nil {
		return err
	}
	if len(args) == 0 {
		_ = admin.WriteHelp(stdout, nil, env.lang)
		return errorf("aucune commande donnée", "no command given")
	}
	if args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		args[0] = "help"
	}
	if admin.WantsHelp(args) {
		// Before anything else: no configuration read, no store opened.
		return admin.WriteHelp(stdout, args, env.lang)
	}
	cmd, ok := admin.FindCommand(args)
	if !ok {
		return admin.UnknownCommand(args)
	}
	c := &cli{cfg: chooseConfig(cfgPath, given, env), lang: env.lang, stdin: os.Stdin, stdout: stdout, stderr: stderr}
	args = args[len(strings.Fields(cmd.Name)):]
	if f, ok := localCommands()[cmd.Name]; ok {
		return f(c, args)
	}
	if cmd.Local {
		return errorf("tacit %s : pas encore construite", "tacit %s: not yet built", cmd.Name)
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	if err := refuseNewStore(cfg, c.cfg, cmd.Name); err != nil {
		return err
	}
	args = append(strings.Fields(cmd.Name), args...)
	if cmd.Name == "backup" && len(args) == 2 {
		// The server may run elsewhere: it needs an absolute path.
		abs, err := filepath.Abs(args[1])
		if err != nil {
			return err
		}
		args = []string{"backup", abs}
	}
	if cmd.Name == "list export" {
		if args, err = outputDir(args); err != nil {
			return err
		}
	}
	// The server may not see the same files: send their text.
	args, err = admin.InlineFiles(args)
	if err != nil {
		return err
	}
	return adminCommand(cfg, c.lang, args, stdout)
}

// configFlag takes --config FILE (or --config=FILE) out of args, wherever
// it is; given says whether it was there.
func configFlag(args []string) (path string, given bool, rest []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--config" || a == "-config":
			if i+1 >= len(args) {
				return "", false, nil, errorf("--config demande un nom de fichier (ou %s pour les réglages intégrés)",
					"--config needs a file name (or %s for the built-in defaults)", builtinConfig)
			}
			path, given = args[i+1], true
			i++
		case strings.HasPrefix(a, "--config=") || strings.HasPrefix(a, "-config="):
			_, path, _ = strings.Cut(a, "=")
			given = true
		default:
			rest = append(rest, a)
		}
	}
	return path, given, rest, nil
}

// storeOptions opens the store configured: on PostgreSQL there is no
// file lock, so admin commands open it even while servers run.
func storeOptions(cfg *config.Config) storage.Options {
	return storage.Options{LockTimeout: 2 * time.Second, Driver: cfg.Storage.Driver, DSN: cfg.Storage.DSN}
}

func socketPath(cfg *config.Config) string {
	return filepath.Join(cfg.DataDir, "tacit.sock")
}

// adminCommand runs an admin command through the running server's socket,
// or on the store directly when no server runs; its output and errors
// are in lang, the locale's.
func adminCommand(cfg *config.Config, lang string, args []string, stdout io.Writer) error {
	ctx := context.Background()
	err := admin.CallIn(ctx, socketPath(cfg), lang, args, stdout)
	if !errors.Is(err, admin.ErrNoServer) {
		return err
	}
	store, err := storage.Open(cfg.StorePath(), storeOptions(cfg))
	if err != nil {
		return err
	}
	defer store.Close()
	offline := offlineOptions(cfg, store)
	a := admin.New(admin.Options{Store: store, Domain: cfg.Domain, Language: cfg.Language, Location: cfg.Location(),
		Settle: func(list string, number int, outcome, note string) error {
			return listserv.Settle(offline, list, number, outcome, note)
		},
		SendDigest: func(list string) (int, error) { return listserv.SendDigest(offline, list) }})
	return a.ExecuteIn(ctx, lang, args, stdout)
}

// offlineOptions are the server's options an admin command needs to
// write a notice itself when no server runs: the list's addresses and
// headers, links, dates, VERP and the digest's hour.
func offlineOptions(cfg *config.Config, store *storage.Store) listserv.Options {
	return listserv.Options{Store: store, Domain: cfg.Domain, Language: cfg.Language,
		SMTP: listserv.SMTPOptions{Hostname: cfg.SMTP.Hostname}, HTTPBaseURL: cfg.HTTP.BaseURL,
		HTTPListen: cfg.HTTP.Listen, Consensus: listserv.ConsensusOptions{Location: cfg.Location()},
		VERP: cfg.Delivery.VERP, Delivery: listserv.DeliveryOptions{DigestTime: cfg.Delivery.DigestTime}}
}

// serve runs the server until SIGINT or SIGTERM, with the garbage
// collector's settings of listserv.TuneRuntime.
func serve(cfg *config.Config, stderr io.Writer) error {
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	defer listserv.TuneRuntime(os.Getenv)()
	store, err := storage.Open(cfg.StorePath(), storeOptions(cfg))
	if err != nil {
		return err
	}
	defer store.Close()
	tlsConf, err := loadTLS(cfg, log)
	if err != nil {
		return err
	}
	trusted, err := cfg.TrustedRelays()
	if err != nil {
		return fmt.Errorf("smtp.trusted_relays: %w", err)
	}
	var signer *dkim.Signer
	if cfg.DKIM.PrivateKey != "" {
		key, err := os.ReadFile(cfg.DKIM.PrivateKey)
		if err != nil {
			return fmt.Errorf("dkim.private_key: %w", err)
		}
		if signer, err = dkim.NewSigner(cfg.DKIM.Domain, cfg.DKIM.Selector, key); err != nil {
			return fmt.Errorf("dkim.private_key %s: %w", cfg.DKIM.PrivateKey, err)
		}
	}
	var transport outbound.Transport
	switch cfg.Delivery.Mode {
	case "relay":
		transport = outbound.NewRelay(outbound.RelayOptions{
			Addr: cfg.Delivery.Relay, Hostname: cfg.SMTP.Hostname,
			MaxConns: cfg.Delivery.Concurrency, Logger: log,
		})
	default:
		transport = outbound.NewMaildir(cfg.MaildirPath())
	}
	defer transport.Close()
	srv, err := listserv.New(listserv.Options{
		Store:           store,
		Domain:          cfg.Domain,
		Language:        cfg.Language,
		DefaultDeadline: cfg.Consensus.DefaultDeadline.Duration,
		Consensus: listserv.ConsensusOptions{
			MinDeadline:    cfg.Consensus.MinDeadline.Duration,
			RemindBefore:   cfg.Consensus.RemindBefore.Duration,
			Schedule:       cfg.Consensus.Schedule,
			Location:       cfg.Location(),
			Authentication: cfg.Consensus.Authentication,
			ConfirmWindow:  cfg.Consensus.ConfirmWindow.Duration,
			AgendaBefore:   cfg.Consensus.AgendaBefore.Duration,
		},
		SMTP: listserv.SMTPOptions{
			Listen:               cfg.SMTP.Listen,
			Hostname:             cfg.SMTP.Hostname,
			MaxMessageBytes:      cfg.SMTP.MaxMessageBytes,
			MaxRecipients:        cfg.SMTP.MaxRecipients,
			MaxConnections:       cfg.SMTP.MaxConnections,
			MaxConnectionsPerIP:  cfg.SMTP.MaxConnectionsPerIP,
			MaxMessagesPerMinute: cfg.SMTP.MaxMessagesPerMinute,
			IdleTimeout:          cfg.SMTP.IdleTimeout.Duration,
			DataTimeout:          cfg.SMTP.DataTimeout.Duration,
			TLS:                  tlsConf.smtp,
		},
		Delivery: listserv.DeliveryOptions{
			Transport:                transport,
			Concurrency:              cfg.Delivery.Concurrency,
			RecipientsPerTransaction: cfg.Delivery.RecipientsPerTransaction,
			MaxQueueLifetime:         cfg.Delivery.MaxQueueLifetime.Duration,
			Lease:                    cfg.Delivery.Lease.Duration,
			DigestTime:               cfg.Delivery.DigestTime,
		},
		VERP:              cfg.Delivery.VERP,
		MaxRepliesPerHour: cfg.Delivery.MaxRepliesPerHour,
		MaxPostsPerHour:   cfg.Delivery.MaxPostsPerHour,
		BounceThreshold:   cfg.Delivery.BounceDays,
		BounceWindow:      cfg.Delivery.BounceWindow.Duration,
		IMAPListen:        cfg.IMAP.Listen,
		IMAPTLS:           tlsConf.imap,
		IMAPTLSListen:     cfg.IMAP.TLSListen,
		HTTPListen:        cfg.HTTP.Listen,
		HTTPBaseURL:       cfg.HTTP.BaseURL,
		HTTPTLS:           tlsConf.http,
		AdminSocket:       socketPath(cfg),
		DMARC:             rewrite.DNSPolicy(net.DefaultResolver),
		Authenticity:      dkim.Checker{Trusted: trusted, AuthservID: cfg.AuthservIDOrHost()},
		DKIM:              signer,
		Logger:            log,
	})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tlsConf.reloadOnHangup(ctx, log)
	log.Info("tacit starting", "version", version, "data_dir", cfg.DataDir,
		"delivery", cfg.Delivery.Mode, "config", cfg.Path)
	return srv.Run(ctx)
}

// explain prints what the engine reads in one message (docs/admin.md),
// with the same classifier as the server: through the running server,
// else on the store, else (no store here) without threading; in lang.
func explain(cfg *config.Config, lang string, args []string, stdin io.Reader, stdout io.Writer) error {
	var rewritten []string
	files := 0
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--list" || a == "-list":
			if i+1 < len(args) {
				rewritten = append(rewritten, a, args[i+1])
				i++
				continue
			}
		case strings.HasPrefix(a, "-") && a != "-":
		default:
			files++
			path, cleanup, err := explainFile(a, stdin)
			if err != nil {
				return fmt.Errorf("explain: %w", err)
			}
			defer cleanup()
			a = path
		}
		rewritten = append(rewritten, a)
	}
	if files != 1 {
		return errorf("usage : tacit explain FILE|- [--list NAME] [--json]", "usage: tacit explain FILE|- [--list NAME] [--json]")
	}
	args = append([]string{"explain"}, rewritten...)
	ctx := context.Background()
	err := admin.CallIn(ctx, socketPath(cfg), lang, args, stdout)
	if !errors.Is(err, admin.ErrNoServer) {
		return err
	}
	trusted, err := cfg.TrustedRelays()
	if err != nil {
		return fmt.Errorf("smtp.trusted_relays: %w", err)
	}
	o := admin.Options{Domain: cfg.Domain, Language: cfg.Language, Location: cfg.Location(),
		Authenticity:   dkim.Checker{Trusted: trusted, AuthservID: cfg.AuthservIDOrHost()},
		Authentication: cfg.Consensus.Authentication}
	if _, err := os.Stat(cfg.StorePath()); err == nil || cfg.Storage.Driver == storage.DriverPostgres {
		store, err := storage.Open(cfg.StorePath(), storeOptions(cfg))
		if err != nil {
			return err
		}
		defer store.Close()
		o.Store = store
	}
	return admin.New(o).ExecuteIn(ctx, lang, args, stdout)
}

// explainFile returns the absolute path of the message to explain: the
// file named, or a private copy of stdin for "-".
func explainFile(name string, stdin io.Reader) (string, func(), error) {
	if name != "-" {
		abs, err := filepath.Abs(name)
		return abs, func() {}, err
	}
	f, err := os.CreateTemp("", "tacit-explain-*.eml")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.Remove(f.Name()) }
	_, err = io.Copy(f, io.LimitReader(stdin, 64<<20))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		cleanup()
		return "", nil, err
	}
	return f.Name(), cleanup, nil
}
