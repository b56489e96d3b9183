package deploy

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// unitLines returns the Key=Value lines of a unit as a multimap.
func unitLines(text string) map[string][]string {
	m := map[string][]string{}
	for _, l := range strings.Split(text, "\n") {
		if l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, "[") {
			continue
		}
		k, v, _ := strings.Cut(l, "=")
		m[k] = append(m[k], v)
	}
	return m
}

func TestUnitDefaults(t *testing.T) {
	t.Parallel()
	u := unitLines(Unit(UnitOptions{Listen: []string{"127.0.0.1:2525", "127.0.0.1:8025", "[::]:1143"}}))
	want := map[string]string{
		"User": "tacit", "Group": "tacit", "StateDirectory": "tacit", "ConfigurationDirectory": "tacit",
		"ExecStart": "/usr/bin/tacit --config /etc/tacit/tacit.toml serve", "Restart": "on-failure",
		"ProtectSystem": "strict", "ProtectHome": "yes", "NoNewPrivileges": "yes", "PrivateTmp": "yes",
		"PrivateDevices": "yes", "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes",
		"ProtectControlGroups": "yes", "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
		"LockPersonality": "yes", "MemoryDenyWriteExecute": "yes", "RestrictNamespaces": "yes",
		"SystemCallFilter": "@system-service", "CapabilityBoundingSet": "",
		"TimeoutStopSec": "30s", "LimitNOFILE": "65536",
	}
	for k, v := range want {
		if got := u[k]; len(got) != 1 || got[0] != v {
			t.Errorf("%s=%q, want exactly %s=%s", k, got, k, v)
		}
	}
	for _, k := range []string{"ReadWritePaths", "AmbientCapabilities"} {
		if u[k] != nil {
			t.Errorf("%s=%q in the default unit", k, u[k])
		}
	}
}

func TestUnitOptions(t *testing.T) {
	t.Parallel()
	u := unitLines(Unit(UnitOptions{Binary: "/usr/local/bin/tacit", ConfigPath: "/srv/tacit.toml",
		DataDir: "/srv/tacit-data", User: "lists", Listen: []string{"0.0.0.0:25", "127.0.0.1:8025"}}))
	if got := u["ExecStart"]; len(got) != 1 || got[0] != "/usr/local/bin/tacit --config /srv/tacit.toml serve" {
		t.Errorf("ExecStart=%q", got)
	}
	if got := u["ReadWritePaths"]; len(got) != 1 || got[0] != "/srv/tacit-data" {
		t.Errorf("ReadWritePaths=%q, want the data dir outside /var/lib/tacit", got)
	}
	if got := u["CapabilityBoundingSet"]; len(got) != 1 || got[0] != "CAP_NET_BIND_SERVICE" {
		t.Errorf("port 25 configured: CapabilityBoundingSet=%q", got)
	}
	if got := u["User"]; got[0] != "lists" || u["Group"][0] != "lists" {
		t.Errorf("User=%q Group=%q", got, u["Group"])
	}
	u = unitLines(Unit(UnitOptions{DataDir: "/var/lib/tacit/"}))
	if u["ReadWritePaths"] != nil {
		t.Errorf("ReadWritePaths=%q for the StateDirectory itself", u["ReadWritePaths"])
	}
}

// systemd itself accepts the unit: systemd-analyze verify reports no
// unknown key, bad value or missing executable.
func TestUnitVerifies(t *testing.T) {
	t.Parallel()
	tool, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (apt-get install systemd): the unit is not checked by systemd")
	}
	dir := t.TempDir()
	bin, err := os.Executable() // any existing executable stands for tacit
	if err != nil {
		t.Fatal(err)
	}
	for name, o := range map[string]UnitOptions{
		"tacit.service":     {Binary: bin},
		"tacit-low.service": {Binary: bin, DataDir: "/srv/tacit", Listen: []string{"0.0.0.0:25"}},
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(Unit(o)), 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, tool, "verify", "--man=no", path)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		// Messages about the machine (no systemd running in a container)
		// are not about the unit; those naming the file are.
		var about []string
		for _, l := range strings.Split(out.String(), "\n") {
			if strings.Contains(l, name) {
				about = append(about, l)
			}
		}
		if err != nil || len(about) > 0 {
			t.Errorf("systemd-analyze verify %s: %v\n%s", name, err, out.String())
		}
	}
}
