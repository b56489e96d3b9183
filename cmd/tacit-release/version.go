package main

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
)

// devVersion is the version of a build made outside any git checkout.
const devVersion = "0.1.0-dev"

// validVersion is what a version may be made of: it names files and is
// printed by tacit version.
var validVersion = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z.+~_-]*$`)

// describeSuffix is what git describe adds to a tag: commits since, hash.
var describeSuffix = regexp.MustCompile(`^(.+)-([0-9]+)-g([0-9a-f]+)$`)

// validDebVersion is a Debian version without epoch nor revision.
var validDebVersion = regexp.MustCompile(`^[0-9][0-9A-Za-z.+~]*$`)

// defaultVersion is git describe --tags --always --dirty in root; without
// a tag, 0.1.0-dev+g followed by the commit's hash; outside git, 0.1.0-dev.
func defaultVersion(ctx context.Context, root string) string {
	described, err := gitOutput(ctx, root, "describe", "--tags", "--always", "--dirty")
	if err != nil || described == "" {
		return devVersion
	}
	if _, err := gitOutput(ctx, root, "describe", "--tags", "--abbrev=0"); err != nil {
		return devVersion + "+g" + described
	}
	return described
}

// gitOutput runs git in dir and returns its output, trimmed.
func gitOutput(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out)), nil
}

// debVersion turns tacit's version (a semantic version, perhaps as git
// describe writes it) into a Debian version that sorts the same way:
// "v1.2.0" is 1.2.0, the pre-release "1.2.0-rc.1" is 1.2.0~rc.1 (before
// 1.2.0), three commits after the tag "1.2.0-3-gabc1234" is
// 1.2.0+3.gabc1234 (after it), and "-dirty" adds +dirty.
func debVersion(v string) (string, error) {
	s := strings.TrimPrefix(v, "v")
	dirty := strings.HasSuffix(s, "-dirty")
	s = strings.TrimSuffix(s, "-dirty")
	var meta []string
	if m := describeSuffix.FindStringSubmatch(s); m != nil {
		s, meta = m[1], []string{m[2], "g" + m[3]}
	}
	s, build, ok := strings.Cut(s, "+")
	if ok {
		meta = append([]string{strings.ReplaceAll(build, "-", ".")}, meta...)
	}
	if dirty {
		meta = append(meta, "dirty")
	}
	base, pre, ok := strings.Cut(s, "-")
	out := base
	if ok {
		out += "~" + strings.ReplaceAll(pre, "-", ".")
	}
	if len(meta) > 0 {
		out += "+" + strings.Join(meta, ".")
	}
	out = strings.ReplaceAll(out, "_", ".")
	if !validDebVersion.MatchString(out) {
		return "", fmt.Errorf("version %q gives the Debian version %q, which does not start with a digit", v, out)
	}
	return out, nil
}
