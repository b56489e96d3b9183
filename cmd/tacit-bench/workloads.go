package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	gosmtp "github.com/emersion/go-smtp"
)

// bench runs the workloads of one invocation.
type bench struct {
	o   *options
	bin string
	tmp string
	out io.Writer // where the lines go
	// dkimKey, when set, is the key the instances sign with (the dkim
	// workload), and dkimKind names it in the results.
	dkimKey, dkimKind string
	// extra is appended to each instance's configuration (engines.go:
	// the PostgreSQL store, the tick's short deadlines).
	extra string
}

// env is a running tacit with its list and the counter of what it
// delivered.
type env struct {
	in      *instance
	srv     *server
	sink    *sink // nil with an external sink
	counter counter

	once sync.Once
	err  error
}

// close stops tacit and the sink; it may be called more than once.
func (e *env) close() error {
	e.once.Do(func() {
		e.err = e.srv.stop()
		if e.sink != nil {
			e.sink.close()
		}
	})
	return e.err
}

// sinkName is how results name the sink.
func (b *bench) sinkName() string {
	if b.o.sink != "" {
		return b.o.sink
	}
	return "internal"
}

// setup makes an instance with a list of members members, starts the sink
// (unless external) and tacit.
func (b *bench) setup(ctx context.Context, members int, withIMAP bool) (*env, error) {
	e := &env{}
	relay := b.o.sink
	if relay == "" {
		s, err := startSink("127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		e.sink, relay = s, s.addr()
	}
	in, err := newInstance(instanceOptions{bin: b.bin, parent: b.tmp, relay: relay, verp: b.o.verp,
		imap: withIMAP, http: b.o.unsubscribe, concurrency: b.o.concurrency, dkimKey: b.dkimKey, extra: b.extra})
	if err == nil {
		err = in.setupList(ctx, members)
	}
	if err == nil {
		e.in = in
		e.srv, err = in.start()
	}
	if err != nil {
		if e.sink != nil {
			e.sink.close()
		}
		return nil, err
	}
	if e.sink != nil {
		e.counter = e.sink
	} else {
		e.counter = e.srv.logs
	}
	return e, nil
}

// post4k is a 4 KB post by poster with a unique Message-ID.
func post4k(subject string) string { return postOfSize(subject, 4096) }

// postOfSize is a post of about size bytes by poster with a unique
// Message-ID.
func postOfSize(subject string, size int) string {
	line := "Lorem ipsum dolor sit amet, consectetur adipiscing elit. \r\n"
	hdr := "From: " + poster + "\r\nTo: " + listAddr + "\r\nSubject: " + subject +
		"\r\nMessage-ID: <" + subject + "@bench.example.org>\r\nDate: " +
		time.Now().UTC().Format(time.RFC1123Z) + "\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\n"
	return hdr + strings.Repeat(line, max(1, (size-len(hdr))/len(line)))
}

// cpuSeconds returns the CPU time process pid has used so far, user and
// system (utime and stime in /proc; 0 where there is no /proc): what a
// run costs, whatever else the machine is doing.
func cpuSeconds(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces: count after it.
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100 // USER_HZ, 100 on Linux
}

// peakRSS returns the largest resident set of process pid so far, in MiB
// (VmHWM in /proc; 0 where there is no /proc).
func peakRSS(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// sendOne posts one message in its own SMTP session.
func sendOne(addr, msg string) error {
	c, err := gosmtp.Dial(addr)
	if err != nil {
		return fmt.Errorf("smtp dial: %w", err)
	}
	defer c.Close()
	// SIZE, as the MTAs that relay posts to tacit announce it.
	if err := c.Mail(poster, &gosmtp.MailOptions{Size: int64(len(msg))}); err != nil {
		return fmt.Errorf("smtp MAIL: %w", err)
	}
	if err := c.Rcpt(listAddr, nil); err != nil {
		return fmt.Errorf("smtp RCPT: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	if _, err := io.WriteString(w, msg); err != nil {
		return fmt.Errorf("smtp send: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp send: %w", err)
	}
	if err := c.Quit(); err != nil {
		return fmt.Errorf("smtp quit: %w", err)
	}
	return nil
}

// fanout times one post to a list of o.members members, o.runs times.
func (b *bench) fanout(ctx context.Context) (*result, error) {
	n := b.o.members
	e, err := b.setup(ctx, n, false)
	if err != nil {
		return nil, err
	}
	defer e.close()
	res := &result{Workload: "fanout", Members: n, VERP: b.o.verp, Sink: b.sinkName(), RateUnit: "recipients/s",
		Size: b.o.size, DKIM: b.dkimKind}
	base := e.counter.count()
	pid := e.srv.cmd.Process.Pid
	for i := range b.o.runs {
		cpu0 := cpuSeconds(pid)
		if err := sendOne(e.in.smtpAddr, postOfSize(fmt.Sprintf("fanout-%d-%d", i, time.Now().UnixNano()), b.o.size)); err != nil {
			return nil, err
		}
		start := time.Now()
		done, err := waitCount(ctx, e.counter, base+int64(n*(i+1)), b.o.timeout)
		if err != nil {
			return nil, fmt.Errorf("run %d: %w\n%s", i+1, err, e.srv.logs.tail())
		}
		d := done.Sub(start).Seconds()
		res.Seconds = append(res.Seconds, d)
		res.CPUSeconds = append(res.CPUSeconds, cpuSeconds(pid)-cpu0)
		res.PeakRSSMB = max(res.PeakRSSMB, peakRSS(e.srv.cmd.Process.Pid))
		fmt.Fprintln(b.out, res.line(fmt.Sprintf("run=%d/%d", i+1, b.o.runs), d, n))
	}
	res.MedianSeconds = median(res.Seconds)
	res.Rate = float64(n) / res.MedianSeconds
	res.CPUPerRecipientUS = median(res.CPUSeconds) / float64(n) * 1e6
	fmt.Fprintln(b.out, res.line("median", res.MedianSeconds, n), fmt.Sprintf("peak_rss_mb=%.0f cpu_us/recipient=%.0f",
		res.PeakRSSMB, res.CPUPerRecipientUS))
	return res, e.close()
}

// sendMany posts m messages from c parallel clients, each reusing its
// connection, and returns the time from the first MAIL to the last 250
// (connections are opened before the clock starts).
func sendMany(addr string, m, c int, tag string) (time.Duration, error) {
	msgs := make([]string, m)
	for i := range msgs {
		msgs[i] = post4k(fmt.Sprintf("%s-%d", tag, i))
	}
	return sendAll(addr, msgs, c)
}

// sendAll posts msgs from c parallel clients, as sendMany.
func sendAll(addr string, msgs []string, c int) (time.Duration, error) {
	m := len(msgs)
	clients := make([]*gosmtp.Client, c)
	defer func() {
		for _, cl := range clients {
			if cl != nil {
				_ = cl.Close()
			}
		}
	}()
	for i := range clients {
		cl, err := gosmtp.Dial(addr)
		if err != nil {
			return 0, fmt.Errorf("smtp dial: %w", err)
		}
		if err := cl.Hello("bench.example.org"); err != nil {
			return 0, fmt.Errorf("smtp hello: %w", err)
		}
		clients[i] = cl
	}
	work := make(chan string, m)
	for _, msg := range msgs {
		work <- msg
	}
	close(work)
	var wg sync.WaitGroup
	errs := make(chan error, c)
	start := time.Now()
	for _, cl := range clients {
		wg.Go(func() {
			sent := 0
			for msg := range work {
				// tacit ends a session after 1,000 messages.
				if sent == 900 {
					_ = cl.Quit()
					var err error
					if cl, err = gosmtp.Dial(addr); err != nil {
						errs <- fmt.Errorf("smtp dial: %w", err)
						return
					}
					defer cl.Close()
					sent = 0
				}
				if err := cl.SendMail(poster, []string{listAddr}, strings.NewReader(msg)); err != nil {
					errs <- fmt.Errorf("smtp send: %w", err)
					return
				}
				if err := cl.Reset(); err != nil {
					errs <- fmt.Errorf("smtp rset: %w", err)
					return
				}
				sent++
			}
		})
	}
	wg.Wait()
	d := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	return d, nil
}

// ingest times o.posts posts from o.clients clients, o.runs times. The
// list has one member, the poster: each post is delivered once.
func (b *bench) ingest(ctx context.Context) (*result, error) {
	m, c := b.o.posts, b.o.clients
	e, err := b.setup(ctx, 1, false)
	if err != nil {
		return nil, err
	}
	defer e.close()
	res := &result{Workload: "ingest", Posts: m, Clients: c, Sink: b.sinkName(), RateUnit: "msgs/s"}
	base := e.counter.count()
	for i := range b.o.runs {
		d, err := sendMany(e.in.smtpAddr, m, c, fmt.Sprintf("ingest-%d-%d", i, time.Now().UnixNano()))
		if err != nil {
			return nil, fmt.Errorf("run %d: %w", i+1, err)
		}
		res.Seconds = append(res.Seconds, d.Seconds())
		fmt.Fprintln(b.out, res.line(fmt.Sprintf("run=%d/%d", i+1, b.o.runs), d.Seconds(), m))
		// Let the deliveries finish, so that runs do not overlap.
		if _, err := waitCount(ctx, e.counter, base+int64(m*(i+1)), b.o.timeout); err != nil {
			return nil, fmt.Errorf("run %d: delivery: %w", i+1, err)
		}
	}
	res.MedianSeconds = median(res.Seconds)
	res.Rate = float64(m) / res.MedianSeconds
	fmt.Fprintln(b.out, res.line("median", res.MedianSeconds, m))
	return res, e.close()
}

// imap archives o.messages posts and times a header FETCH of all of them
// by the poster, o.runs times on one session.
func (b *bench) imap(ctx context.Context) (*result, error) {
	k := b.o.messages
	e, err := b.setup(ctx, 1, true)
	if err != nil {
		return nil, err
	}
	defer e.close()
	if _, err := sendMany(e.in.smtpAddr, k, b.o.clients, fmt.Sprintf("imap-%d", time.Now().UnixNano())); err != nil {
		return nil, err
	}
	if _, err := waitCount(ctx, e.counter, int64(k), b.o.timeout); err != nil {
		return nil, fmt.Errorf("delivery: %w", err)
	}
	out, err := e.in.cli(ctx, "member", "passwd", listName, poster)
	if err != nil {
		return nil, err
	}
	password := strings.TrimSpace(out)
	var c *imapclient.Client
	for try := 0; ; try++ {
		if c, err = imapclient.DialInsecure(e.in.imapAddr, nil); err == nil || try == 50 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return nil, fmt.Errorf("imap dial: %w", err)
	}
	defer c.Close()
	if err := c.Login(poster, password).Wait(); err != nil {
		return nil, fmt.Errorf("imap login: %w", err)
	}
	if _, err := c.Select(listName, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return nil, fmt.Errorf("imap examine: %w", err)
	}
	section := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true,
		HeaderFields: []string{"FROM", "SUBJECT", "DATE"}}
	fo := &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}
	res := &result{Workload: "imap", Messages: k, Sink: b.sinkName(), RateUnit: "msgs/s"}
	for i := range b.o.runs {
		start := time.Now()
		cmd := c.Fetch(imap.UIDSet{{Start: 1, Stop: 0}}, fo)
		count := 0
		for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
			buf, err := msg.Collect()
			if err != nil {
				return nil, fmt.Errorf("imap fetch: %w", err)
			}
			if !strings.HasPrefix(string(buf.FindBodySection(section)), "From: ") {
				return nil, fmt.Errorf("imap fetch: header fields %q", buf.FindBodySection(section))
			}
			count++
		}
		if err := cmd.Close(); err != nil {
			return nil, fmt.Errorf("imap fetch: %w", err)
		}
		d := time.Since(start).Seconds()
		if count != k {
			return nil, fmt.Errorf("imap fetch: %d messages, want %d", count, k)
		}
		res.Seconds = append(res.Seconds, d)
		fmt.Fprintln(b.out, res.line(fmt.Sprintf("run=%d/%d", i+1, b.o.runs), d, k))
	}
	if err := c.Logout().Wait(); err != nil {
		return nil, fmt.Errorf("imap logout: %w", err)
	}
	res.MedianSeconds = median(res.Seconds)
	res.Rate = float64(k) / res.MedianSeconds
	fmt.Fprintln(b.out, res.line("median", res.MedianSeconds, k))
	return res, e.close()
}
