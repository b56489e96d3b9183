package imaparchive

import (
	"container/list"
	"net"
	"sync"
	"time"
)

// Login failures are counted per (address, client) and per client, where
// a client is an IPv4 address or an IPv6 /64 network (one subscriber's
// share). Past the limit, that pair or that client is refused until its
// failures are 15 minutes old: a stranger's guesses lock out the stranger,
// never the member logging in from elsewhere (docs/security.md).
//
// Password checks are costly on purpose (bcrypt). So that a flood of
// LOGINs cannot eat the CPU, at most a few run at once for one address
// and for one client; an attempt beyond is answered NO [UNAVAILABLE] at
// once, without a check, and is not counted as a failure.
//
// Everything lives in memory, in tables of at most maxTracked entries
// each: an entry goes when its failures are older than the window, or,
// when the table is full, the entry whose last failure is the oldest.

const (
	// failureWindow is how long a failed login counts.
	failureWindow = 15 * time.Minute
	// maxTracked bounds the entries of each failure table.
	maxTracked = 100_000
	// defaultMaxChecks is how many password checks may run at once for
	// one address; a client may run defaultChecksPerClient.
	defaultMaxChecks       = 2
	defaultChecksPerClient = 8
)

// clientKey names the client that failures and checks are counted for.
func clientKey(ip net.IP) string {
	if ip == nil {
		return "?"
	}
	if v4 := ip.To4(); v4 != nil {
		return v4.String()
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// limiter decides which logins may be tried. It is safe for concurrent
// use.
type limiter struct {
	mu       sync.Mutex
	pairs    *failures // key: address NUL client
	clients  *failures // key: client
	maxAddr  int       // checks at once per address
	maxIP    int       // checks at once per client
	inAddr   map[string]int
	inClient map[string]int
}

func newLimiter(window time.Duration, maxPair, maxClient, maxChecks int) *limiter {
	return &limiter{
		pairs:   newFailures(window, maxPair, maxTracked),
		clients: newFailures(window, maxClient, maxTracked),
		maxAddr: maxChecks, maxIP: max(maxChecks, defaultChecksPerClient),
		inAddr: map[string]int{}, inClient: map[string]int{},
	}
}

func pairKey(addr, client string) string { return addr + "\x00" + client }

// blocked reports whether a login for addr from client must be refused
// for the failures before it.
func (l *limiter) blocked(addr, client string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pairs.full(pairKey(addr, client), now) || l.clients.full(client, now)
}

// begin reserves one password check for addr from client; false when
// too many run already. A true begin is followed by end.
func (l *limiter) begin(addr, client string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.inAddr[addr] >= l.maxAddr || l.inClient[client] >= l.maxIP {
		return false
	}
	l.inAddr[addr]++
	l.inClient[client]++
	return true
}

// end releases a check reserved by begin.
func (l *limiter) end(addr, client string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.inAddr[addr]--; l.inAddr[addr] <= 0 {
		delete(l.inAddr, addr)
	}
	if l.inClient[client]--; l.inClient[client] <= 0 {
		delete(l.inClient, client)
	}
}

// fail records a failed login.
func (l *limiter) fail(addr, client string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pairs.add(pairKey(addr, client), now)
	l.clients.add(client, now)
}

// succeed forgets the failures of addr from client.
func (l *limiter) succeed(addr, client string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pairs.forget(pairKey(addr, client))
}

// failures keeps the recent failures of each key, at most limit of them,
// for at most size keys.
type failures struct {
	window time.Duration
	limit  int
	size   int
	order  *list.List // of *failEntry, the most recent failure in front
	byKey  map[string]*list.Element
}

type failEntry struct {
	key   string
	times []time.Time // oldest first, at most limit
}

func newFailures(window time.Duration, limit, size int) *failures {
	return &failures{window: window, limit: limit, size: size, order: list.New(), byKey: map[string]*list.Element{}}
}

// full reports whether key has limit failures within the window.
func (f *failures) full(key string, now time.Time) bool {
	e, ok := f.byKey[key]
	if !ok {
		return false
	}
	n := 0
	for _, t := range e.Value.(*failEntry).times {
		if now.Sub(t) < f.window {
			n++
		}
	}
	return n >= f.limit
}

// add records a failure of key at now.
func (f *failures) add(key string, now time.Time) {
	f.expire(now)
	e, ok := f.byKey[key]
	if !ok {
		e = f.order.PushFront(&failEntry{key: key})
		f.byKey[key] = e
	} else {
		f.order.MoveToFront(e)
	}
	fe := e.Value.(*failEntry)
	fe.times = append(fe.times, now)
	if len(fe.times) > f.limit {
		fe.times = append(fe.times[:0], fe.times[len(fe.times)-f.limit:]...)
	}
	for f.order.Len() > f.size {
		f.remove(f.order.Back())
	}
}

// expire drops the keys whose last failure is out of the window.
func (f *failures) expire(now time.Time) {
	for e := f.order.Back(); e != nil; e = f.order.Back() {
		times := e.Value.(*failEntry).times
		if now.Sub(times[len(times)-1]) < f.window {
			return
		}
		f.remove(e)
	}
}

func (f *failures) forget(key string) {
	if e, ok := f.byKey[key]; ok {
		f.remove(e)
	}
}

func (f *failures) remove(e *list.Element) {
	f.order.Remove(e)
	delete(f.byKey, e.Value.(*failEntry).key)
}

// len returns how many keys are kept.
func (f *failures) len() int { return f.order.Len() }
