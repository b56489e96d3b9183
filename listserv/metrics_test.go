package listserv

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"tacit/internal/smtpsink"
	"tacit/listserv/outbound"
	"tacit/storage"
)

// scrape reads and parses the /metrics of the HTTP server at addr.
func scrape(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mf, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics is not the Prometheus text format: %v", err)
	}
	return mf
}

// metric returns the value of the sample of family name that has the
// labels given as "name=value" (a missing label has the value ""), or -1
// if there is none. A histogram's value is its count of observations.
func metric(mf map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	for _, m := range mf[name].GetMetric() {
		if !hasLabels(m, labels) {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	return -1
}

func hasLabels(m *dto.Metric, labels []string) bool {
	for _, kv := range labels {
		k, v, _ := strings.Cut(kv, "=")
		got := ""
		for _, lp := range m.GetLabel() {
			if lp.GetName() == k {
				got = lp.GetValue()
			}
		}
		if got != v {
			return false
		}
	}
	return true
}

// waitMetrics scrapes addr until cond holds (10 s at most) and returns
// the last scrape.
func waitMetrics(t *testing.T, addr string, cond func(map[string]*dto.MetricFamily) bool) map[string]*dto.MetricFamily {
	t.Helper()
	var mf map[string]*dto.MetricFamily
	waitFor(t, func() bool { mf = scrape(t, addr); return cond(mf) })
	return mf
}

type want struct {
	name   string
	labels []string
	value  float64
}

func checkMetrics(t *testing.T, mf map[string]*dto.MetricFamily, wants ...want) {
	t.Helper()
	for _, w := range wants {
		if got := metric(mf, w.name, w.labels...); got != w.value {
			t.Errorf("%s%v = %v, want %v", w.name, w.labels, got, w.value)
		}
	}
}

func TestMetricsAfterRealTraffic(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	tries := map[string]int{}
	c := &clock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	h := start(t, harnessOptions{http: true, imap: true, now: c.Now,
		consensus: ConsensusOptions{MinDeadline: 24 * time.Hour, Schedule: "@every 1h"},
		sink: smtpsink.Options{RcptReply: func(rcpt string) *gosmtp.SMTPError {
			mu.Lock()
			defer mu.Unlock()
			tries[rcpt]++
			switch {
			case rcpt == "bob@example.org" && tries[rcpt] == 1:
				return &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
			case rcpt == "carol@example.org":
				return &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 3, 0}, Message: "try later"}
			}
			return nil
		}}})
	h.list("jardin@lists.test", "alice@example.org", "bob@example.org", "carol@example.org")
	addr := h.srv.HTTPAddr()

	// One post: alice gets it, bob's 550 fails it for good, carol's 451
	// defers it; the clock stands still, so carol waits in the queue.
	h.mustSend("alice@example.org", []string{"jardin@lists.test"}, post("alice@example.org", "Plain post", "x\r\n"))
	if err := h.send("alice@example.org", []string{"nobody@lists.test"}, post("alice@example.org", "lost", "x\r\n")); err == nil {
		t.Fatal("a message to no list was accepted")
	}
	mf := waitMetrics(t, addr, func(mf map[string]*dto.MetricFamily) bool {
		return metric(mf, "tacit_deliveries_total", "result=deferred") == 1
	})
	checkMetrics(t, mf,
		want{"tacit_smtp_messages_total", []string{"result=accepted", "reason="}, 1},
		want{"tacit_smtp_messages_total", []string{"result=rejected", "reason=no_such_list"}, 1},
		want{"tacit_deliveries_total", []string{"result=delivered"}, 1},
		want{"tacit_deliveries_total", []string{"result=failed"}, 1},
		want{"tacit_queue_entries", nil, 1},
		want{"tacit_queue_oldest_entry_age_seconds", nil, 0},
		want{"tacit_proposals", []string{"status=open"}, 0},
		want{"tacit_imap_sessions", nil, 0},
	)
	for name, typ := range map[string]dto.MetricType{"tacit_smtp_messages_total": dto.MetricType_COUNTER,
		"tacit_deliveries_total": dto.MetricType_COUNTER, "tacit_queue_entries": dto.MetricType_GAUGE,
		"tacit_engine_tick_duration_seconds": dto.MetricType_HISTOGRAM, "tacit_proposals": dto.MetricType_GAUGE} {
		if f := mf[name]; f.GetType() != typ || f.GetHelp() == "" {
			t.Errorf("%s: type %v, help %q", name, f.GetType(), f.GetHelp())
		}
	}
	c.Add(10 * time.Minute)
	checkMetrics(t, scrape(t, addr), want{"tacit_queue_oldest_entry_age_seconds", nil, 600})

	// A proposal, open, then adopted by a tick of the engine.
	h.mustSend("alice@example.org", []string{"jardin@lists.test"},
		proposalPost("[PROPOSITION] Acheter une tondeuse", "Je propose d'acheter une tondeuse.\r\nÉchéance : 3 jours\r\n"))
	mf = waitMetrics(t, addr, func(mf map[string]*dto.MetricFamily) bool {
		return metric(mf, "tacit_proposals", "status=open") == 1 &&
			metric(mf, "tacit_engine_tick_duration_seconds") >= 1 // the start-up tick
	})
	ticks, decided := metric(mf, "tacit_engine_tick_duration_seconds"), metric(mf, "tacit_engine_proposals_decided_total")
	checkMetrics(t, mf, want{"tacit_smtp_messages_total", []string{"result=accepted"}, 2})
	c.Add(3*24*time.Hour + time.Minute)
	h.srv.tickOnce(context.Background())
	checkMetrics(t, scrape(t, addr),
		want{"tacit_engine_tick_duration_seconds", nil, ticks + 1},
		want{"tacit_engine_proposals_decided_total", nil, decided + 1},
		want{"tacit_proposals", []string{"status=open"}, 0},
		want{"tacit_proposals", []string{"status=adopted"}, 1},
		want{"tacit_proposals", []string{"status=blocked"}, 0},
		want{"tacit_proposals", []string{"status=withdrawn"}, 0},
	)

	// An IMAP session counts while it is open.
	conn, err := net.Dial("tcp", h.srv.IMAPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if greeting, err := bufio.NewReader(conn).ReadString('\n'); err != nil || !strings.HasPrefix(greeting, "* OK") {
		t.Fatalf("IMAP greeting %q, %v", greeting, err)
	}
	waitMetrics(t, addr, func(mf map[string]*dto.MetricFamily) bool { return metric(mf, "tacit_imap_sessions") == 1 })
	if _, err := conn.Write([]byte("a LOGOUT\r\n")); err != nil {
		t.Fatal(err)
	}
	waitMetrics(t, addr, func(mf map[string]*dto.MetricFamily) bool { return metric(mf, "tacit_imap_sessions") == 0 })

	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz: %s", resp.Status)
	}
}

func TestHealthzNeedsTheStoreAndATickingEngine(t *testing.T) {
	t.Parallel()
	store, err := storage.Open(filepath.Join(t.TempDir(), "tacit.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	s, err := New(Options{Store: store, Domain: "lists.test", SMTP: SMTPOptions{Listen: "127.0.0.1:0"},
		Delivery: DeliveryOptions{Transport: outbound.NewMaildir(t.TempDir())}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.smtpLn.Close()
	handler := s.newHTTP()
	check := func(code int, body string) {
		t.Helper()
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, httptest.NewRequest("GET", "/healthz", nil))
		if got := strings.TrimSpace(w.Body.String()); w.Code != code || !strings.HasPrefix(got, body) {
			t.Errorf("/healthz: %d %q, want %d %q", w.Code, got, code, body)
		}
	}
	check(503, "engine: no tick yet")
	s.tickOnce(context.Background())
	check(200, "ok")
	// The default schedule ticks every 30 s: two periods and a minute of
	// grace without a tick is a stalled engine.
	s.engine.begin(time.Now().Add(-2*time.Minute - time.Second))
	check(503, "engine: no tick for 2m1s")
	s.engine.begin(time.Now())
	s.engine.end(errors.New("boom"))
	check(503, "engine: last tick failed: boom")
	s.tickOnce(context.Background())
	check(200, "ok")
	store.Close()
	check(503, "store: ")
}

func TestTickIntervalIsTheLongestGapOfTheSchedule(t *testing.T) {
	t.Parallel()
	for spec, want := range map[string]time.Duration{
		"": 30 * time.Second, "@every 1h": time.Hour, "*/5 * * * *": 5 * time.Minute,
		"0 9 * * 1-5": 72 * time.Hour, "@daily": 24 * time.Hour, "not a spec": 30 * time.Second,
	} {
		if got := tickInterval(spec); got != want {
			t.Errorf("tickInterval(%q) = %s, want %s", spec, got, want)
		}
	}
}

// logRecorder is a slog.Handler that keeps every record's message and
// attributes, as strings.
type logRecorder struct {
	mu    *sync.Mutex
	recs  *[]map[string]string
	attrs []slog.Attr
}

func newLogRecorder() logRecorder {
	return logRecorder{mu: new(sync.Mutex), recs: new([]map[string]string)}
}

func (r logRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (r logRecorder) Handle(_ context.Context, rec slog.Record) error {
	m := map[string]string{"msg": rec.Message}
	add := func(a slog.Attr) bool {
		if a.Key != "" {
			m[a.Key] = a.Value.String()
		}
		return true
	}
	for _, a := range r.attrs {
		add(a)
	}
	rec.Attrs(add)
	r.mu.Lock()
	defer r.mu.Unlock()
	*r.recs = append(*r.recs, m)
	return nil
}

func (r logRecorder) WithAttrs(as []slog.Attr) slog.Handler {
	r.attrs = append(slices.Clip(r.attrs), as...)
	return r
}

func (r logRecorder) WithGroup(string) slog.Handler { return r }

// find returns the records with message msg and attribute key = value.
func (r logRecorder) find(msg, key, value string) []map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []map[string]string
	for _, m := range *r.recs {
		if m["msg"] == msg && m[key] == value {
			out = append(out, m)
		}
	}
	return out
}

func TestLogLinesFollowAPostByItsMessageID(t *testing.T) {
	t.Parallel()
	rec := newLogRecorder()
	h := start(t, harnessOptions{logger: slog.New(rec), consensus: ConsensusOptions{MinDeadline: 24 * time.Hour}})
	h.list("jardin@lists.test", "alice@example.org", "bob@example.org")
	h.mustSend("alice@example.org", []string{"jardin@lists.test"}, post("alice@example.org", "Plain post", "x\r\n"))
	// A proposal goes out as a copy with its footer: the delivery lines
	// still name the post, and the copy besides.
	h.mustSend("alice@example.org", []string{"jardin@lists.test"},
		proposalPost("[PROPOSITION] Acheter une tondeuse", "Je propose d'acheter une tondeuse.\r\nÉchéance : 3 jours\r\n"))
	for _, mid := range []string{"<Plain.post@example.org>", "<prop1@example.org>"} {
		tx := rec.find("smtp transaction", "message_id", mid)
		if len(tx) != 1 || tx[0]["result"] != "accepted" || tx[0]["message"] == "" {
			t.Fatalf("smtp transaction lines of %s: %v", mid, tx)
		}
		id := tx[0]["message"]
		waitFor(t, func() bool { return len(rec.find("post: distributed", "message", id)) == 1 })
		var attempts []map[string]string
		waitFor(t, func() bool {
			attempts = rec.find("delivery attempt", "message", id)
			delivered := 0
			for _, a := range attempts {
				n, _ := strconv.Atoi(a["delivered"])
				delivered += n
			}
			return delivered == 2
		})
		copied := attempts[0]["copy"]
		if proposal := mid == "<prop1@example.org>"; proposal != (copied != "" && copied != id) {
			t.Errorf("%s: delivery attempt %v (a copy is named for the proposal only)", mid, attempts[0])
		}
	}
}
