package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// module is one Go module linked into tacit.
type module struct {
	Path, Version, Dir string
}

// copyrightText is /usr/share/doc/tacit/copyright: tacit's own licence if
// the repository has one, then the licence of the Go standard library and
// of every module linked into the static binary for arch, as each module
// ships it.
func copyrightText(ctx context.Context, root, arch string) (string, error) {
	var b strings.Builder
	b.WriteString("tacit, a mailing-list server that decides by consent.\n\n")
	b.WriteString("Copyright: the tacit authors.\n")
	own, err := licenceFiles(root)
	if err != nil {
		return "", err
	}
	if len(own) == 0 {
		b.WriteString("Licence: no licence file has been published with tacit yet.\n")
	}
	if err := writeLicences(&b, own); err != nil {
		return "", err
	}

	b.WriteString("\nThe program /usr/bin/tacit is statically linked: it contains the Go\n" +
		"standard library and the Go modules below, each under the licence that\n" +
		"follows its name.\n")
	env, err := goCommand(ctx, root, crossEnv(arch), "env", "GOROOT", "GOVERSION")
	if err != nil {
		return "", err
	}
	goroot, goversion, _ := strings.Cut(strings.TrimSpace(env), "\n")
	fmt.Fprintf(&b, "\n==== Go standard library (%s)\n\n", goversion)
	if err := writeFile(&b, filepath.Join(goroot, "LICENSE")); err != nil {
		return "", err
	}
	mods, err := linkedModules(ctx, root, arch)
	if err != nil {
		return "", err
	}
	for _, m := range mods {
		lic, err := licenceFiles(m.Dir)
		if err != nil {
			return "", err
		}
		if len(lic) == 0 {
			return "", fmt.Errorf("module %s %s has no licence file in %s", m.Path, m.Version, m.Dir)
		}
		fmt.Fprintf(&b, "\n==== %s %s\n", m.Path, m.Version)
		if err := writeLicences(&b, lic); err != nil {
			return "", err
		}
	}
	return b.String(), nil
}

// linkedModules are the modules other than tacit that ./cmd/tacit is
// built from for linux/arch, sorted by path.
func linkedModules(ctx context.Context, root, arch string) ([]module, error) {
	out, err := goCommand(ctx, root, crossEnv(arch), "list", "-deps",
		"-f", "{{with .Module}}{{.Path}}\t{{.Version}}\t{{.Dir}}{{end}}", "./cmd/tacit")
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var mods []module
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 || f[0] == "tacit" || seen[f[0]] {
			continue
		}
		seen[f[0]] = true
		mods = append(mods, module{Path: f[0], Version: f[1], Dir: f[2]})
	}
	slices.SortFunc(mods, func(a, b module) int { return strings.Compare(a.Path, b.Path) })
	return mods, nil
}

// licenceFiles are the files at the top of dir that carry a licence:
// LICENSE, LICENCE, COPYING, NOTICE, UNLICENSE and their variants.
func licenceFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("licences: %w", err)
	}
	var found []string
	for _, e := range entries {
		name := strings.ToUpper(e.Name())
		if !e.Type().IsRegular() {
			continue
		}
		for _, p := range []string{"LICENSE", "LICENCE", "COPYING", "NOTICE", "UNLICENSE"} {
			if strings.HasPrefix(name, p) {
				found = append(found, filepath.Join(dir, e.Name()))
				break
			}
		}
	}
	return found, nil
}

// writeLicences appends the text of each file, under its name.
func writeLicences(b *strings.Builder, paths []string) error {
	for _, p := range paths {
		fmt.Fprintf(b, "\n-- %s\n\n", filepath.Base(p))
		if err := writeFile(b, p); err != nil {
			return err
		}
	}
	return nil
}

// writeFile appends a file's text, ending with a newline.
func writeFile(b *strings.Builder, path string) error {
	text, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("licences: %w", err)
	}
	b.Write(text)
	if len(text) > 0 && text[len(text)-1] != '\n' {
		b.WriteByte('\n')
	}
	return nil
}
