// Command tacit-bench times a real `tacit serve` process under load, so
// that its figures can be compared side by side with other list servers
// and MTAs (see docs/performance.md).
//
// It builds tacit (or takes --tacit PATH), writes a configuration in a
// temporary directory (free loopback ports, HTTP off, IMAP off unless the
// imap workload runs, delivery in relay mode), and relays to a counting
// SMTP sink it runs itself, or to an external sink given with --sink
// (Postfix's smtp-sink, say), in which case the recipients delivered are
// counted from tacit's "delivery attempt" log lines.
//
// Workloads:
//
//	fanout  one 4 KB post to a list of --members members, timed from the
//	        SMTP 250 to the last recipient accepted by the sink
//	ingest  --posts 4 KB posts from --clients parallel SMTP clients that
//	        reuse their connections, timed until every post got its 250
//	tick    --proposals proposals falling due at once, timed by the
//	        engine (engines.go)
//	engines fanout, ingest and tick on bbolt and on PostgreSQL (--pg),
//	        with the ratios of their rates (engines.sh runs a private
//	        PostgreSQL for it)
//	imap    --messages archived posts, then one
//	        UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE)])
//	dkim    the fanout three times, each with a tacit of its own: lists
//	        unsigned, signed with an RSA-2048 key, signed with an Ed25519
//	        key; each signed rate is also given as a ratio of the
//	        unsigned one (with --unsubscribe, the default, each copy is
//	        signed for its member)
//	sink    no tacit: run the counting sink on --listen until --expect
//	        recipients arrived, and print when the last one did (for
//	        timing another MTA, see peers.sh)
//
// Each workload is measured --runs times; one line is printed per run and
// one for the median, or a JSON document with --json.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "tacit-bench: "+err.Error())
		os.Exit(1)
	}
}

// options are the command-line flags.
type options struct {
	tacit       string
	sink        string
	workload    string
	members     int
	posts       int
	clients     int
	messages    int
	runs        int
	verp        bool
	concurrency int
	json        bool
	keep        bool
	timeout     time.Duration
	listen      string
	expect      int64
	size        int
	unsubscribe bool
	pg          string
	proposals   int
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("tacit-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.tacit, "tacit", "", "tacit binary to run (default: go build ./cmd/tacit into the temp dir)")
	fs.StringVar(&o.sink, "sink", "", "external SMTP sink host:port (default: an internal counting sink)")
	fs.StringVar(&o.workload, "workload", "fanout", "fanout, ingest, imap, dkim, tick, engines, or sink")
	fs.StringVar(&o.pg, "pg", "", "PostgreSQL server (a DSN whose user may create databases): fanout, ingest and tick run on a new database of it; engines needs it")
	fs.IntVar(&o.proposals, "proposals", 1000, "tick: proposals falling due at once")
	fs.IntVar(&o.members, "members", 1000, "fanout: members of the list")
	fs.IntVar(&o.posts, "posts", 1000, "ingest: posts per run")
	fs.IntVar(&o.clients, "clients", 8, "ingest and imap set-up: parallel SMTP clients")
	fs.IntVar(&o.messages, "messages", 2000, "imap: archived messages fetched")
	fs.IntVar(&o.runs, "runs", 3, "measurements; the median is reported")
	fs.BoolVar(&o.verp, "verp", false, "delivery.verp = true (one transaction per member)")
	fs.IntVar(&o.concurrency, "concurrency", 8, "delivery.concurrency")
	fs.BoolVar(&o.json, "json", false, "print the results as JSON on stdout (the lines go to stderr)")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (config, data)")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "longest wait for one measurement")
	fs.StringVar(&o.listen, "listen", "127.0.0.1:2526", "sink: address to listen on")
	fs.Int64Var(&o.expect, "expect", 10000, "sink: recipients to wait for")
	fs.IntVar(&o.size, "size", 4096, "fanout: size of the post in bytes")
	fs.BoolVar(&o.unsubscribe, "unsubscribe", true, "turn [http] on: every copy carries its member's one-click unsubscribe URL, one transaction per member (false: batched transactions unless --verp)")
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("flags: %w", err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	switch {
	case o.members < 1, o.posts < 1, o.clients < 1, o.messages < 1, o.runs < 1, o.concurrency < 1, o.proposals < 1:
		return nil, errors.New("--members, --posts, --clients, --messages, --runs, --concurrency and --proposals must be at least 1")
	case o.workload == "engines" && o.pg == "":
		return nil, errors.New("--workload engines needs --pg DSN")
	case o.size < 1024 || o.size > 25<<20:
		return nil, errors.New("--size must be between 1024 and 26214400 bytes")
	}
	return o, nil
}

// result is one workload's measurements.
type result struct {
	Workload string `json:"workload"`
	Members  int    `json:"members,omitempty"`
	Posts    int    `json:"posts,omitempty"`
	Clients  int    `json:"clients,omitempty"`
	Messages int    `json:"messages,omitempty"`
	VERP     bool   `json:"verp"`
	Sink     string `json:"sink"`
	// Seconds has one duration per run; MedianSeconds is their median.
	Seconds       []float64 `json:"seconds"`
	MedianSeconds float64   `json:"median_seconds"`
	// Rate is what was counted (recipients, messages) per second at
	// the median; RateUnit names it.
	Rate     float64 `json:"rate"`
	RateUnit string  `json:"rate_unit"`
	// Size is the post's size in bytes (fanout).
	Size int `json:"size,omitempty"`
	// PeakRSSMB is the largest resident set of the tacit process over
	// its life (VmHWM), in MiB (fanout).
	PeakRSSMB float64 `json:"peak_rss_mb,omitempty"`
	// CPUSeconds is the CPU time tacit used in each run (fanout), and
	// CPUPerRecipientUS the median's per recipient, in microseconds: a
	// cost that other load on the machine does not inflate.
	CPUSeconds        []float64 `json:"cpu_seconds,omitempty"`
	CPUPerRecipientUS float64   `json:"cpu_us_per_recipient,omitempty"`
	// DKIM names the key the lists signed with ("rsa2048", "ed25519"),
	// "" for none (fanout).
	DKIM string `json:"dkim,omitempty"`
	// Variants are the fan-outs of the dkim workload, unsigned first;
	// Ratios their rates divided by the unsigned one, by key.
	Variants []*result          `json:"variants,omitempty"`
	Ratios   map[string]float64 `json:"ratios,omitempty"`
}

// label is the fixed part of a result's lines.
func (r *result) label() string {
	var b strings.Builder
	b.WriteString(r.Workload)
	switch r.Workload {
	case "fanout":
		fmt.Fprintf(&b, " members=%d verp=%t size=%d", r.Members, r.VERP, r.Size)
		if r.DKIM != "" {
			fmt.Fprintf(&b, " dkim=%s", r.DKIM)
		}
	case "ingest":
		fmt.Fprintf(&b, " posts=%d clients=%d", r.Posts, r.Clients)
	case "imap":
		fmt.Fprintf(&b, " messages=%d", r.Messages)
	}
	fmt.Fprintf(&b, " sink=%s", r.Sink)
	return b.String()
}

// line formats one measurement of units things in d.
func (r *result) line(what string, d float64, units int) string {
	if r.Workload == "imap" {
		return fmt.Sprintf("%s %s ms=%.1f %s=%.0f", r.label(), what, d*1000, r.RateUnit, float64(units)/d)
	}
	return fmt.Sprintf("%s %s seconds=%.3f %s=%.0f", r.label(), what, d, r.RateUnit, float64(units)/d)
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if o.workload == "sink" {
		return runSink(ctx, o, stdout)
	}
	lines := stdout
	if o.json {
		lines = stderr
	}
	tmp, err := os.MkdirTemp("", "tacit-bench-")
	if err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	if o.keep {
		fmt.Fprintln(stderr, "tacit-bench: keeping", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	bin := o.tacit
	if bin == "" {
		if bin, err = buildTacit(ctx, tmp); err != nil {
			return err
		}
	}
	b := &bench{o: o, bin: bin, tmp: tmp, out: lines}
	var res any
	if o.pg != "" && o.workload != "engines" {
		extra, drop, err := newDatabase(ctx, o.pg)
		if err != nil {
			return err
		}
		defer drop()
		b.extra = extra
	}
	switch o.workload {
	case "tick":
		res, err = b.tick(ctx)
	case "engines":
		res, err = b.engines(ctx)
	case "fanout":
		res, err = b.fanout(ctx)
	case "ingest":
		res, err = b.ingest(ctx)
	case "imap":
		res, err = b.imap(ctx)
	case "dkim":
		res, err = b.signing(ctx)
	default:
		return fmt.Errorf("unknown workload %q (fanout, ingest, imap, dkim, tick, engines or sink)", o.workload)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", o.workload, err)
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return fmt.Errorf("json: %w", err)
		}
	}
	return nil
}

// runSink runs the counting sink until o.expect recipients arrived, and
// prints the Unix time (seconds, nanosecond precision) of the last one.
func runSink(ctx context.Context, o *options, stdout io.Writer) error {
	s, err := startSink(o.listen)
	if err != nil {
		return err
	}
	defer s.close()
	fmt.Fprintf(stdout, "sink listening=%s\n", s.addr())
	if _, err := waitCount(ctx, s, o.expect, o.timeout); err != nil {
		return err
	}
	last := time.Unix(0, s.last.Load())
	fmt.Fprintf(stdout, "sink recipients=%d last=%d.%09d\n", s.count(), last.Unix(), last.Nanosecond())
	return nil
}
