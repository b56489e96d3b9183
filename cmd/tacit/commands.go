package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"

	"tacit/config"
	"tacit/listserv/admin"
)

// cli is what a command run in this process gets: its streams and the
// configuration chosen (configfile.go), read only when the command
// needs it.
type cli struct {
	cfg            configChoice
	lang           string // of the texts: "fr" or "en"
	stdin          io.Reader
	stdout, stderr io.Writer
}

// config reads the configuration chosen (the built-in defaults when
// none is).
func (c *cli) config() (*config.Config, error) { return c.cfg.load() }

// localFunc runs a local command; args are what follows its name.
type localFunc func(c *cli, args []string) error

// localCommands are the commands this process runs itself, by name in
// the table (admin.Commands); the others go through admin.Execute. A
// command of the table marked Local and missing here answers "not yet
// built".
func localCommands() map[string]localFunc {
	return map[string]localFunc{
		"serve":   runServe,
		"explain": runExplain,
		"version": runVersion,
		"help":    func(c *cli, args []string) error { return admin.WriteHelp(c.stdout, args, c.lang) },
		"init":    runInit,
		"migrate": runMigrate,
	}
}

// localHelp is parseLocal's error for -h or --help (which run answers
// before any command runs): it carries the flag set, for the test that
// checks the table against the code.
type localHelp struct{ fs *flag.FlagSet }

func (h *localHelp) Error() string { return h.fs.Name() + ": help requested" }
func (h *localHelp) Unwrap() error { return flag.ErrHelp }

// parseLocal parses the flags of a local command, which takes no
// positional argument.
func parseLocal(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return &localHelp{fs: fs}
	} else if err != nil {
		msg := strings.TrimSpace(err.Error())
		return &admin.UsageError{Msg: fmt.Sprintf("%s: %s (tacit %s --help)", fs.Name(), msg, fs.Name()),
			Fr: fmt.Sprintf("%s : %s (tacit %s --help)", fs.Name(), admin.FlagErrorFr(msg), fs.Name())}
	}
	if fs.NArg() != 0 {
		return errorf("%s : argument inattendu %q (voir tacit %s --help)", "%s: unexpected argument %q (see tacit %s --help)",
			fs.Name(), fs.Arg(0), fs.Name())
	}
	return nil
}

func runServe(c *cli, args []string) error {
	if err := parseLocal(flag.NewFlagSet("serve", flag.ContinueOnError), args); err != nil {
		return err
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	return serve(cfg, c.stderr)
}

func runExplain(c *cli, args []string) error {
	cfg, err := c.config()
	if err != nil {
		return err
	}
	return explain(cfg, c.lang, args, c.stdin, c.stdout)
}

// versionInfo is what `tacit version --json` prints.
type versionInfo struct {
	Version string `json:"version"`
	Go      string `json:"go"`
	// Commit is the VCS revision the binary was built from, "" when the
	// build did not record it.
	Commit string `json:"commit"`
}

func buildVersion() versionInfo {
	v := versionInfo{Version: version, Go: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				v.Commit = s.Value
			}
		}
	}
	return v
}

func runVersion(c *cli, args []string) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print one JSON document")
	if err := parseLocal(fs, args); err != nil {
		return err
	}
	v := buildVersion()
	if *asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("version: %w", err)
		}
		return nil
	}
	commit := ""
	if v.Commit != "" {
		commit = ", commit " + v.Commit
	}
	if _, err := fmt.Fprintf(c.stdout, "tacit %s (%s%s)\n", v.Version, v.Go, commit); err != nil {
		return fmt.Errorf("version: %w", err)
	}
	return nil
}

// outputDir makes the --output DIR of `list export` absolute, the
// current directory when none is given: the server that writes the
// files may run in another directory.
func outputDir(args []string) ([]string, error) {
	dir, out := ".", make([]string, 0, len(args)+1)
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--output" || a == "-output":
			if i+1 >= len(args) {
				return nil, errorf("list export : --output demande un dossier", "list export: --output needs a directory")
			}
			dir = args[i+1]
			i++
		case strings.HasPrefix(a, "--output=") || strings.HasPrefix(a, "-output="):
			_, dir, _ = strings.Cut(a, "=")
		default:
			out = append(out, a)
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("list export: %w", err)
	}
	return append(out, "--output="+abs), nil
}
