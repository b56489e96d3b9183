// Package metrics owns what tacit exposes to Prometheus on /metrics: one
// registry of its own (no global state, so that servers and tests run side
// by side), the counters the server's parts feed through small hooks, and
// a collector that reads the store at scrape time for what the store
// already knows (queue depth, proposals by status).
//
// Nothing here survives a restart: counters start again from zero, which
// Prometheus's rate() and increase() expect.
package metrics

import (
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"tacit/consensus"
	"tacit/storage"
)

// SMTP results and the reasons of refusals. Reasons outside this closed
// set are counted as "other", so that a label never takes unbounded
// values.
const (
	Accepted = "accepted"
	Rejected = "rejected"
)

// smtpReasons are the label values of refusals: the reasons smtpin logs
// ("too large", "no such list", …) with underscores for spaces.
var smtpReasons = map[string]bool{
	"too_large": true, "data_timeout": true, "read_error": true, "connection_lost": true,
	"no_recipient": true, "disk_full": true, "store_error": true, "no_such_list": true,
	"recipient_check": true, "rate_limited": true, "too_many_messages": true,
}

// Store is what the metrics read from tacit's store at each scrape;
// *storage.Store is one.
type Store interface {
	QueueDepth() (entries int, oldest time.Time, err error)
	ProposalCounts() (map[consensus.Status]int, error)
}

var _ Store = (*storage.Store)(nil)

// Options configure Metrics.
type Options struct {
	// Store is read at every scrape for the queue and the proposals;
	// nil leaves those gauges out.
	Store Store
	// Now is the clock the age of the oldest queue entry is measured
	// with; nil means time.Now.
	Now func() time.Time
}

// Metrics holds the registry and the collectors tacit feeds. Its methods
// are safe for concurrent use.
type Metrics struct {
	reg          *prometheus.Registry
	smtp         *prometheus.CounterVec
	deliveries   *prometheus.CounterVec
	tick         prometheus.Histogram
	decided      prometheus.Counter
	imapSessions prometheus.Gauge
	replays      prometheus.Counter
}

// New returns Metrics registered in a new registry, with the Go runtime's
// and the process's standard collectors.
func New(o Options) *Metrics {
	if o.Now == nil {
		o.Now = time.Now
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		smtp: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tacit_smtp_messages_total",
			Help: "Messages offered over SMTP: accepted (stored, 250) or rejected, with the reason of the refusal (a refused recipient counts once).",
		}, []string{"result", "reason"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tacit_deliveries_total",
			Help: "Delivery outcomes, per recipient and per attempt: delivered, failed for good, or deferred for a retry.",
		}, []string{"result"}),
		tick: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tacit_engine_tick_duration_seconds",
			Help:    "Duration of the consensus engine's ticks (start-up and schedule).",
			Buckets: []float64{.001, .005, .01, .05, .1, .5, 1, 5, 10, 30},
		}),
		decided: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tacit_engine_proposals_decided_total",
			Help: "Due proposals the engine's ticks applied (an outcome, or a reminder).",
		}),
		imapSessions: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tacit_imap_sessions",
			Help: "IMAP archive sessions open now.",
		}),
		replays: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tacit_replayed_posts_total",
			Help: "Posts not distributed nor counted because their list had already distributed their Message-ID.",
		}),
	}
	m.reg.MustRegister(m.smtp, m.deliveries, m.tick, m.decided, m.imapSessions, m.replays,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, r := range []string{"delivered", "failed", "deferred"} {
		m.deliveries.WithLabelValues(r) // present at 0 from the start
	}
	m.smtp.WithLabelValues(Accepted, "")
	if o.Store != nil {
		m.reg.MustRegister(storeCollector{store: o.Store, now: o.Now})
	}
	return m
}

// Handler serves the registry in the Prometheus text format. A gauge the
// store cannot give is left out of that scrape; the others are served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError, Registry: m.reg})
}

// SMTP counts a message accepted or a refusal; reason is the one smtpin
// logs ("too large", "no such list", …).
func (m *Metrics) SMTP(result, reason string) {
	if result != Accepted {
		result = Rejected
	}
	label := ""
	if result == Rejected {
		label = strings.ReplaceAll(reason, " ", "_")
		if !smtpReasons[label] {
			label = "other"
		}
	}
	m.smtp.WithLabelValues(result, label).Inc()
}

// Deliveries counts the outcome of one delivery attempt, per recipient.
func (m *Metrics) Deliveries(delivered, failed, deferred int) {
	m.deliveries.WithLabelValues("delivered").Add(float64(delivered))
	m.deliveries.WithLabelValues("failed").Add(float64(failed))
	m.deliveries.WithLabelValues("deferred").Add(float64(deferred))
}

// Tick records one engine tick: how long it took and how many proposals
// it decided.
func (m *Metrics) Tick(took time.Duration, decided int) {
	m.tick.Observe(took.Seconds())
	m.decided.Add(float64(decided))
}

// Replay counts a post not distributed because its list had already
// distributed its Message-ID.
func (m *Metrics) Replay() { m.replays.Inc() }

// IMAPSession adds delta (+1 when a session opens, -1 when it ends) to
// the open IMAP sessions.
func (m *Metrics) IMAPSession(delta int) { m.imapSessions.Add(float64(delta)) }

// storeCollector reads the store when Prometheus scrapes: the queue's
// depth and the age of its oldest entry, and the proposals by status.
type storeCollector struct {
	store Store
	now   func() time.Time
}

var (
	queueEntriesDesc = prometheus.NewDesc("tacit_queue_entries",
		"Entries in the delivery queue (one per message, domain and batch of recipients).", nil, nil)
	queueAgeDesc = prometheus.NewDesc("tacit_queue_oldest_entry_age_seconds",
		"Age of the oldest entry of the delivery queue; 0 when the queue is empty.", nil, nil)
	proposalsDesc = prometheus.NewDesc("tacit_proposals",
		"Proposals of every list, by status (open, adopted, blocked, withdrawn, rejected).", []string{"status"}, nil)
)

func (c storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueEntriesDesc
	ch <- queueAgeDesc
	ch <- proposalsDesc
}

func (c storeCollector) Collect(ch chan<- prometheus.Metric) {
	n, oldest, err := c.store.QueueDepth()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(queueEntriesDesc, err)
	} else {
		age := 0.0
		if !oldest.IsZero() {
			age = max(0, c.now().Sub(oldest).Seconds())
		}
		ch <- prometheus.MustNewConstMetric(queueEntriesDesc, prometheus.GaugeValue, float64(n))
		ch <- prometheus.MustNewConstMetric(queueAgeDesc, prometheus.GaugeValue, age)
	}
	counts, err := c.store.ProposalCounts()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(proposalsDesc, err)
		return
	}
	// Every status is a series from the start, at 0 until a proposal
	// reaches it, so that a query on rejected proposals never finds
	// nothing; a status the store holds that consensus no longer knows
	// is left out, so that the label stays a closed set.
	for _, st := range consensus.Statuses {
		ch <- prometheus.MustNewConstMetric(proposalsDesc, prometheus.GaugeValue, float64(counts[st]), string(st))
	}
}
