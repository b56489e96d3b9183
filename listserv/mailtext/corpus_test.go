package mailtext

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Paris wherever the tests run

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"tacit/consensus"
)

// corpusDir holds the fixture mails (docs/grammar-corpus.md).
const corpusDir = "../../testdata/mail"

// minFixtures is how many fixtures the corpus must keep at least.
const minFixtures = 120

// sidecar states what a human reader expects of the .eml with the same
// base name. Commands and Hints absent mean "none"; every other field
// absent means "not checked".
type sidecar struct {
	Client      string `json:"client"`
	Description string `json:"description"`
	// List is the list name for ParseSubject ("jardin" when absent).
	List string `json:"list"`

	// Commands are the command kinds, in order ("object", "lift",
	// "support", "withdraw", "amend").
	Commands []string `json:"commands"`
	// Reasons are the reasons of the objections, in order, compared
	// after consensus.Normalize.
	Reasons []string `json:"reasons"`
	// Hints are the near misses, as written.
	Hints []string `json:"hints"`
	// NoPosition is whether the reply is one without position
	// (consensus.Parse.NoPosition: no command, but a near miss, words of
	// disagreement or a question); nil means not checked.
	NoPosition *bool `json:"no_position"`
	// Unclear are the lines, as written and trimmed, that hold words of
	// disagreement or a question when there is no command
	// (consensus.Parse.Unclear); nil means not checked, [] means none.
	Unclear []string `json:"unclear"`

	TextContains      []string `json:"text_contains"`
	TextExcludes      []string `json:"text_excludes"`
	OwnText           *string  `json:"own_text"`
	OwnTextContains   []string `json:"own_text_contains"`
	OwnTextExcludes   []string `json:"own_text_excludes"`
	AmendTextContains []string `json:"amend_text_contains"`
	AmendTextExcludes []string `json:"amend_text_excludes"`

	Subject *struct {
		Reply    *bool   `json:"reply"`
		Proposal *bool   `json:"proposal"`
		Number   *int    `json:"number"`
		Title    *string `json:"title"`
	} `json:"subject"`

	// Deadline is the expected deadline (RFC 3339), read from the own
	// text with the Date header as received time, in Europe/Paris.
	Deadline string `json:"deadline"`
	// DeadlineError: the text has a deadline line that cannot be read.
	DeadlineError bool `json:"deadline_error"`

	// KnownFailure says why the grammar gets this fixture wrong today:
	// its mismatches are logged instead of failing the test.
	KnownFailure string `json:"known_failure"`
}

func loadSidecar(path string) (*sidecar, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var s sidecar
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if s.List == "" {
		s.List = "jardin"
	}
	return &s, nil
}

func corpus(t *testing.T) []string {
	t.Helper()
	emls, err := filepath.Glob(filepath.Join(corpusDir, "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	return emls
}

func TestCorpusSize(t *testing.T) {
	t.Parallel()
	emls := corpus(t)
	if len(emls) < minFixtures {
		t.Errorf("%d fixtures in %s, want at least %d", len(emls), corpusDir, minFixtures)
	}
	// Every sidecar has its mail and the other way round.
	jsons, _ := filepath.Glob(filepath.Join(corpusDir, "*.json"))
	for _, j := range jsons {
		if _, err := os.Stat(strings.TrimSuffix(j, ".json") + ".eml"); err != nil {
			t.Errorf("%s has no .eml", filepath.Base(j))
		}
	}
}

func TestCorpus(t *testing.T) {
	t.Parallel()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	for _, eml := range corpus(t) {
		name := filepath.Base(eml)
		t.Run(strings.TrimSuffix(name, ".eml"), func(t *testing.T) {
			t.Parallel()
			side, err := loadSidecar(strings.TrimSuffix(eml, ".eml") + ".json")
			if err != nil {
				t.Fatalf("%s: sidecar: %v", name, err)
			}
			raw, err := os.ReadFile(eml)
			if err != nil {
				t.Fatal(err)
			}
			problems, err := check(raw, side, paris)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			switch {
			case side.KnownFailure != "" && len(problems) > 0:
				t.Logf("%s: known failure (%s):\n\t%s", name, side.KnownFailure, strings.Join(problems, "\n\t"))
			case side.KnownFailure != "":
				t.Logf("%s: marked as a known failure but passes now: remove \"known_failure\" from its sidecar", name)
			default:
				for _, p := range problems {
					t.Errorf("%s (%s): %s", name, side.Client, p)
				}
			}
		})
	}
}

// check runs a fixture through mailtext and the grammar and returns what
// differs from its sidecar. An error means the fixture cannot be read.
func check(raw []byte, side *sidecar, paris *time.Location) ([]string, error) {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	text, err := Text(raw)
	if err != nil {
		return nil, fmt.Errorf("Text: %v", err)
	}
	own := consensus.OwnText(text)
	parse := consensus.Commands(own)

	var kinds, reasons []string
	var amend *consensus.Command
	for i, c := range parse.Commands {
		kinds = append(kinds, string(c.Kind))
		switch c.Kind {
		case consensus.EventObject:
			reasons = append(reasons, c.Reason)
		case consensus.EventAmend:
			amend = &parse.Commands[i]
		}
	}
	if !slices.Equal(kinds, side.Commands) {
		bad("commands %q, want %q (own text %q)", kinds, side.Commands, own)
	}
	if side.Reasons != nil && !slices.EqualFunc(reasons, side.Reasons, func(a, b string) bool {
		return consensus.Normalize(a) == consensus.Normalize(b)
	}) {
		bad("reasons %q, want %q", reasons, side.Reasons)
	}
	if !slices.Equal(parse.Hints, side.Hints) && len(parse.Hints)+len(side.Hints) > 0 {
		bad("hints %q, want %q", parse.Hints, side.Hints)
	}
	if side.NoPosition != nil && parse.NoPosition() != *side.NoPosition {
		bad("no position %v, want %v (own text %q)", parse.NoPosition(), *side.NoPosition, own)
	}
	if side.Unclear != nil && !slices.Equal(parse.Unclear, side.Unclear) {
		bad("unclear %q, want %q", parse.Unclear, side.Unclear)
	}
	contains := func(what, s string, want, unwanted []string) {
		for _, w := range want {
			if !strings.Contains(s, w) {
				bad("%s lacks %q: %q", what, w, s)
			}
		}
		for _, u := range unwanted {
			if strings.Contains(s, u) {
				bad("%s has %q: %q", what, u, s)
			}
		}
	}
	contains("text", text, side.TextContains, side.TextExcludes)
	contains("own text", own, side.OwnTextContains, side.OwnTextExcludes)
	if side.OwnText != nil && own != *side.OwnText {
		bad("own text %q, want %q", own, *side.OwnText)
	}
	if len(side.AmendTextContains)+len(side.AmendTextExcludes) > 0 {
		if amend == nil {
			bad("no amendment to check the text of")
		} else {
			contains("amendment", amend.Text, side.AmendTextContains, side.AmendTextExcludes)
		}
	}

	if s := side.Subject; s != nil {
		subject, err := Subject(raw)
		if err != nil {
			return nil, fmt.Errorf("Subject: %v", err)
		}
		got := consensus.ParseSubject(subject, side.List)
		if s.Reply != nil && got.Reply != *s.Reply {
			bad("subject %q: reply %v, want %v", subject, got.Reply, *s.Reply)
		}
		if s.Proposal != nil && got.Proposal != *s.Proposal {
			bad("subject %q: proposal %v, want %v", subject, got.Proposal, *s.Proposal)
		}
		if s.Number != nil && got.Number != *s.Number {
			bad("subject %q: number %d, want %d", subject, got.Number, *s.Number)
		}
		if s.Title != nil && got.Title != *s.Title {
			bad("subject %q: title %q, want %q", subject, got.Title, *s.Title)
		}
	}

	if side.Deadline != "" || side.DeadlineError {
		received, err := dateOf(raw)
		if err != nil {
			return nil, err
		}
		at, line, err := consensus.FindDeadline(own, received, paris)
		switch {
		case side.DeadlineError:
			if err == nil || errors.Is(err, consensus.ErrNoDeadline) {
				bad("deadline line %q: %v, %v; want a read error", line, at, err)
			}
		case err != nil:
			bad("deadline: %v (line %q)", err, line)
		default:
			want, perr := time.Parse(time.RFC3339, side.Deadline)
			if perr != nil {
				return nil, fmt.Errorf("sidecar deadline: %v", perr)
			}
			if !at.Equal(want) {
				bad("deadline %s from %q, want %s", at.In(paris).Format(time.RFC3339), line, want.In(paris).Format(time.RFC3339))
			}
		}
	}
	return problems, nil
}

// dateOf reads the Date header: the fixtures' received time.
func dateOf(raw []byte) (time.Time, error) {
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return time.Time{}, fmt.Errorf("header: %v", err)
	}
	mh := mail.Header{Header: message.Header{Header: h}}
	d, err := mh.Date()
	if err != nil {
		return time.Time{}, fmt.Errorf("Date header: %v", err)
	}
	return d, nil
}
