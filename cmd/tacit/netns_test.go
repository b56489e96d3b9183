package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// inNetNSEnv marks a test binary re-executed in its own network namespace.
const inNetNSEnv = "TACIT_E2E_NETNS"

// inOwnNetwork reports whether this process is the re-executed copy that
// runs in a private network namespace, with its loopback up.
func inOwnNetwork() bool { return os.Getenv(inNetNSEnv) != "" }

// rerunInOwnNetwork runs test name again in a new network namespace
// (unshare --net --map-root-user), where the default ports are free even
// when a developer's `tacit serve` holds them on the host. It returns
// false when namespaces are not available here; then the caller uses the
// host's ports.
func rerunInOwnNetwork(t *testing.T, name string) bool {
	t.Helper()
	unshare, err := exec.LookPath("unshare")
	if err != nil || exec.Command(unshare, "--net", "--map-root-user", "true").Run() != nil {
		return false
	}
	cmd := exec.Command(unshare, "--net", "--map-root-user", os.Args[0], "-test.run=^"+name+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), inNetNSEnv+"=1", "TACIT_E2E_BIN="+tacitBin)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+name) {
		t.Fatalf("%s in its own network namespace: %v\n%s", name, err, out)
	}
	return true
}

// loopbackUp brings lo up in a fresh network namespace, where it starts
// down.
func loopbackUp(t *testing.T) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatalf("socket: %v", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		t.Fatalf("lo flags: %v", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		t.Fatalf("lo up: %v", err)
	}
}
