package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Options says what Build makes.
type Options struct {
	// Version is tacit's version, printed by tacit version; "" takes
	// git describe (see defaultVersion).
	Version string
	// Arches are the GOARCH values to build for (amd64, arm64); none
	// means amd64.
	Arches []string
	// Out is the directory the files are written to; it is created.
	Out string
	// Root is the tacit module's directory; "" asks go list.
	Root string
}

// Artifact is one file Build wrote.
type Artifact struct {
	// Kind is "binary", "deb" or "sums".
	Kind string
	// Arch is the architecture of a binary or a package.
	Arch string
	// Path is where the file is.
	Path string
}

// Result is what Build made.
type Result struct {
	// Version is tacit's version and DebVersion the packages' version.
	Version, DebVersion string
	// Artifacts are the files written, in order.
	Artifacts []Artifact
}

// debArch is the Debian name of each architecture a release is built
// for (the same as Go's for these two).
var debArch = map[string]string{"amd64": "amd64", "arm64": "arm64"}

// elfMachine is the machine a static binary of each architecture is for.
var elfMachine = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}

// Build compiles tacit for each architecture as a static binary, checks
// that it is static, packages it as a .deb and writes SHA256SUMS.
func Build(ctx context.Context, o Options) (*Result, error) {
	if len(o.Arches) == 0 {
		o.Arches = []string{"amd64"}
	}
	for _, a := range o.Arches {
		if _, ok := debArch[a]; !ok {
			return nil, fmt.Errorf("architecture %q: tacit-release builds amd64 and arm64", a)
		}
	}
	if o.Out == "" {
		return nil, fmt.Errorf("no output directory")
	}
	root := o.Root
	if root == "" {
		var err error
		if root, err = moduleRoot(ctx); err != nil {
			return nil, err
		}
	}
	if o.Version == "" {
		o.Version = defaultVersion(ctx, root)
	}
	if !validVersion.MatchString(o.Version) {
		return nil, fmt.Errorf("version %q: only letters, digits and . + ~ _ - are allowed", o.Version)
	}
	debV, err := debVersion(o.Version)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, fmt.Errorf("output directory: %w", err)
	}
	res := &Result{Version: o.Version, DebVersion: debV}
	mtime := sourceDate(ctx, root)
	for _, arch := range o.Arches {
		bin := filepath.Join(o.Out, fmt.Sprintf("tacit_%s_linux_%s", o.Version, arch))
		if err := goBuild(ctx, root, arch, o.Version, bin); err != nil {
			return nil, err
		}
		if err := checkStatic(bin, arch); err != nil {
			return nil, err
		}
		res.Artifacts = append(res.Artifacts, Artifact{Kind: "binary", Arch: arch, Path: bin})
		deb := filepath.Join(o.Out, fmt.Sprintf("tacit_%s_%s.deb", o.Version, debArch[arch]))
		err := writeDeb(ctx, debOptions{Root: root, Binary: bin, Arch: arch, Version: debV, MTime: mtime, Path: deb})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Base(deb), err)
		}
		res.Artifacts = append(res.Artifacts, Artifact{Kind: "deb", Arch: arch, Path: deb})
	}
	sums := filepath.Join(o.Out, "SHA256SUMS")
	if err := writeSums(sums, res.Artifacts); err != nil {
		return nil, err
	}
	res.Artifacts = append(res.Artifacts, Artifact{Kind: "sums", Path: sums})
	return res, nil
}

// moduleRoot is the directory of the tacit module around the working
// directory.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := goCommand(ctx, "", nil, "list", "-m", "-f", "{{.Path}}\t{{.Dir}}")
	if err != nil {
		return "", err
	}
	path, dir, _ := strings.Cut(strings.TrimSpace(out), "\t")
	if path != "tacit" || dir == "" {
		return "", fmt.Errorf("run tacit-release inside the tacit module (go list -m says %q)", strings.TrimSpace(out))
	}
	return dir, nil
}

// crossEnv is the environment of a static build for linux/arch.
func crossEnv(arch string) []string {
	return []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=" + arch}
}

// goBuild compiles ./cmd/tacit for linux/arch into out: no cgo, no build
// paths, no symbol table, main.version set.
func goBuild(ctx context.Context, root, arch, version, out string) error {
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	_, err = goCommand(ctx, root, crossEnv(arch), "build", "-trimpath",
		"-ldflags", "-s -w -X main.version="+version, "-o", abs, "./cmd/tacit")
	return err
}

// goCommand runs the go command in dir with env added, and returns its
// standard output.
func goCommand(ctx context.Context, dir string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// checkStatic fails unless the file at path is an ELF executable for arch
// that needs no dynamic loader (no PT_INTERP) and no shared library (no
// DT_NEEDED).
func checkStatic(path, arch string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer f.Close()
	if want, ok := elfMachine[arch]; ok && f.Machine != want {
		return fmt.Errorf("%s is for %s, not %s", path, f.Machine, arch)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is not static: it asks for a dynamic loader (PT_INTERP)", path)
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		return fmt.Errorf("%s: reading its dynamic section: %w", path, err)
	}
	if len(libs) > 0 {
		return fmt.Errorf("%s is not static: it needs %s", path, strings.Join(libs, ", "))
	}
	return nil
}

// sourceDate is the time written on the packages' files:
// SOURCE_DATE_EPOCH if set, else the time of the last commit, else now.
// Two builds of one commit then give the same packages.
func sourceDate(ctx context.Context, root string) time.Time {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		s, _ = gitOutput(ctx, root, "log", "-1", "--format=%ct")
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC()
	}
	return time.Now().UTC().Truncate(time.Second)
}

// writeSums writes the SHA-256 of each artifact, as sha256sum -c reads
// them, with the names relative to the file's directory.
func writeSums(path string, arts []Artifact) error {
	var b strings.Builder
	for _, a := range arts {
		sum, err := fileSHA256(a.Path)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s  %s\n", sum, filepath.Base(a.Path))
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("SHA256SUMS: %w", err)
	}
	return nil
}

// fileSHA256 is the hex SHA-256 of a file's content.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
