package listserv

import (
	"fmt"
	"sync/atomic"
	"testing"

	gosmtp "github.com/emersion/go-smtp"

	"tacit/listserv/internal/smtpsink"
)

// A relay that answers 421 and 451, refuses DATA for a while, and drops
// the connection in the middle of DATA: every accepted post still reaches
// every member, through the queue's retries.
func TestRelayFaultsLoseNothing(t *testing.T) {
	t.Parallel()
	var rcpts, datas atomic.Int64
	h := start(t, harnessOptions{perTx: 3, sink: smtpsink.Options{
		RcptReply: func(string) *gosmtp.SMTPError {
			switch n := rcpts.Add(1); {
			case n%7 == 0:
				return &gosmtp.SMTPError{Code: 421, EnhancedCode: gosmtp.EnhancedCode{4, 3, 0}, Message: "closing, try later"}
			case n%5 == 0:
				return &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 3, 0}, Message: "greylisted"}
			}
			return nil
		},
		DataReply: func(string, []string) *gosmtp.SMTPError {
			if datas.Add(1) <= 3 {
				return &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 3, 0}, Message: "queue full"}
			}
			return nil
		},
	}})
	h.sink.Drop(2) // the next two DATA die half-way
	var members []string
	for i := range 10 {
		members = append(members, fmt.Sprintf("m%d@d%d.example", i, i%3))
	}
	h.list("jardin@lists.test", members...)
	const posts = 5
	for i := range posts {
		h.mustSend("m0@d0.example", []string{"jardin@lists.test"}, post("m0@d0.example", fmt.Sprintf("faute %d", i), "x\r\n"))
	}
	waitFor(t, func() bool {
		got := h.sink.Recipients()
		for _, m := range members {
			if got[m] < posts {
				return false
			}
		}
		return true
	})
	waitFor(t, func() bool { st, _ := h.store.QueueStats(); return st.Entries == 0 })
	got := h.sink.Recipients()
	for _, m := range members {
		if got[m] < posts {
			t.Errorf("%s got %d of %d posts", m, got[m], posts)
		}
	}
	if f, _ := h.store.Failures(); len(f) != 0 {
		t.Errorf("temporary errors recorded as failures: %+v", f)
	}
}
