package imaparchive

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// dialFrom connects to f's server from the loopback address ip
// (127.0.0.2, …), skipping the test when the machine cannot.
func (f *fixture) dialFrom(t testing.TB, ip string) *imapclient.Client {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	conn, err := d.Dial("tcp", f.addr)
	if err != nil {
		t.Skipf("cannot connect from %s: %v", ip, err)
	}
	c := imapclient.New(conn, nil)
	t.Cleanup(func() { c.Close() })
	return c
}

// A stranger's wrong passwords lock out the stranger, not the member
// logging in from elsewhere (before, five of them anywhere locked the
// member out for 15 minutes).
func TestStrangerCannotLockOutMember(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	stranger := f.dialFrom(t, "127.0.0.2")
	for range 5 {
		wantNo(t, "stranger's guess", stranger.Login(bob, "guess").Wait(), imap.ResponseCodeAuthenticationFailed)
	}
	wantNo(t, "stranger after 5 guesses", stranger.Login(bob, "bob-secret").Wait(), imap.ResponseCodeUnavailable)
	// Other strangers may add their guesses: still no effect on bob.
	for i := 3; i <= 6; i++ {
		other := f.dialFrom(t, fmt.Sprintf("127.0.0.%d", i))
		for range 5 {
			wantNo(t, "other stranger's guess", other.Login(bob, "guess").Wait(), imap.ResponseCodeAuthenticationFailed)
		}
	}
	if err := f.dialFrom(t, "127.0.0.1").Login(bob, "bob-secret").Wait(); err != nil {
		t.Fatalf("bob from his own address after 25 strangers' guesses: %v", err)
	}
	// Bob's own typos lock only his own address, and his success clears
	// them.
	own := f.dialFrom(t, "127.0.0.1")
	for range 4 {
		wantNo(t, "bob's typo", own.Login(bob, "typo").Wait(), imap.ResponseCodeAuthenticationFailed)
	}
	if err := own.Login(bob, "bob-secret").Wait(); err != nil {
		t.Fatalf("bob after 4 typos: %v", err)
	}
	again := f.dialFrom(t, "127.0.0.1")
	for range 4 {
		wantNo(t, "bob's typo", again.Login(bob, "typo").Wait(), imap.ResponseCodeAuthenticationFailed)
	}
	if err := again.Login(bob, "bob-secret").Wait(); err != nil {
		t.Errorf("bob's success did not clear his failures: %v", err)
	}
	// The stranger's lock ends with the window.
	wantNo(t, "stranger still locked", f.dialFrom(t, "127.0.0.2").Login(bob, "bob-secret").Wait(), imap.ResponseCodeUnavailable)
	f.advance(failureWindow + time.Second)
	if err := f.dialFrom(t, "127.0.0.2").Login(bob, "bob-secret").Wait(); err != nil {
		t.Errorf("after the window: %v", err)
	}
}

// At most MaxConcurrentChecks password checks run at once for one
// address; the attempts beyond are refused at once, without a check and
// without counting as failures; other addresses are not held up.
func TestConcurrentChecksBounded(t *testing.T) {
	t.Parallel()
	const slow = "slow guess"
	entered := make(chan struct{}, 16)
	release := make(chan struct{})
	var checks sync.Map // the passwords checked
	f := newFixtureWith(t, nil, func(s *Server) {
		compare := s.compare
		s.compare = func(hash, pw []byte) error {
			checks.Store(string(pw), true)
			if string(pw) == slow {
				entered <- struct{}{}
				<-release
			}
			return compare(hash, pw)
		}
	})
	results := make(chan error, 2)
	for i := range 2 {
		c := f.dialFrom(t, fmt.Sprintf("127.0.0.%d", 2+i))
		go func() { results <- c.Login(bob, slow).Wait() }()
	}
	for range 2 {
		select {
		case <-entered:
		case <-time.After(10 * time.Second):
			t.Fatal("the slow checks did not start")
		}
	}
	start := time.Now()
	wantNo(t, "third check at once", f.dialFrom(t, "127.0.0.4").Login(bob, "bob-secret").Wait(), imap.ResponseCodeUnavailable)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the refusal took %v", d)
	}
	if _, ran := checks.Load("bob-secret"); ran {
		t.Error("the refused attempt was checked")
	}
	if err := f.dialFrom(t, "127.0.0.4").Login(carol, "carol-secret").Wait(); err != nil {
		t.Errorf("another address while bob's checks run: %v", err)
	}
	close(release)
	for range 2 {
		wantNo(t, "slow guess", <-results, imap.ResponseCodeAuthenticationFailed)
	}
	if err := f.dialFrom(t, "127.0.0.4").Login(bob, "bob-secret").Wait(); err != nil {
		t.Errorf("bob once the checks are done: %v", err)
	}
}

// One client runs at most 8 checks at once, whatever the addresses.
func TestConcurrentChecksPerClient(t *testing.T) {
	t.Parallel()
	entered := make(chan struct{}, 16)
	release := make(chan struct{})
	f := newFixtureWith(t, nil, func(s *Server) {
		compare := s.compare
		s.compare = func(hash, pw []byte) error {
			if string(pw) == "slow" {
				entered <- struct{}{}
				<-release
			}
			return compare(hash, pw)
		}
	})
	results := make(chan error, defaultChecksPerClient)
	for i := range defaultChecksPerClient {
		c := f.dialFrom(t, "127.0.0.2")
		go func() { results <- c.Login(fmt.Sprintf("u%d@example.test", i), "slow").Wait() }()
	}
	for range defaultChecksPerClient {
		select {
		case <-entered:
		case <-time.After(10 * time.Second):
			t.Fatal("the slow checks did not start")
		}
	}
	wantNo(t, "ninth check from one client", f.dialFrom(t, "127.0.0.2").Login(bob, "bob-secret").Wait(), imap.ResponseCodeUnavailable)
	if err := f.dialFrom(t, "127.0.0.3").Login(bob, "bob-secret").Wait(); err != nil {
		t.Errorf("from another client: %v", err)
	}
	close(release)
	for range defaultChecksPerClient {
		wantNo(t, "slow", <-results, imap.ResponseCodeAuthenticationFailed)
	}
}

// The failure tables keep at most their size, the entries whose last
// failure is oldest going first, and forget what is out of the window.
func TestFailureTableBounded(t *testing.T) {
	t.Parallel()
	f := newFailures(time.Minute, 3, 4)
	now := t0
	for i := range 10 {
		now = now.Add(time.Second)
		f.add(fmt.Sprintf("k%d", i), now)
		f.add(fmt.Sprintf("k%d", i), now)
	}
	if f.len() != 4 {
		t.Errorf("%d entries, want 4", f.len())
	}
	for i := range 10 {
		if _, kept := f.byKey[fmt.Sprintf("k%d", i)]; kept != (i >= 6) {
			t.Errorf("k%d kept: %v", i, kept)
		}
	}
	// Each entry keeps at most the limit of failures.
	for range 10 {
		f.add("k9", now)
	}
	if n := len(f.byKey["k9"].Value.(*failEntry).times); n != 3 || !f.full("k9", now) || f.full("k8", now) {
		t.Errorf("k9 keeps %d failures; full %v, k8 full %v", n, f.full("k9", now), f.full("k8", now))
	}
	if f.full("k9", now.Add(time.Minute)) {
		t.Error("k9 still full after the window")
	}
	f.add("new", now.Add(2*time.Minute))
	if f.len() != 1 {
		t.Errorf("%d entries after the window, want 1", f.len())
	}
}

// Python's imaplib, as a stranger from 127.0.0.2 then as the member from
// 127.0.0.1.
func TestPythonStrangerCannotLockOut(t *testing.T) {
	t.Parallel()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	f := newFixture(t)
	f.dialFrom(t, "127.0.0.2") // skips when 127.0.0.2 cannot be used
	host, port, _ := net.SplitHostPort(f.addr)
	const script = `
import imaplib, socket, sys
host, port = sys.argv[1], int(sys.argv[2])
class From(imaplib.IMAP4):
    def __init__(self, source, *a):
        self.source = source
        super().__init__(*a)
    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout, source_address=(self.source, 0))
def login(source, pw):
    M = From(source, host, port)
    try:
        M.login("bob@example.test", pw)
        return "OK"
    except imaplib.IMAP4.error as e:
        m = e.args[0]
        return m.decode() if isinstance(m, bytes) else str(m)
    finally:
        M.shutdown()
for i in range(6):
    print("stranger", login("127.0.0.2", "guess" if i < 5 else "bob-secret"))
print("member", login("127.0.0.1", "bob-secret"))
`
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, "-c", script, host, port).CombinedOutput()
	got := string(out)
	if err != nil {
		t.Fatalf("python: %v\n%s", err, got)
	}
	if strings.Count(got, "stranger [AUTHENTICATIONFAILED]") != 5 || !strings.Contains(got, "stranger [UNAVAILABLE]") ||
		!strings.Contains(got, "member OK") {
		t.Errorf("python output:\n%s", got)
	}
}
