package outbound

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
)

// go-smtp's client sends each command and waits for its reply: four round
// trips and eight system calls per transaction, which is what a VERP
// fan-out of 10,000 transactions spends its time on. Once go-smtp has set
// a connection up (greeting, EHLO, STARTTLS, AUTH), tacit runs the
// transactions itself on the same connection, with PIPELINING (RFC 2920)
// and CHUNKING (RFC 3030) when the relay offers them:
//
//   - with CHUNKING, a transaction is one write: MAIL, RCPT..., BDAT n LAST
//     and the message, and up to pipelineWindow transactions are written
//     before their replies are read;
//   - with PIPELINING only, MAIL, RCPT... and DATA go in one write, the
//     message follows the 354, and its final dot travels with the next
//     transaction's commands;
//   - without PIPELINING, one command at a time, as RFC 5321 requires.

// pipelineWindow is the number of transactions written ahead of their
// replies when the relay offers CHUNKING.
const pipelineWindow = 8

// wire is the protocol state of one connection after set-up.
type wire struct {
	conn net.Conn
	r    *textproto.Reader
	w    *bufio.Writer
	// What the relay's EHLO offered.
	pipelining, chunking, eightBit, size, utf8 bool
}

func newWire(conn net.Conn, c *smtp.Client) *wire {
	has := func(ext string) bool { ok, _ := c.Extension(ext); return ok }
	return &wire{
		conn: conn, r: textproto.NewReader(bufio.NewReaderSize(conn, 16<<10)),
		w:          bufio.NewWriterSize(conn, 64<<10),
		pipelining: has("PIPELINING"), chunking: has("PIPELINING") && has("CHUNKING"),
		eightBit: has("8BITMIME"), size: has("SIZE"), utf8: has("SMTPUTF8"),
	}
}

// reply reads one reply; a code outside 2xx and 3xx comes back as an
// *smtp.SMTPError, a broken connection as a plain error.
func (w *wire) reply() error {
	code, msg, err := w.r.ReadResponse(0)
	if err != nil {
		var perr *textproto.Error
		if !errors.As(err, &perr) {
			return err
		}
	}
	if code >= 200 && code < 400 {
		return nil
	}
	se := &smtp.SMTPError{Code: code, Message: msg}
	if first, rest, ok := strings.Cut(msg, " "); ok {
		if ec, ok := parseEnhanced(first); ok {
			se.EnhancedCode = ec
			se.Message = strings.ReplaceAll(rest, "\n"+first+" ", "\n")
		}
	}
	return se
}

func parseEnhanced(s string) (smtp.EnhancedCode, bool) {
	var ec smtp.EnhancedCode
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return ec, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return ec, false
		}
		ec[i] = n
	}
	return ec, true
}

// mailCommand writes MAIL FROM with the parameters the relay understands.
func (w *wire) mailCommand(m *Message) {
	w.w.WriteString("MAIL FROM:<" + m.From + ">")
	if w.eightBit {
		w.w.WriteString(" BODY=8BITMIME")
	}
	if w.size {
		w.w.WriteString(" SIZE=" + strconv.Itoa(len(m.Header)+len(m.Body)))
	}
	if w.utf8 && !envelopeASCII(m) {
		w.w.WriteString(" SMTPUTF8")
	}
	w.w.WriteString("\r\n")
}

// step is one command written, or to write, and the reply it gets.
type step struct {
	kind stepKind
	tx   int // index of the transaction
	rcpt int // index in the transaction's recipients (stepRcpt)
}

type stepKind int

const (
	stepRset stepKind = iota
	stepMail
	stepRcpt
	stepData // DATA, answered 354
	stepBdat // BDAT n LAST with the message
	stepEnd  // the message and its final dot (after the 354)
)

// pipeTx is one transaction of a session.
type pipeTx struct {
	m        *Message
	t        *txn
	mailErr  error // MAIL refused
	accepted []int // recipients whose RCPT got 2xx
	pending  int   // commands written and not answered yet
	queued   int   // commands not written yet
}

// session runs the transactions ms on rc and records their outcomes in
// ts. It returns retry when rc was reused and turned out dead before the
// relay answered anything, so that nothing is decided: the caller then
// tries again on a fresh connection. keep says whether rc may be reused.
func (r *Relay) session(ctx context.Context, rc *relayConn, reused bool, ms []*Message, ts []*txn, canonical func([]byte) bool) (retry, keep bool) {
	w := rc.wire
	txs := make([]*pipeTx, len(ms))
	for i := range ms {
		txs[i] = &pipeTx{m: ms[i], t: ts[i]}
	}
	window := 1
	if w.pipelining {
		window = pipelineWindow
	}
	var (
		todo        []step // commands not written yet, in order
		steps       []step // commands written and not answered, in order
		next        int    // next transaction to start
		open        int    // transactions started and not finished
		answered    int    // replies read
		waitingData bool   // a DATA awaits its 354: nothing may follow it
		// dirty: the relay may still be in a transaction (lock-step
		// only; pipelined transactions always start with RSET).
		dirty = reused
	)
	finish := func(tx *pipeTx) {
		if tx.pending == 0 && tx.queued == 0 {
			open--
			tx.t.end()
		}
	}
	start := func(i int) {
		tx := txs[i]
		if tx.t.allFinal() {
			return
		}
		open++
		add := func(s step) { todo = append(todo, s); tx.queued++ }
		if dirty || (w.pipelining && i > 0) {
			add(step{kind: stepRset, tx: i})
			dirty = false
		}
		add(step{kind: stepMail, tx: i})
		for j := range tx.m.To {
			if !tx.t.final[j] {
				add(step{kind: stepRcpt, tx: i, rcpt: j})
			}
		}
		if w.chunking && canonical(tx.m.Header) && canonical(tx.m.Body) {
			add(step{kind: stepBdat, tx: i})
		} else {
			add(step{kind: stepData, tx: i})
		}
	}
	// drop removes the commands of transaction i not written yet (lock
	// step: they are at the head of todo).
	drop := func(i int) {
		for len(todo) > 0 && todo[0].tx == i {
			todo = todo[1:]
			txs[i].queued--
		}
	}
	// broken ends the session on a connection that failed: every
	// transaction not finished fails, temporarily.
	broken := func(what string, err error) (bool, bool) {
		if reused && answered == 0 {
			r.log.Debug("reused connection failed", "at", what, "err", err)
			return true, false
		}
		err = r.wrap(ctx, what, err)
		for _, tx := range txs {
			tx.t.failRest(err, false)
		}
		return false, false
	}

	for {
		// Write what the protocol allows before the next reply.
		for !waitingData && (w.pipelining || len(steps) == 0) {
			if len(todo) == 0 {
				if next >= len(txs) || open >= window {
					break
				}
				start(next)
				next++
				continue
			}
			s := todo[0]
			if s.kind == stepBdat && txs[s.tx].t.report != nil && len(steps) > 0 {
				// The caller records each outcome before the next
				// message goes: first the replies to what was written.
				break
			}
			todo = todo[1:]
			tx := txs[s.tx]
			tx.queued--
			tx.pending++
			switch s.kind {
			case stepRset:
				w.w.WriteString("RSET\r\n")
			case stepMail:
				w.mailCommand(tx.m)
			case stepRcpt:
				w.w.WriteString("RCPT TO:<" + tx.m.To[s.rcpt] + ">\r\n")
			case stepData:
				w.w.WriteString("DATA\r\n")
				waitingData = true
			case stepBdat:
				w.w.WriteString("BDAT " + strconv.Itoa(len(tx.m.Header)+len(tx.m.Body)) + " LAST\r\n")
				w.w.Write(tx.m.Header)
				w.w.Write(tx.m.Body)
			}
			steps = append(steps, s)
		}
		if len(steps) == 0 {
			break
		}
		r.setDeadline(rc, steps)
		if err := w.w.Flush(); err != nil {
			return broken("write", err)
		}

		s := steps[0]
		steps = steps[1:]
		err := w.reply()
		var se *smtp.SMTPError
		if err != nil && !errors.As(err, &se) {
			return broken(stepName(s, txs), err)
		}
		answered++
		if se != nil && se.Code == 421 {
			// The relay is closing the connection.
			if reused && answered == 1 {
				return true, false
			}
			err = r.wrap(ctx, stepName(s, txs), err)
			for _, tx := range txs {
				tx.t.failRest(err, false)
			}
			return false, false
		}
		tx := txs[s.tx]
		tx.pending--
		switch s.kind {
		case stepRset:
			if err != nil {
				return broken(stepName(s, txs), err)
			}
		case stepMail:
			if err != nil {
				tx.mailErr = err
				tx.t.failRest(r.wrap(ctx, stepName(s, txs), err), isPermanent(err))
				drop(s.tx)
			}
		case stepRcpt:
			switch {
			case tx.mailErr != nil:
			case err == nil:
				tx.accepted = append(tx.accepted, s.rcpt)
			default:
				tx.t.fail(s.rcpt, r.wrap(ctx, stepName(s, txs), err), isPermanent(err))
			}
			if !w.pipelining && len(tx.accepted) == 0 && tx.t.allFinal() {
				// Everyone refused: no DATA; the next MAIL needs RSET.
				drop(s.tx)
				dirty = true
			}
		case stepData:
			waitingData = false
			if err != nil {
				if tx.mailErr == nil {
					tx.t.failRest(r.wrap(ctx, stepName(s, txs), err), isPermanent(err))
				}
				dirty = true
				break
			}
			// 354: the message, or an empty one when nobody was
			// accepted (RFC 2920 section 3.1), and the final dot.
			if tx.mailErr == nil && len(tx.accepted) > 0 {
				writeDotStuffed(w.w, tx.m.Header, tx.m.Body)
			} else {
				w.w.WriteString(".\r\n")
			}
			tx.pending++
			steps = append(steps, step{kind: stepEnd, tx: s.tx})
		case stepBdat, stepEnd:
			switch {
			case tx.mailErr != nil || len(tx.accepted) == 0:
				// Nothing was to be delivered; the relay refused it.
			case err != nil:
				tx.t.failRest(r.wrap(ctx, stepName(s, txs), err), isPermanent(err))
			default:
				for _, i := range tx.accepted {
					tx.t.final[i] = true
				}
			}
		}
		finish(tx)
	}
	for _, tx := range txs {
		// Every recipient is decided by now; never report one as sent
		// by omission.
		tx.t.failRest(r.wrap(ctx, "transaction", errors.New("no reply from the relay")), false)
	}
	return false, true
}

func stepName(s step, txs []*pipeTx) string {
	switch s.kind {
	case stepRset:
		return "RSET"
	case stepMail:
		return "MAIL FROM"
	case stepRcpt:
		return "RCPT TO <" + txs[s.tx].m.To[s.rcpt] + ">"
	case stepData:
		return "DATA"
	case stepBdat:
		return "BDAT"
	default:
		return "end of DATA"
	}
}

// canonicalCRLF reports whether every line of p ends with CRLF and no CR
// stands alone: what BDAT may carry as it is (RFC 3030 section 3).
func canonicalCRLF(p []byte) bool {
	for {
		i := bytes.IndexAny(p, "\r\n")
		if i < 0 {
			return true
		}
		if p[i] == '\n' || i+1 >= len(p) || p[i+1] != '\n' {
			return false
		}
		p = p[i+2:]
	}
}

// writeDotStuffed writes header and body as DATA content: lines starting
// with a dot get another, bare LF becomes CRLF, and the final ".".
func writeDotStuffed(w *bufio.Writer, parts ...[]byte) {
	atLineStart, afterCR := true, false
	for _, p := range parts {
		for len(p) > 0 {
			if atLineStart && p[0] == '.' {
				w.WriteByte('.')
			}
			i := bytes.IndexByte(p, '\n')
			if i < 0 {
				w.Write(p)
				afterCR = p[len(p)-1] == '\r'
				atLineStart = false
				break
			}
			line := p[:i]
			if len(line) > 0 {
				afterCR = line[len(line)-1] == '\r'
			}
			w.Write(line)
			if !afterCR {
				w.WriteByte('\r')
			}
			w.WriteByte('\n')
			atLineStart, afterCR = true, false
			p = p[i+1:]
		}
	}
	if !atLineStart {
		if afterCR {
			w.WriteByte('\n')
		} else {
			w.WriteString("\r\n")
		}
	}
	w.WriteString(".\r\n")
}

// setDeadline gives the next flush and read their time: the data
// timeout while a message is on its way, else the command timeout.
func (r *Relay) setDeadline(rc *relayConn, steps []step) {
	d := r.o.CommandTimeout
	for _, s := range steps {
		if s.kind == stepEnd || s.kind == stepBdat {
			d = max(d, r.o.DataTimeout)
			break
		}
	}
	_ = rc.nc.SetDeadline(time.Now().Add(d))
}
