package metrics

import (
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

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
	n := 0
	for key := range got {
		if strings.HasPrefix(key, "tacit_smtp_messages_total ") {
			n++
		}
	}
	if n != 5 {
		t.Errorf("%d SMTP series, want 5: no label value but the known ones and other", n)
	}
	if _, ok := mf["tacit_queue_entries"]; ok {
		t.Error("queue gauges served from a closed store")
	}
}
