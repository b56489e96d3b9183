package notice

import (
	"strings"
	"testing"
)

// The private texts to one member about a proposal carry their one-click
// links, each on a line of its own under a line of ours that is not a
// command; the texts to the list never do.
func TestOneClickLinks(t *testing.T) {
	t.Parallel()
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	d := realistic(t)
	d.Links = Links{Support: "https://lists.test/p/TOKEN/support", Object: "https://lists.test/p/TOKEN/object",
		Lift: "https://lists.test/p/TOKEN/lift"}
	with := map[Kind]bool{Ack: true, Hint: true, DeadlineUnread: true}
	for _, lang := range []string{"fr", "en"} {
		for _, k := range Kinds {
			txt, err := r.Render(k, lang, d)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(txt.Body, "\n")
			found := 0
			for i, l := range lines {
				if !strings.HasPrefix(l, "https://lists.test/p/") {
					continue
				}
				found++
				if i == 0 || !strings.HasSuffix(lines[i-1], ":") || startsWithCommand(lines[i-1]) != "" {
					t.Errorf("%s/%s: the link %q is not under a line of ours that says what it does", lang, k, l)
				}
			}
			want := map[bool]int{true: 3}[with[k]]
			switch k {
			case Footer, Reminder:
				want = 2 // to every member: support and object
			case Blocked:
				want = 1 // to every member: lift, for those who objected
			}
			if found != want {
				t.Errorf("%s/%s: %d one-click links, want %d:\n%s", lang, k, found, want, txt.Body)
			}
		}
		// No link: no sentence about links.
		d2 := realistic(t)
		txt, err := r.Render(Ack, lang, d2)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(txt.Body, "/p/") || strings.Contains(txt.Body, "clic") || strings.Contains(txt.Body, "click") {
			t.Errorf("%s ack without links speaks of them:\n%s", lang, txt.Body)
		}
	}
	fr, _ := r.Render(Ack, "fr", d)
	for _, want := range []string{"Sans rien écrire, en un clic sur l'un de vos liens personnels :", "Pour soutenir la proposition :\nhttps://lists.test/p/TOKEN/support",
		"Pour lever votre objection :\nhttps://lists.test/p/TOKEN/lift"} {
		if !strings.Contains(fr.Body, want) {
			t.Errorf("the French ack lacks %q:\n%s", want, fr.Body)
		}
	}
}
