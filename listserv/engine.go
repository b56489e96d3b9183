package listserv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"tacit/consensus"
	"tacit/listserv/notice"
	"tacit/listserv/register"
	"tacit/listserv/webpos"
	"tacit/storage"
)

// The engine decides proposals as time passes. It keeps no timer in
// memory: each tick (a robfig/cron schedule, and one pass at start-up)
// reads the store's deadline index, applies the pure engine to what is
// due, and records each new status with its notice in one transaction,
// so an outcome and its notice happen exactly once across crashes.

// runEngine ticks on the schedule until ctx is done.
func (s *Server) runEngine(ctx context.Context) error {
	s.tickOnce(ctx) // what fell due while the server was down
	spec := s.o.Consensus.Schedule
	if spec == "" {
		spec = "@every 30s"
	}
	logger := cronLogger{s.o.Logger}
	c := cron.New(cron.WithLocation(time.UTC), cron.WithLogger(logger),
		cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)))
	if _, err := c.AddFunc(spec, func() { s.tickOnce(ctx) }); err != nil {
		return fmt.Errorf("listserv: consensus schedule %q: %w", spec, err)
	}
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
	return nil
}

// tickOnce decides every proposal that is due now, and records the tick
// for /healthz and /metrics.
func (s *Server) tickOnce(ctx context.Context) {
	start := time.Now()
	s.engine.begin(start)
	n, err := s.Tick(ctx)
	s.metrics.Tick(time.Since(start), n)
	s.engine.end(err)
	if err != nil {
		s.o.Logger.Error("engine: tick", "err", err)
		return
	}
	if n > 0 {
		s.o.Logger.Info("engine: tick", "decided", n, "took", time.Since(start))
	}
}

// Tick applies the passage of time to every proposal due at the server's
// now and returns how many it changed. Tests call it with a moved clock.
// Due proposals are decided in batches, each batch (statuses, timelines,
// notices and their queue entries) committed in one transaction.
func (s *Server) Tick(ctx context.Context) (int, error) {
	now := s.o.Now().UTC()
	// Bounce probes whose window ended without a failure report: their
	// members' scores start again.
	// Each step reads, decides and writes under lockDecide, so that two
	// nodes ticking at once do each thing once.
	for _, step := range []struct {
		what string
		do   func(time.Time) error
	}{
		{"settle bounce probes", s.proc.settleProbes},
		{"meeting agendas", s.proc.agendas},
		{"holidays and digests", s.proc.dailyDelivery},
	} {
		if err := s.proc.exclusive(ctx, func() error { return step.do(now) }); err != nil {
			s.o.Logger.Error("engine: "+step.what, "err", err)
		}
	}
	refs, err := s.o.Store.DueProposals(now, 0)
	if err != nil {
		return 0, err
	}
	done := 0
	for len(refs) > 0 {
		if ctx.Err() != nil {
			return done, ctx.Err()
		}
		batch := refs[:min(len(refs), tickBatchSize)]
		refs = refs[len(batch):]
		if err := s.proc.exclusive(ctx, func() error { return s.proc.tickBatch(batch, now) }); err != nil {
			return done, fmt.Errorf("engine: %w", err)
		}
		done += len(batch)
	}
	return done, nil
}

// tickBatchSize is how many proposals one transaction of a tick decides.
const tickBatchSize = 1024

// tickBatch decides some due proposals and records the outcomes and their
// notices in one transaction; the caller holds lockDecide. A proposal
// decided meanwhile by another node is skipped by the transaction
// (storage.ProposalUpdate.From). The work is shared by one worker per core,
// worker w taking proposals w, w+workers, …: it reads them, decides them
// and writes their notices, and hands each in order to the transaction,
// which writes decision i while the workers prepare the next ones.
func (s *processor) tickBatch(refs []storage.ProposalRef, now time.Time) error {
	lists := map[string]*storage.List{} // nil: the list is gone
	rc := recipientCache{}              // filled here, only read by the workers
	for _, ref := range refs {
		if _, seen := lists[ref.List]; seen {
			continue
		}
		got, err := s.o.Store.List(ref.List)
		switch {
		case err == nil:
			lists[ref.List] = &got
			if _, err := rc.get(s, got); err != nil {
				return err
			}
		case errors.Is(err, storage.ErrNotFound):
			lists[ref.List] = nil
		default:
			return err
		}
	}
	type decided struct {
		update *storage.ProposalUpdate // nil: unreadable, left as it is
		out    []storage.Outgoing
		err    error
	}
	workers := min(runtime.GOMAXPROCS(0), len(refs))
	results := make([]chan decided, workers)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		results[w] = make(chan decided, 64)
		wg.Go(func() {
			send := func(d decided) bool {
				select {
				case results[w] <- d:
					return true
				case <-stop:
					return false
				}
			}
			var mine []storage.ProposalRef
			for i := w; i < len(refs); i += workers {
				mine = append(mine, refs[i])
			}
			ps, unreadable, err := s.o.Store.ProposalsAt(mine)
			if err != nil {
				send(decided{err: err})
				return
			}
			for j, p := range ps {
				if unreadable[j] != nil {
					s.o.Logger.Error("engine: proposal unreadable, not decided (restore it from a backup)",
						"proposal", mine[j], "err", unreadable[j])
					if !send(decided{}) {
						return
					}
					continue
				}
				next, fx := consensus.Apply(p, consensus.Event{Kind: consensus.EventTick}, now)
				d := decided{update: &storage.ProposalUpdate{Proposal: next, Events: statusEvents(p, next, now), From: &p}}
				d.err = d.update.Prepare()
				if l := lists[mine[j].List]; l != nil && d.err == nil { // else the list is gone: settle silently
					d.out, d.err = s.effectMessages(*l, next, fx, "", now, rc)
					for k := range d.out {
						if d.err == nil {
							d.err = d.out[k].Prepare()
						}
					}
				}
				if d.err != nil {
					d.err = fmt.Errorf("%s: %w", mine[j], d.err)
				}
				if !send(d) {
					return
				}
			}
		})
	}
	defer wg.Wait()
	defer close(stop)
	return s.o.Store.DecideEach(refs, func(i int) (*storage.ProposalUpdate, []storage.Outgoing, error) {
		d := <-results[i%workers]
		return d.update, d.out, d.err
	})
}

// statusEvents returns the timeline entries of what changed between two
// states of a proposal.
func statusEvents(before, after consensus.Proposal, now time.Time) []storage.ProposalEvent {
	var ev []storage.ProposalEvent
	if after.Reminded && !before.Reminded {
		ev = append(ev, storage.ProposalEvent{Kind: storage.EventReminder, At: now})
	}
	if after.Status != before.Status {
		at := after.Decided
		if at.IsZero() {
			at = now
		}
		ev = append(ev, storage.ProposalEvent{Kind: storage.EventStatus, Status: after.Status, At: at})
	}
	return ev
}

// effectMessages turns the effects of consensus.Apply into messages:
// notices to the list, acknowledgments and refusals to their sender.
// reason is the objection's reason, for acknowledgments.
func (s *processor) effectMessages(l storage.List, p consensus.Proposal, fx []consensus.Effect, reason string,
	now time.Time, rc recipientCache) ([]storage.Outgoing, error) {
	var outs []storage.Outgoing
	ref := storage.ProposalRef{List: p.List, Number: p.Number}
	d := s.noticeDataCached(l, p, now, rc)
	for _, e := range fx {
		var kind notice.Kind
		switch e.Kind {
		case consensus.EffectNotice:
			kind = notice.Kind(e.Notice)
		case consensus.EffectAck:
			kind = notice.Ack
		case consensus.EffectRefused:
			kind = notice.Refused
		default:
			continue
		}
		d.Command, d.Why, d.Reason, d.Links = e.Command, e.Why, "", notice.Links{}
		switch {
		case e.Kind == consensus.EffectAck:
			d.Links = s.links(l, p, e.To, now)
		case e.Notice == consensus.NoticeReminder:
			d.Links = s.placeholderLinks(webpos.Support, webpos.Object)
		case e.Notice == consensus.NoticeBlocked:
			d.Links = s.placeholderLinks(webpos.Lift)
		}
		if e.Command == consensus.EventObject {
			d.Reason = reason
		}
		txt, err := s.notices.Render(kind, s.listLang(l), d)
		if err != nil {
			return nil, err
		}
		lt := letter{list: l, text: txt, inReplyTo: bracket(p.MessageID), now: now, to: e.To,
			toList: e.Kind == consensus.EffectNotice}
		if lt.inReplyTo != "" {
			lt.refs = []string{lt.inReplyTo}
		}
		c := s.compose(lt)
		if e.Kind == consensus.EffectNotice {
			o, err := s.toList(l, c, txt.Subject, now, ref, rc)
			if err != nil {
				return nil, err
			}
			if e.Notice == consensus.NoticeAmended {
				// The amended version stands for the proposal in its
				// IMAP mailbox (Proposals/Open, …).
				o.ProposalPost = ref
			}
			outs = append(outs, o)
			continue
		}
		// A reply to an acknowledgment ("OBJECTION LEVÉE") threads to
		// the proposal through the acknowledgment's own Message-ID.
		o := s.toOne(l, c, e.To, now)
		o.MessageIDHeader, o.Thread = c.messageID, ref
		outs = append(outs, o)
	}
	return outs, nil
}

// noticeData is what the texts need about a proposal of list l: with
// the link to the proposal's page when the list's register is public,
// and, for a text about a proposal (p.Number > 0), how many members the
// list has, for the participation sentence (0, unknown, when the store
// cannot tell: the sentence then leaves "sur M" out).
func (s *processor) noticeData(l storage.List, p consensus.Proposal, now time.Time) notice.Data {
	return s.noticeDataCached(l, p, now, nil)
}

// noticeDataCached is noticeData counting the members in rc (the tick
// writes the notices of many proposals of one list).
func (s *processor) noticeDataCached(l storage.List, p consensus.Proposal, now time.Time, rc recipientCache) notice.Data {
	d := notice.Data{ListName: l.LocalPart(), ListAddress: l.Address, Proposal: p,
		RegisterURL: register.ArchiveURL(s.o.HTTPBaseURL, s.o.Domain, l),
		Location:    s.o.Consensus.Location, Now: now}
	if p.Number > 0 {
		d.Members = s.memberCount(l, rc)
	}
	return d
}

// memberCount returns how many members list l has, or 0 when the store
// cannot tell (logged: the texts then give the participation without it).
func (s *processor) memberCount(l storage.List, rc recipientCache) int {
	f, err := rc.facts(s, l)
	if err != nil {
		s.o.Logger.Warn("notice: members not counted", "list", l.Address, "err", err)
		return 0
	}
	return f.members
}

// bracket returns a Message-ID with its angle brackets.
func bracket(id string) string {
	if id == "" || id[0] == '<' {
		return id
	}
	return "<" + id + ">"
}

// engineHealth is what /healthz knows of the engine: when its last tick
// started, on the process's own clock (not Options.Now, which tests move),
// and whether that tick failed.
type engineHealth struct {
	// every is the longest time between two ticks of the schedule.
	every   time.Duration
	mu      sync.Mutex
	started time.Time
	err     error
}

func (h *engineHealth) begin(t time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.started = t
}

func (h *engineHealth) end(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.err = err
}

// check returns why the engine is not ticking at now, or "" if it is: a
// tick has started within two periods of the schedule (and a minute of
// grace), and the last one did not fail. A tick that hangs stops the
// next ones (the cron chain skips them): its start grows old.
func (h *engineHealth) check(now time.Time) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.started.IsZero():
		return "engine: no tick yet"
	case h.err != nil:
		return "engine: last tick failed: " + h.err.Error()
	case now.Sub(h.started) > 2*h.every+time.Minute:
		return fmt.Sprintf("engine: no tick for %s (schedule every %s)", now.Sub(h.started).Round(time.Second), h.every)
	}
	return ""
}

// tickInterval returns the longest gap between two of the next ticks of
// a robfig/cron spec ("" is "@every 30s"); 30s when spec does not parse
// (runEngine reports that).
func tickInterval(spec string) time.Duration {
	if spec == "" {
		spec = "@every 30s"
	}
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return 30 * time.Second
	}
	var longest time.Duration
	t := sched.Next(time.Now().UTC())
	for range 16 {
		next := sched.Next(t)
		longest = max(longest, next.Sub(t))
		t = next
	}
	return longest
}

// cronLogger sends robfig/cron's logs to slog.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "err", err)...)
}
