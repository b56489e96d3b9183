package main

// Helpers of TestRelayThroughPostfix (postfix_e2e_test.go): a private
// Postfix instance run from a temporary directory.

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const postfixCmd = "/usr/sbin/postfix"

// postfixMTA is a private Postfix instance: its configuration, queue,
// data and log are all in dir, and its smtpd listens on addr.
type postfixMTA struct {
	t    testing.TB
	dir  string
	conf string // config_directory, for postfix -c
	addr string // 127.0.0.1:PORT of its smtpd
}

// postfixRoute sends the mail of a domain to an SMTP server.
type postfixRoute struct {
	domain string
	addr   string // host:port, host an IP address
}

// startPostfix runs a Postfix instance that accepts mail from 127.0.0.0/8
// for the domains of routes only, relays it to their servers, and refuses
// the recipients in reject (550 at RCPT). It is stopped, and its directory
// removed, when the test ends; its log is printed if the test failed.
//
// A next hop may be on 127.0.0.1 provided it does not greet with
// Postfix's own name, mta.postfix.test (Postfix would see a mail loop).
func startPostfix(t testing.TB, routes []postfixRoute, reject []string) *postfixMTA {
	t.Helper()
	return startPostfixWith(t, routes, reject, "")
}

// startPostfixWith is startPostfix with, when milterAddr is set, every
// message passed to the milter there (a milter that does not answer
// fails the message: milter_default_action = tempfail).
func startPostfixWith(t testing.TB, routes []postfixRoute, reject []string, milterAddr string) *postfixMTA {
	t.Helper()
	// Not t.TempDir: its parent is mode 0700 and the Postfix daemons run
	// as mail_owner. A short path also keeps the sockets' paths short.
	dir, err := os.MkdirTemp("", "tacit-postfix-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	m := &postfixMTA{t: t, dir: dir, conf: filepath.Join(dir, "etc")}
	for _, d := range []string{m.conf, filepath.Join(dir, "spool")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}

	var transport, access strings.Builder
	var domains []string
	for _, r := range routes {
		fmt.Fprintf(&transport, "%s smtp:[%s]:%s\n", r.domain, hostOf(r.addr), portOf(r.addr))
		domains = append(domains, r.domain)
	}
	for _, a := range reject {
		fmt.Fprintf(&access, "%s REJECT refused by the test's access map\n", a)
	}
	m.write("transport", transport.String())
	m.write("recipient_access", access.String())
	m.write("main.cf", fmt.Sprintf(`# Written by TestRelayThroughPostfix.
compatibility_level = 3.6
queue_directory = %[1]s/spool
data_directory = %[1]s/data
mail_owner = postfix
setgid_group = postdrop
syslog_name = postfix-tacit-e2e
maillog_file = %[1]s/maillog
maillog_file_prefixes = %[1]s

myhostname = mta.postfix.test
mydomain = postfix.test
myorigin = $myhostname
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8

# No local delivery, and nothing leaves but to the routes of the test.
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
local_transport = error:5.1.1 no local delivery in this test
relayhost =
relay_domains = %[2]s
transport_maps = texthash:%[3]s/transport
relay_transport = error:5.1.2 no route in this test
default_transport = error:5.1.2 no route in this test
smtp_tls_security_level = none
smtpd_tls_security_level = none
disable_mime_output_conversion = yes
biff = no
append_dot_mydomain = no

smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions = check_recipient_access texthash:%[3]s/recipient_access, permit_auth_destination, reject
`, dir, strings.Join(domains, ", "), m.conf)+milterConf(milterAddr))

	m.boot()
	return m
}

// milterConf is the main.cf lines that pass every message to the milter
// at addr ("" for none).
func milterConf(addr string) string {
	if addr == "" {
		return ""
	}
	return fmt.Sprintf(`
# The operator's DKIM/DMARC checker.
smtpd_milters = inet:%s
milter_default_action = tempfail
milter_connect_timeout = 10s
milter_command_timeout = 10s
`, addr)
}

// boot starts the configured Postfix on a free port (another port when
// the one chosen was taken meanwhile) and waits until it accepts
// connections; its log is shown when the test fails.
func (m *postfixMTA) boot() {
	t, dir := m.t, m.dir
	t.Helper()
	t.Cleanup(m.stop)
	for try := 0; ; try++ {
		m.addr = freePort(t)
		m.write("master.cf", postfixMasterCf(t, portOf(m.addr)))
		out, err := m.postfix("start")
		if err == nil {
			if strings.TrimSpace(out) != "" {
				t.Logf("postfix start:\n%s", out)
			}
			break
		}
		logs := m.log()
		if try < 4 && strings.Contains(out+logs, "in use") {
			m.stop()
			continue
		}
		t.Fatalf("postfix start: %v\n%s\nmaillog:\n%s", err, out, logs)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("Postfix log (%s):\n%s", filepath.Join(dir, "maillog"), m.log())
		}
	})
	if !waitFor(10*time.Second, func() bool {
		c, err := net.DialTimeout("tcp", m.addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	}) {
		t.Fatalf("Postfix does not accept connections on %s; maillog:\n%s", m.addr, m.log())
	}
}

// postfixMasterCf is master.cf: an smtpd on 127.0.0.1:port only, then
// the services of testdata/postfix/master.cf (shared with tacit-bench's
// peer scripts).
func postfixMasterCf(t testing.TB, port string) string {
	t.Helper()
	services, err := os.ReadFile(filepath.Join("..", "..", "testdata", "postfix", "master.cf"))
	if err != nil {
		t.Fatal(err)
	}
	return "# Written by TestRelayThroughPostfix.\n127.0.0.1:" + port + " inet n - n - - smtpd\n" + string(services)
}

func (m *postfixMTA) write(name, content string) {
	m.t.Helper()
	if err := os.WriteFile(filepath.Join(m.conf, name), []byte(content), 0o644); err != nil {
		m.t.Fatal(err)
	}
}

// postfix runs `postfix -c CONF args...` with a deadline of 20 seconds.
func (m *postfixMTA) postfix(args ...string) (string, error) {
	cmd := exec.Command(postfixCmd, append([]string{"-c", m.conf}, args...)...)
	cmd.Env = append(os.Environ(), "MAIL_CONFIG="+m.conf)
	cmd.Dir = m.dir
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 2 * time.Second // a daemon that kept the output open
	if err := cmd.Start(); err != nil {
		return "", err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.String(), err
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		return out.String(), fmt.Errorf("postfix %s: no answer in 20s", strings.Join(args, " "))
	}
}

// stop stops the instance if its master runs; if the master is still
// there after postfix stop, it kills its process group.
func (m *postfixMTA) stop() {
	pid := m.masterPID()
	if pid == 0 {
		return
	}
	if out, err := m.postfix("stop"); err != nil {
		m.t.Logf("postfix stop: %v\n%s", err, out)
	}
	if m.masterPID() == pid {
		m.t.Errorf("Postfix master %d still running after postfix stop; killing its process group", pid)
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
}

// masterPID returns the pid of the running master of the instance, 0 if
// there is none.
func (m *postfixMTA) masterPID() int {
	b, err := os.ReadFile(filepath.Join(m.dir, "spool", "pid", "master.pid"))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 || syscall.Kill(pid, 0) != nil || !m.masterOf(pid) {
		return 0
	}
	return pid
}

// masterOf reports whether pid is a Postfix master (not a recycled pid).
func (m *postfixMTA) masterOf(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return err == nil && strings.Contains(string(b), "master")
}

// log returns Postfix's log so far.
func (m *postfixMTA) log() string {
	b, err := os.ReadFile(filepath.Join(m.dir, "maillog"))
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return string(b)
}

func hostOf(addr string) string { h, _, _ := net.SplitHostPort(addr); return h }
func portOf(addr string) string { _, p, _ := net.SplitHostPort(addr); return p }
