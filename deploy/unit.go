// Package deploy produces what a real installation of tacit needs besides
// the binary: the systemd unit (Unit), a commented configuration file
// (Config) and the DNS and Postfix records of a domain (Records). It
// writes text; it never touches the system.
package deploy

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
)

// The paths of a packaged installation.
const (
	// DefaultBinary is where the Debian package installs tacit.
	DefaultBinary = "/usr/bin/tacit"
	// DefaultConfigPath is the configuration file of the service.
	DefaultConfigPath = "/etc/tacit/tacit.toml"
	// DefaultDataDir is the service's StateDirectory.
	DefaultDataDir = "/var/lib/tacit"
	// DefaultUser is the system user (and group) the service runs as.
	DefaultUser = "tacit"
)

// UnitOptions are the parts of the systemd unit that depend on the
// installation. A zero field takes the Default* value.
type UnitOptions struct {
	// Binary is the absolute path of the tacit executable.
	Binary string
	// ConfigPath is the absolute path of the configuration file.
	ConfigPath string
	// DataDir is data_dir of that configuration. Under /var/lib/tacit it is
	// the unit's StateDirectory (created and owned by systemd); elsewhere
	// the unit adds it to ReadWritePaths, and the operator creates it.
	DataDir string
	// User and Group the service runs as.
	User, Group string
	// Listen are the host:port addresses the configuration binds (smtp,
	// imap, http). A port below 1024 gives the service
	// CAP_NET_BIND_SERVICE and nothing else; otherwise it has no
	// capability at all.
	Listen []string
}

// Unit returns the text of tacit.service: tacit serve as an unprivileged
// user in a sandbox where it can write only its data directory.
func Unit(o UnitOptions) string {
	o = o.withDefaults()
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("# tacit.service: the tacit list server (written by tacit init).")
	w("# Install as /etc/systemd/system/tacit.service, then:")
	w("#   systemctl daemon-reload && systemctl enable --now tacit")
	w("[Unit]")
	w("Description=tacit mailing-list server (lazy consensus)")
	w("Wants=network-online.target")
	w("After=network-online.target postfix.service")
	w("")
	w("[Service]")
	w("Type=simple")
	w("User=%s", o.User)
	w("Group=%s", o.Group)
	w("ExecStart=%s --config %s serve", o.Binary, o.ConfigPath)
	w("# systemctl reload tacit: the TLS certificates are read again (docs/tls.md).")
	w("ExecReload=/bin/kill -HUP $MAINPID")
	w("Restart=on-failure")
	w("RestartSec=5s")
	w("# tacit finishes the SMTP sessions and deliveries under way on SIGTERM.")
	w("TimeoutStopSec=30s")
	w("# SMTP and IMAP connections, delivery sessions and the store.")
	w("LimitNOFILE=65536")
	w("UMask=0027")
	w("")
	w("# Directories: /var/lib/tacit (the store, the spools, the admin socket)")
	w("# is the only place tacit writes; /etc/tacit is read only.")
	w("StateDirectory=tacit")
	w("StateDirectoryMode=0750")
	w("ConfigurationDirectory=tacit")
	if !isStateDir(o.DataDir) {
		w("ReadWritePaths=%s", o.DataDir)
	}
	w("")
	w("# Sandbox.")
	if needsBindCap(o.Listen) {
		w("# A port below 1024 is configured: that one capability, nothing else.")
		w("CapabilityBoundingSet=CAP_NET_BIND_SERVICE")
		w("AmbientCapabilities=CAP_NET_BIND_SERVICE")
	} else {
		w("CapabilityBoundingSet=")
	}
	w("NoNewPrivileges=yes")
	w("ProtectSystem=strict")
	w("ProtectHome=yes")
	w("PrivateTmp=yes")
	w("PrivateDevices=yes")
	w("ProtectKernelTunables=yes")
	w("ProtectKernelModules=yes")
	w("ProtectKernelLogs=yes")
	w("ProtectControlGroups=yes")
	w("ProtectClock=yes")
	w("ProtectHostname=yes")
	w("RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX")
	w("RestrictNamespaces=yes")
	w("RestrictRealtime=yes")
	w("RestrictSUIDSGID=yes")
	w("LockPersonality=yes")
	w("MemoryDenyWriteExecute=yes")
	w("SystemCallArchitectures=native")
	w("SystemCallFilter=@system-service")
	w("")
	w("[Install]")
	w("WantedBy=multi-user.target")
	return b.String()
}

func (o UnitOptions) withDefaults() UnitOptions {
	if o.Binary == "" {
		o.Binary = DefaultBinary
	}
	if o.ConfigPath == "" {
		o.ConfigPath = DefaultConfigPath
	}
	if o.DataDir == "" {
		o.DataDir = DefaultDataDir
	}
	if o.User == "" {
		o.User = DefaultUser
	}
	if o.Group == "" {
		o.Group = o.User
	}
	return o
}

// isStateDir reports whether dir is StateDirectory=tacit or inside it.
func isStateDir(dir string) bool {
	dir = filepath.Clean(dir)
	return dir == DefaultDataDir || strings.HasPrefix(dir, DefaultDataDir+"/")
}

// needsBindCap reports whether one of the addresses has a port below 1024.
func needsBindCap(listen []string) bool {
	for _, a := range listen {
		_, port, err := net.SplitHostPort(a)
		if err != nil {
			continue
		}
		if n, err := strconv.Atoi(port); err == nil && n > 0 && n < 1024 {
			return true
		}
	}
	return false
}
