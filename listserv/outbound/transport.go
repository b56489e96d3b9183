package outbound

import (
	"context"
)

// Message is one SMTP transaction's worth of mail: an envelope and the
// bytes to send, which are Header followed by Body, unchanged.
type Message struct {
	// From is the envelope sender (MAIL FROM); "" sends the null sender.
	From string
	// To lists the envelope recipients (RCPT TO), at most one
	// transaction's worth.
	To []string
	// Header is the rewritten header block, ending with the blank line
	// that separates it from the body (CRLF CRLF).
	Header []byte
	// Body is the message body exactly as it was received.
	Body []byte
}

// Result is what happened to one recipient of a Message.
type Result struct {
	// Recipient is the address the result is about.
	Recipient string
	// Err is nil when the recipient was accepted for delivery.
	Err error
	// Permanent is true when Err is final (an SMTP 5xx): the recipient
	// must not be retried.
	Permanent bool
}

// Transport hands messages to their next hop. Implementations are safe for
// concurrent use.
type Transport interface {
	// Deliver sends m and returns one Result per entry of m.To, in the
	// same order. A failure that concerns the whole transaction (the
	// relay is unreachable, DATA refused) is reported on every recipient.
	Deliver(ctx context.Context, m *Message) []Result
	// DeliverBatch sends each message of ms in a transaction of its own
	// and returns the results of each, as Deliver would. A transport may
	// pipeline them on one connection.
	//
	// done, when not nil, is called once for each message, with its
	// index in ms and its results, as soon as they are final, from the
	// goroutine sending the batch; no other message of the batch is
	// handed to the next hop while it runs, nor before the messages
	// already handed over are answered. So a caller that records the
	// recipients delivered in done loses, should it die, the outcome of
	// one transaction at most.
	DeliverBatch(ctx context.Context, ms []*Message, done func(k int, rs []Result)) [][]Result
	// Close releases the connections the transport keeps open.
	Close() error
}
