package listserv

import (
	"sync"

	"tacit/listserv/metrics"
	"tacit/listserv/notice"
)

// processor is what a received message goes through, and what the
// engine's tick decides with: classification, authentication,
// moderation, proposals and commands, -request commands, bounces, and
// the messages of ours they cause. Its entry points are process (one
// message from the inbox: everything it causes is recorded by one
// Store.Dispose) and tickBatch (due proposals: one Store.DecideEach). It
// owns no listener and no goroutine: the Server runs those and calls it.
type processor struct {
	// o are the server's options, as New completed them.
	o       Options
	notices *notice.Renderer
	metrics *metrics.Metrics
	// verpKey keys the tags of bounce addresses (verp.go).
	verpKey []byte
	// imapAddr is where the IMAP archive listens ("" when off), for the
	// password mail.
	imapAddr string
	// mu serialises the read-apply-write of proposals between the post
	// path and the engine's tick.
	mu sync.Mutex
}

// personal reports whether each member's copy of list mail is written
// for them (VERP sender, one-click unsubscribe URL).
func (s *processor) personal() bool { return s.o.VERP || s.o.HTTPBaseURL != "" }
