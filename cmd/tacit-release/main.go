// Command tacit-release builds a release of tacit: for each architecture a
// static binary and a Debian package holding it, the systemd unit, the
// configuration file, the tacit system user and the documentation.
//
//	go run ./cmd/tacit-release [--version V] [--arch amd64,arm64] [--out dist]
//
// It runs inside the tacit module (it calls go build on ./cmd/tacit) and
// writes, in the output directory, tacit_V_linux_ARCH (the binary),
// tacit_V_ARCH.deb and SHA256SUMS. docs/release.md describes the package.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "tacit-release: "+strings.ReplaceAll(err.Error(), "\n", "; "))
		os.Exit(1)
	}
}

// run parses the flags and builds the release.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("tacit-release", flag.ContinueOnError)
	fs.SetOutput(stdout)
	var o Options
	var arches string
	fs.StringVar(&o.Version, "version", "", "the release's version (default: git describe --tags --always --dirty, or 0.1.0-dev+gHASH without a tag)")
	fs.StringVar(&o.Out, "out", "dist", "directory the binaries, packages and SHA256SUMS are written to")
	fs.StringVar(&arches, "arch", "amd64", "comma-separated architectures: amd64, arm64")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	for _, a := range strings.Split(arches, ",") {
		if a = strings.TrimSpace(a); a != "" {
			o.Arches = append(o.Arches, a)
		}
	}
	r, err := Build(ctx, o)
	if err != nil {
		return err
	}
	for _, a := range r.Artifacts {
		fmt.Fprintf(stdout, "%s  %s\n", a.Kind, a.Path)
	}
	return nil
}
