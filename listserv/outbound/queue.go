package outbound

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"tacit/storage"
)

// Queue is what the runner needs of the store: the delivery queue and
// the messages it delivers. *storage.Store is one.
type Queue interface {
	RecoverInFlight(now time.Time) (int, error)
	Due(now time.Time, limit int, skip func(id uint64) bool) ([]storage.QueueEntry, error)
	NextDue() (t time.Time, ok bool, err error)
	ClaimAttempt(id uint64, now, until time.Time) (e storage.QueueEntry, ok bool, err error)
	RenewLease(id uint64, owner string, until time.Time) (ok bool, err error)
	RecordDelivered(id uint64, delivered ...string) error
	FinishAttempt(id uint64, r storage.AttemptResult) error
	Message(id uint64) ([]byte, storage.Envelope, error)
}

var _ Queue = (*storage.Store)(nil)

// RunnerOptions configure a Runner.
type RunnerOptions struct {
	// Store holds the queue.
	Store Queue
	// Transport hands messages to the next hop.
	Transport Transport
	// Concurrency is the number of transactions in flight at once.
	Concurrency int
	// MaxLifetime is how long a recipient is retried before it is given
	// up; 0 means five days.
	MaxLifetime time.Duration
	// RetryBase is the delay before the first retry; each later retry
	// waits twice as long as the one before, up to RetryMax. 0 means 30s.
	RetryBase time.Duration
	// RetryMax caps the delay between retries; 0 means one hour.
	RetryMax time.Duration
	// Lease is how long an attempt holds its entry: the runner claims
	// an entry until now+Lease and renews the claim every Lease/3 while
	// the attempt runs. Should the process die, the entry is due again,
	// for any process sharing the store, when its lease runs out. 0
	// means RetryBase (30s by default).
	Lease time.Duration
	// Poll is how often the queue is read when nothing wakes the runner;
	// 0 means one second.
	Poll time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives one line per attempt; nil discards.
	Logger *slog.Logger
	// Personalize, when set, is asked for each recipient of an entry
	// marked Personal: the envelope sender (a VERP address), and the
	// header and body that recipient gets, given the entry's (a one-click
	// unsubscribe URL before the header, the copy signed for them; a
	// proposal's personal links in the body). Such entries go out one
	// transaction per recipient; a body returned unchanged is shared.
	// It is called from several goroutines at once (a signature costs
	// CPU): at most PersonalizeParallel calls run together, over all
	// attempts.
	Personalize func(e *storage.QueueEntry, rcpt string, header, body []byte) (from string, h, b []byte)
	// PersonalizeParallel bounds the Personalize calls running at once;
	// 0 means GOMAXPROCS (one per core: signing is CPU work).
	PersonalizeParallel int
	// OnAttempt, when set, is told the outcome of each attempt, counted
	// in recipients: delivered, failed for good, deferred to a retry.
	OnAttempt func(delivered, failed, deferred int)
}

// Runner delivers the queue's due entries, Concurrency at a time.
type Runner struct {
	o      RunnerOptions
	wake   chan struct{}
	mu     sync.Mutex
	flight map[uint64]bool
	// bodies holds the messages attempts in flight are sending, shared:
	// the entries of one post (one per 100 members, or per domain) read
	// it from the store once, however large it is.
	bodies map[uint64]*sharedMessage
	// cpu bounds the Personalize calls running at once (one per core
	// by default): the copies are signed in parallel, without more
	// goroutines than cores fighting over them.
	cpu chan struct{}
}

// sharedMessage is a message read from the store once for the attempts
// that send it; ready is closed when raw and err are set.
type sharedMessage struct {
	ready chan struct{}
	raw   []byte
	err   error
	refs  int
}

// NewRunner returns a Runner; call Run to start it.
func NewRunner(o RunnerOptions) *Runner {
	if o.Concurrency < 1 {
		o.Concurrency = 1
	}
	if o.MaxLifetime == 0 {
		o.MaxLifetime = 120 * time.Hour
	}
	if o.RetryBase == 0 {
		o.RetryBase = 30 * time.Second
	}
	if o.RetryMax == 0 {
		o.RetryMax = time.Hour
	}
	if o.Poll == 0 {
		o.Poll = time.Second
	}
	if o.Lease <= 0 {
		o.Lease = o.RetryBase
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PersonalizeParallel < 1 {
		o.PersonalizeParallel = runtime.GOMAXPROCS(0)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.OnAttempt == nil {
		o.OnAttempt = func(int, int, int) {}
	}
	return &Runner{o: o, wake: make(chan struct{}, 1), flight: make(map[uint64]bool),
		bodies: make(map[uint64]*sharedMessage), cpu: make(chan struct{}, o.PersonalizeParallel)}
}

// Wake tells the runner that new entries may be due.
func (r *Runner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// RetryDelay returns how long to wait after the n-th failed attempt (from 1).
func (r *Runner) RetryDelay(n int) time.Duration {
	d := r.o.RetryBase
	for i := 1; i < n && d < r.o.RetryMax; i++ {
		d *= 2
	}
	return min(d, r.o.RetryMax)
}

// Run delivers due entries until ctx is cancelled, then waits for the
// transactions in flight to end. Entries that were in flight when the
// previous process died are due again at once on a store of its own
// (Queue.RecoverInFlight), when their lease runs out on a shared one.
func (r *Runner) Run(ctx context.Context) error {
	if n, err := r.o.Store.RecoverInFlight(r.o.Now()); err != nil {
		return fmt.Errorf("outbound: recover queue: %w", err)
	} else if n > 0 {
		r.o.Logger.Info("delivery: resuming interrupted deliveries", "entries", n)
	}
	sem := make(chan struct{}, r.o.Concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		entries, err := r.o.Store.Due(r.o.Now(), r.o.Concurrency*4, r.inFlight)
		if err != nil {
			r.o.Logger.Error("delivery: read queue", "err", err)
		}
		for _, e := range entries {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return nil
			}
			r.mark(e.ID, true)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem; r.mark(e.ID, false); r.Wake() }()
				r.attempt(ctx, e.ID)
			}()
		}
		wait := r.o.Poll
		if next, ok, err := r.o.Store.NextDue(); err == nil && ok {
			if d := next.Sub(r.o.Now()); d < wait {
				wait = max(d, 10*time.Millisecond)
			}
		}
		if len(entries) > 0 && len(entries) == r.o.Concurrency*4 {
			wait = 0
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-r.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

func (r *Runner) mark(id uint64, on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if on {
		r.flight[id] = true
	} else {
		delete(r.flight, id)
	}
}

func (r *Runner) inFlight(id uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.flight[id]
}

// attempt makes one delivery attempt on entry id, if it can claim it, and
// records its outcome.
func (r *Runner) attempt(ctx context.Context, id uint64) {
	now := r.o.Now()
	e, ok, err := r.o.Store.ClaimAttempt(id, now, now.Add(r.o.Lease))
	if err != nil {
		r.o.Logger.Error("delivery: claim queue entry", "entry", id, "err", err)
		return
	}
	if !ok {
		return // delivered, or claimed by another node
	}
	stop := r.keepLease(e)
	defer stop()
	// The lease is no longer needed once the outcome is being recorded.
	finish := func(res storage.AttemptResult) { stop(); r.finish(e, res) }
	raw, err := r.message(e.MessageID)
	defer r.release(e.MessageID)
	if err != nil || e.BodyOffset > len(raw) {
		r.o.Logger.Error("delivery: message missing", "entry", id, "message", e.MessageID, "err", err)
		finish(giveUpAll(e, fmt.Sprintf("message %d missing from the store", e.MessageID), now))
		r.o.OnAttempt(0, len(e.Recipients), 0)
		return
	}
	start := time.Now()
	var results []Result
	header := e.Header
	if header == nil { // a message tacit wrote: its own header
		header = raw[:e.BodyOffset]
	}
	if e.Personal && r.o.Personalize != nil {
		// One transaction per recipient, all sharing the body; only the
		// envelope sender and the first header lines differ. Each
		// transaction's recipient is recorded as soon as the relay has
		// taken it: should this process die, another sends again the
		// transaction it interrupted, not the whole entry.
		ms := r.personalize(&e, header, raw[e.BodyOffset:])
		progress := func(k int, rs []Result) {
			if k < len(ms)-1 { // the last one is recorded with the outcome
				r.progress(e, rs)
			}
		}
		for _, rs := range r.o.Transport.DeliverBatch(ctx, ms, progress) {
			results = append(results, rs...)
		}
	} else {
		results = r.o.Transport.Deliver(ctx, &Message{From: e.From, To: e.Recipients, Header: header, Body: raw[e.BodyOffset:]})
	}
	res := r.outcome(e, results, r.o.Now())
	deferred := len(e.Recipients) - len(res.Delivered) - len(res.Failed)
	// message is the received post the entry distributes, the key its
	// smtp transaction and post lines carry; copy is the stored copy
	// sent, when it differs (a proposal with its footer).
	msg := slog.Uint64("message", e.MessageID)
	copied := slog.Attr{}
	if e.Post != 0 && e.Post != e.MessageID {
		msg, copied = slog.Uint64("message", e.Post), slog.Uint64("copy", e.MessageID)
	}
	r.o.Logger.Info("delivery attempt", "entry", e.ID, msg, copied, "list", e.List,
		"domain", e.Domain, "attempt", e.Attempts, "recipients", len(e.Recipients),
		"delivered", len(res.Delivered), "failed", len(res.Failed), "deferred", deferred,
		"error", res.LastError, "duration", time.Since(start).Round(time.Microsecond))
	r.o.OnAttempt(len(res.Delivered), len(res.Failed), deferred)
	finish(res)
}

// keepLease renews the lease of the attempt on e every third of
// Runner.Lease until the returned function is called, so that an attempt
// slower than its lease is not taken over by another node. A renewal
// that fails is logged; the attempt goes on (should its lease run out,
// another node may send the same recipients: at most one duplicate per
// transaction in flight). Once the entry has been claimed by another
// attempt (its lease ran out), renewing stops: the entry is the other
// attempt's, and this one only records the recipients it delivered.
func (r *Runner) keepLease(e storage.QueueEntry) (stop func()) {
	done := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		t := time.NewTicker(max(r.o.Lease/3, 10*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			ok, err := r.o.Store.RenewLease(e.ID, e.Owner, r.o.Now().Add(r.o.Lease))
			if err != nil {
				r.o.Logger.Warn("delivery: renew lease", "entry", e.ID, "err", err)
			} else if !ok {
				r.o.Logger.Info("delivery: lease lost, the entry was claimed again or delivered", "entry", e.ID)
				return
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done); <-ended }) }
}

// personalize returns each recipient's copy of entry e, made by
// Personalize in parallel (at most cap(r.cpu) at once over all attempts).
func (r *Runner) personalize(e *storage.QueueEntry, header, body []byte) []*Message {
	ms := make([]*Message, len(e.Recipients))
	var wg sync.WaitGroup
	for i, rcpt := range e.Recipients {
		r.cpu <- struct{}{}
		wg.Go(func() {
			defer func() { <-r.cpu }()
			from, hdr, b := r.o.Personalize(e, rcpt, header, body)
			ms[i] = &Message{From: from, To: []string{rcpt}, Header: hdr, Body: b}
		})
	}
	wg.Wait()
	return ms
}

// message returns the stored message id, read once and shared with the
// other attempts sending it (they start together: one post makes an
// entry per 100 members); release gives it back.
func (r *Runner) message(id uint64) ([]byte, error) {
	r.mu.Lock()
	m, ok := r.bodies[id]
	if ok {
		m.refs++
		r.mu.Unlock()
		<-m.ready
		return m.raw, m.err
	}
	m = &sharedMessage{ready: make(chan struct{}), refs: 1}
	r.bodies[id] = m
	r.mu.Unlock()
	m.raw, _, m.err = r.o.Store.Message(id)
	close(m.ready)
	return m.raw, m.err
}

func (r *Runner) release(id uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m := r.bodies[id]; m != nil {
		if m.refs--; m.refs == 0 {
			delete(r.bodies, id)
		}
	}
}

// progress records the recipients of rs the relay took, one
// transaction of the attempt on e, while the attempt goes on.
func (r *Runner) progress(e storage.QueueEntry, rs []Result) {
	var delivered []string
	for _, rr := range rs {
		if rr.Err == nil {
			delivered = append(delivered, rr.Recipient)
		}
	}
	if len(delivered) == 0 {
		return
	}
	if err := r.o.Store.RecordDelivered(e.ID, delivered...); err != nil {
		// Recorded with the attempt's outcome, if the process lives.
		r.o.Logger.Warn("delivery: record progress", "entry", e.ID, "err", err)
	}
}

func (r *Runner) finish(e storage.QueueEntry, res storage.AttemptResult) {
	res.Owner = e.Owner
	if err := r.o.Store.FinishAttempt(e.ID, res); err != nil {
		// The entry stays due at the end of its lease: the recipients
		// not recorded are tried again, at most once more.
		r.o.Logger.Error("delivery: record outcome", "entry", e.ID, "err", err)
	}
}

// outcome sorts the transport's results into delivered, failed for good
// (a 5xx, or retried past MaxLifetime) and deferred.
func (r *Runner) outcome(e storage.QueueEntry, results []Result, now time.Time) storage.AttemptResult {
	res := storage.AttemptResult{RetryAt: now.Add(r.RetryDelay(e.Attempts))}
	expired := now.Sub(e.Created) >= r.o.MaxLifetime
	for i, rcpt := range e.Recipients {
		var rr Result
		if i < len(results) {
			rr = results[i]
		} else {
			rr = Result{Recipient: rcpt, Err: errors.New("no result from transport")}
		}
		switch {
		case rr.Err == nil:
			res.Delivered = append(res.Delivered, rcpt)
		case rr.Permanent:
			res.Failed = append(res.Failed, failure(e, rcpt, rr.Err.Error(), now))
		case expired:
			res.Failed = append(res.Failed, failure(e, rcpt,
				fmt.Sprintf("gave up after %s: %v", r.o.MaxLifetime, rr.Err), now))
		default:
			res.LastError = rr.Err.Error()
		}
	}
	return res
}

func failure(e storage.QueueEntry, rcpt, msg string, now time.Time) storage.Failure {
	return storage.Failure{EntryID: e.ID, MessageID: e.MessageID, List: e.List,
		Recipient: rcpt, Error: msg, Attempts: e.Attempts, At: now}
}

func giveUpAll(e storage.QueueEntry, msg string, now time.Time) storage.AttemptResult {
	var res storage.AttemptResult
	for _, rcpt := range e.Recipients {
		res.Failed = append(res.Failed, failure(e, rcpt, msg, now))
	}
	return res
}
