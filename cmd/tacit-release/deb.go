package main

import (
	"context"
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/deb"
	"github.com/goreleaser/nfpm/v2/files"

	"tacit/deploy"
)

// pkgFiles are the maintainer scripts and the sysusers.d file.
//
//go:embed pkgfiles
var pkgFiles embed.FS

// The package's paths.
const (
	unitPath     = "/lib/systemd/system/tacit.service"
	sysusersPath = "/usr/lib/sysusers.d/tacit.conf"
	docDir       = "/usr/share/doc/tacit"
)

// maintainer is the Maintainer field of the packages.
const maintainer = "tacit <tacit@lists.localhost>"

// description is the Description field: a summary line, then the long text.
const description = `mailing-list server that decides by consent
tacit is a mailing-list server for small associations that also takes
decisions the way they already do by email: a member mails a proposal to
the list, anyone may object by replying, and if no objection stands at the
deadline the proposal is adopted ("qui ne dit mot consent"). It serves the
lists over SMTP behind Postfix, an IMAP archive and a web register of
decisions.`

// debOptions are the parts of one package.
type debOptions struct {
	Root    string    // the tacit module, for the docs and the licences
	Binary  string    // the static tacit built for Arch
	Arch    string    // GOARCH
	Version string    // Debian version
	MTime   time.Time // time of every file
	Path    string    // the .deb written
}

// packagedConfig is /etc/tacit/tacit.toml: the defaults of an
// installation behind Postfix on the same machine, with the domain still
// to be set by the administrator (tacit init, or by hand).
func packagedConfig() deploy.ConfigOptions {
	return deploy.ConfigOptions{
		DataDir:      deploy.DefaultDataDir,
		SMTPListen:   "127.0.0.1:2525",
		DeliveryMode: "relay",
		Relay:        "127.0.0.1:25",
	}
}

// packagedUnit is the unit of the packaged configuration.
func packagedUnit() string {
	c := deploy.Values(packagedConfig())
	return deploy.Unit(deploy.UnitOptions{
		Binary:     deploy.DefaultBinary,
		ConfigPath: deploy.DefaultConfigPath,
		DataDir:    c.DataDir,
		Listen:     []string{c.SMTP.Listen, c.IMAP.Listen, c.HTTP.Listen},
	})
}

// writeDeb writes the Debian package of o.Binary to o.Path.
func writeDeb(ctx context.Context, o debOptions) error {
	stage, err := os.MkdirTemp("", "tacit-release-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)

	copyright, err := copyrightText(ctx, o.Root, o.Arch)
	if err != nil {
		return err
	}
	staged := map[string]string{
		"tacit.service": packagedUnit(),
		"tacit.toml":    deploy.Config(packagedConfig()),
		"copyright":     copyright,
	}
	for _, name := range []string{"postinst", "prerm", "postrm", "tacit.sysusers"} {
		b, err := pkgFiles.ReadFile("pkgfiles/" + name)
		if err != nil {
			return err
		}
		staged[name] = string(b)
	}
	for name, text := range staged {
		if err := os.WriteFile(filepath.Join(stage, name), []byte(text), 0o644); err != nil {
			return err
		}
	}
	at := func(name string) string { return filepath.Join(stage, name) }

	contents := files.Contents{
		file(o.Binary, deploy.DefaultBinary, 0o755),
		file(at("tacit.service"), unitPath, 0o644),
		file(at("tacit.sysusers"), sysusersPath, 0o644),
		// A conffile: dpkg keeps the administrator's edits on upgrade.
		// postinst gives it to group tacit (dpkg-statoverride).
		{Source: at("tacit.toml"), Destination: deploy.DefaultConfigPath, Type: files.TypeConfigNoReplace,
			FileInfo: &files.ContentFileInfo{Mode: 0o640}},
		file(at("copyright"), docDir+"/copyright", 0o644),
		file(filepath.Join(o.Root, "README.md"), docDir+"/README.md", 0o644),
	}
	docs, err := filepath.Glob(filepath.Join(o.Root, "docs", "*.md"))
	if err != nil || len(docs) == 0 {
		return fmt.Errorf("no docs/*.md in %s", o.Root)
	}
	for _, d := range docs {
		contents = append(contents, file(d, docDir+"/docs/"+filepath.Base(d), 0o644))
	}

	info := nfpm.WithDefaults(&nfpm.Info{
		Name:          "tacit",
		Arch:          debArch[o.Arch],
		Platform:      "linux",
		Version:       o.Version,
		VersionSchema: "none",
		Section:       "mail",
		Priority:      "optional",
		Maintainer:    maintainer,
		Description:   description,
		MTime:         o.MTime,
		Overridables: nfpm.Overridables{
			// The user is made by systemd-sysusers, or adduser without systemd.
			Depends:    []string{"systemd | adduser"},
			Recommends: []string{"postfix"},
			Contents:   contents,
			Scripts: nfpm.Scripts{
				PostInstall: at("postinst"),
				PreRemove:   at("prerm"),
				PostRemove:  at("postrm"),
			},
		},
	})
	f, err := os.Create(o.Path)
	if err != nil {
		return err
	}
	if err := deb.Default.Package(info, f); err != nil {
		f.Close()
		os.Remove(o.Path)
		return fmt.Errorf("nfpm: %w", err)
	}
	return f.Close()
}

// file is a regular file of the package, owned by root.
func file(src, dst string, mode os.FileMode) *files.Content {
	return &files.Content{Source: src, Destination: dst, FileInfo: &files.ContentFileInfo{Mode: mode}}
}
