package main

// tacit init: the files of a real installation and what to do with them
// (docs/deploy.md).

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"tacit/config"
	"tacit/deploy"
)

// initOptions are the flags of tacit init.
type initOptions struct {
	domain, dir, lang, selector, reportTo, binary string
	postmaster                                    string
	force                                         bool
}

// runInit writes tacit.toml, tacit.service and a DKIM key into --dir,
// then prints the DNS records and Postfix lines to add by hand. It reads
// no configuration: it writes one.
func runInit(c *cli, args []string) error {
	return initCommand(args, c.stdout, c.lang)
}

// initCommand is runInit on its own streams; lang is the language of
// its output when --lang is not given.
func initCommand(args []string, stdout io.Writer, lang string) error {
	o, err := parseInit(args, lang)
	if err != nil {
		return err
	}
	dir, err := filepath.Abs(o.dir)
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	keyPath := filepath.Join(dir, "dkim", o.selector+".private")
	cfgPath := filepath.Join(dir, "tacit.toml")
	unitPath := filepath.Join(dir, "tacit.service")
	if !o.force {
		var exist []string
		for _, p := range []string{cfgPath, unitPath, keyPath} {
			if _, err := os.Lstat(p); err == nil {
				exist = append(exist, p)
			}
		}
		if len(exist) > 0 {
			return errorf("init : rien n'est écrit, ces fichiers existent déjà : %s (ajouter --force pour les remplacer)",
				"init: nothing written, these files already exist: %s (add --force to replace them)", strings.Join(exist, ", "))
		}
	}

	copts := deploy.Production(o.domain, o.selector, keyPath)
	copts.Comments = o.lang
	cfgText := deploy.Config(copts)
	cfg, err := config.Parse(cfgPath, []byte(cfgText))
	if err != nil {
		return fmt.Errorf("init: the configuration written for --domain %s does not load: %w", o.domain, err)
	}
	unit := deploy.Unit(deploy.UnitOptions{Binary: o.binary, ConfigPath: cfgPath, DataDir: cfg.DataDir,
		Listen: []string{cfg.SMTP.Listen, cfg.IMAP.Listen, cfg.HTTP.Listen}})
	keyPEM, key, err := deploy.NewDKIMKey()
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	records, err := deploy.DNSRecords(deploy.DNSOptions{Domain: cfg.Domain, Selector: o.selector,
		PublicKey: key.Public(), ReportTo: o.reportTo})
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}

	// The unit's user reads the directory; the key's is the group's only.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	if err := os.Mkdir(filepath.Dir(keyPath), 0o750); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("init: %w", err)
	}
	for _, f := range []struct {
		path string
		data []byte
		mode os.FileMode
	}{{keyPath, keyPEM, 0o600}, {cfgPath, []byte(cfgText), 0o640}, {unitPath, []byte(unit), 0o644}} {
		if err := writeNew(f.path, f.data, f.mode, o.force); err != nil {
			return fmt.Errorf("init: %w", err)
		}
	}

	pf := deploy.PostfixOptions{Domain: cfg.Domain, TacitSMTP: cfg.SMTP.Listen, MaxMessageBytes: cfg.SMTP.MaxMessageBytes,
		Postmaster: o.postmaster}
	printInit(stdout, initReport{lang: o.lang, cfg: cfg, cfgPath: cfgPath, unitPath: unitPath, keyPath: keyPath,
		records: records, mainCF: deploy.PostfixMainCF(pf), transport: deploy.PostfixTransport(pf),
		virtual: deploy.PostfixVirtual(pf), postmaster: o.postmaster})
	return nil
}

// parseInit reads the flags of tacit init; lang is the default of
// --lang.
func parseInit(args []string, lang string) (initOptions, error) {
	var o initOptions
	fs := flag.NewFlagSet("init", flag.ContinueOnError)
	fs.StringVar(&o.domain, "domain", "", "the lists' domain (default: this machine's name, if it has a dot)")
	fs.StringVar(&o.dir, "dir", ".", "where to write tacit.toml, tacit.service and dkim/")
	fs.StringVar(&o.lang, "lang", lang, "language of the output and of the file's comments: fr or en")
	fs.StringVar(&o.selector, "selector", deploy.Selector(time.Now()), "DKIM selector of the new key")
	fs.StringVar(&o.postmaster, "postmaster", "", "the administrator's own mailbox, where Postfix forwards postmaster@ and abuse@ the domain")
	fs.StringVar(&o.reportTo, "report-to", "", "mailbox of DMARC reports (default: postmaster at the domain with --postmaster, else at the parent domain)")
	fs.StringVar(&o.binary, "binary", "", "path of tacit in the unit (default: this program under /usr or /opt, else /usr/bin/tacit)")
	fs.BoolVar(&o.force, "force", false, "replace existing files")
	if err := parseLocal(fs, args); err != nil {
		return o, err
	}
	if o.lang != "fr" && o.lang != "en" {
		return o, errorf("init : --lang %q : écrire fr ou en", "init: --lang %q: use fr or en", o.lang)
	}
	if o.domain == "" {
		if h, err := os.Hostname(); err == nil && strings.Contains(h, ".") {
			o.domain = h
		} else {
			return o, errorf("init : donner le domaine des listes avec --domain, par exemple --domain lists.example.org (le nom de cette machine n'a pas de partie domaine)",
				"init: give the lists' domain with --domain, for example --domain lists.example.org (this machine's name has no domain part)")
		}
	}
	o.domain = strings.ToLower(strings.TrimSuffix(o.domain, "."))
	if o.postmaster != "" {
		local, dom, ok := strings.Cut(o.postmaster, "@")
		if !ok || local == "" || dom == "" || strings.ContainsAny(o.postmaster, " \t<>,") || strings.Count(o.postmaster, "@") != 1 {
			return o, errorf("init : --postmaster %q : donner une adresse, par exemple --postmaster vous@example.net",
				"init: --postmaster %q: give an address, for example --postmaster you@example.net", o.postmaster)
		}
		if strings.EqualFold(strings.TrimSuffix(dom, "."), o.domain) {
			return o, errorf("init : --postmaster %q : le courrier de %s va à tacit ; donnez l'adresse de l'administrateur, sur un autre domaine",
				"init: --postmaster %q: the mail of %s goes to tacit; give the administrator's address at another domain", o.postmaster, o.domain)
		}
		if o.reportTo == "" {
			o.reportTo = "postmaster@" + o.domain
		}
	}
	if o.binary == "" {
		o.binary = deploy.DefaultBinary
		if exe, err := os.Executable(); err == nil {
			if exe, err = filepath.EvalSymlinks(exe); err == nil &&
				(strings.HasPrefix(exe, "/usr/") || strings.HasPrefix(exe, "/opt/")) {
				o.binary = exe
			}
		}
	}
	return o, nil
}

// writeNew writes a file that must not exist yet, unless force.
func writeNew(path string, data []byte, mode os.FileMode, force bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, mode)
	if err != nil {
		return err
	}
	if err := f.Chmod(mode); err != nil { // an existing file keeps no looser mode
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
