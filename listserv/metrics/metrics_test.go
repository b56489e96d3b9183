package metrics

import (
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"tacit/consensus"
	"tacit/storage"
)

func TestLabelsStayAClosedSet(t *testing.T) {
	t.Parallel()
	store, err := storage.Open(filepath.Join(t.TempDir(), "tacit.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	m := New(Options{Store: store})
	m.SMTP(Accepted, "")
	m.SMTP(Rejected, "too large")
	m.SMTP(Rejected, "no such list")
	m.SMTP(Rejected, "no such list")
	m.SMTP(Rejected, "a reason made up by \xff a client")
	m.SMTP("weird", "disk full")
	m.Deliveries(3, 1, 2)
	m.Tick(20*time.Millisecond, 4)
	m.IMAPSession(1)
	m.IMAPSession(1)
	m.IMAPSession(-1)
	store.Close() // the store's gauges are left out; the rest is served

	got := scrape(t, m)
	for key, want := range map[string]float64{
		"tacit_smtp_messages_total reason= result=accepted":             1,
		"tacit_smtp_messages_total reason=too_large result=rejected":    1,
		"tacit_smtp_messages_total reason=no_such_list result=rejected": 2,
		"tacit_smtp_messages_total reason=other result=rejected":        1,
		"tacit_smtp_messages_total reason=disk_full result=rejected":    1,
		"tacit_deliveries_total result=delivered":                       3,
		"tacit_deliveries_total result=failed":                          1,
		"tacit_deliveries_total result=deferred":                        2,
		"tacit_engine_tick_duration_seconds":                            1,
		"tacit_engine_proposals_decided_total":                          4,
		"tacit_imap_sessions":                                           1,
	} {
		if got[key] != want {
			t.Errorf("%s = %v, want %v", key, got[key], want)
		}
	}
	if n := series(got, "tacit_smtp_messages_total "); n != 5 {
		t.Errorf("%d SMTP series, want 5: no label value but the known ones and other", n)
	}
	if series(got, "tacit_queue_entries") != 0 {
		t.Error("queue gauges served from a closed store")
	}
}

// scrape serves m once and returns its samples, keyed "name label=value …":
// a counter's or a gauge's value, a histogram's count of observations.
func scrape(t *testing.T, m *Metrics) map[string]float64 {
	t.Helper()
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	p := expfmt.NewTextParser(model.UTF8Validation)
	mf, err := p.TextToMetricFamilies(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for name, f := range mf {
		for _, s := range f.GetMetric() {
			key := name
			for _, l := range s.GetLabel() {
				key += " " + l.GetName() + "=" + l.GetValue()
			}
			switch {
			case s.Counter != nil:
				got[key] = s.GetCounter().GetValue()
			case s.Gauge != nil:
				got[key] = s.GetGauge().GetValue()
			case s.Histogram != nil:
				got[key] = float64(s.GetHistogram().GetSampleCount())
			}
		}
	}
	return got
}

// series counts the samples whose key starts with prefix.
func series(got map[string]float64, prefix string) int {
	n := 0
	for key := range got {
		if strings.HasPrefix(key, prefix) {
			n++
		}
	}
	return n
}

// Every status, rejected included, is a series from the first scrape;
// a proposal a meeting rejected is counted there.
func TestProposalsByStatusIncludeRejected(t *testing.T) {
	t.Parallel()
	store, err := storage.Open(filepath.Join(t.TempDir(), "tacit.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	const list = "jardin@lists.test"
	if err := store.CreateList(storage.List{Address: list}); err != nil {
		t.Fatal(err)
	}
	m := New(Options{Store: store})
	got := scrape(t, m)
	for _, st := range consensus.Statuses {
		key := "tacit_proposals status=" + string(st)
		if v, ok := got[key]; !ok || v != 0 {
			t.Errorf("%s = %v (present %v), want 0 from the start", key, v, ok)
		}
	}

	at := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	var updates []storage.ProposalUpdate
	for n, st := range []consensus.Status{consensus.StatusRejected, consensus.StatusRejected, consensus.StatusAdopted, consensus.StatusOpen} {
		p := consensus.NewProposal(consensus.Draft{List: list, Number: n + 1, Author: "alice@example.org", Title: "p",
			Received: at, Default: 72 * time.Hour})
		p.Status = st
		if st != consensus.StatusOpen {
			p.Decided, p.DecidedBy = at.Add(96*time.Hour), consensus.ByMeeting
		}
		updates = append(updates, storage.ProposalUpdate{Proposal: p})
	}
	if err := store.Decide(updates, nil); err != nil {
		t.Fatal(err)
	}
	got = scrape(t, m)
	for st, want := range map[consensus.Status]float64{consensus.StatusOpen: 1, consensus.StatusAdopted: 1,
		consensus.StatusBlocked: 0, consensus.StatusWithdrawn: 0, consensus.StatusRejected: 2} {
		if key := "tacit_proposals status=" + string(st); got[key] != want {
			t.Errorf("%s = %v, want %v", key, got[key], want)
		}
	}
	if n := series(got, "tacit_proposals "); n != len(consensus.Statuses) {
		t.Errorf("%d series of tacit_proposals, want one per status (%d)", n, len(consensus.Statuses))
	}
}
