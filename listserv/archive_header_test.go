package listserv

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"tacit/storage"
)

// TestListArchiveAnnouncesAPublicRegister checks List-Archive
// (docs/delivery.md): a post to a list whose register is public carries
// List-Archive: <BASE_URL/lists/NAME/decisions>, a page the server
// answers; a post to a list whose register is private carries none.
func TestListArchiveAnnouncesAPublicRegister(t *testing.T) {
	t.Parallel()
	h := start(t, harnessOptions{http: true})
	h.list("jardin@lists.test", "alice@example.org", "bob@example.org")
	h.list("bureau@lists.test", "alice@example.org", "bob@example.org")
	if _, err := h.store.UpdateList("jardin@lists.test", func(l *storage.List) error {
		l.PublicRegister = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	h.mustSend("alice@example.org", []string{"jardin@lists.test"}, post("alice@example.org", "Public", "x\r\n"))
	got := waitMessages(t, h.sink, "bob@example.org", "[jardin] Public", 1)[0]
	// The harness leaves HTTPBaseURL empty: the server announces the
	// address its HTTP listener was given.
	url := "http://" + h.srv.HTTPAddr() + "/lists/jardin/decisions"
	if fields := got.Header["List-Archive"]; len(fields) != 1 || fields[0] != "<"+url+">" {
		t.Fatalf("List-Archive %q, want exactly <%s>", fields, url)
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "Jardin partagé") {
		t.Errorf("the announced register answers %s:\n%s", resp.Status, page)
	}

	priv := strings.Replace(post("alice@example.org", "Prive", "x\r\n"), "To: jardin@", "To: bureau@", 1)
	h.mustSend("alice@example.org", []string{"bureau@lists.test"}, priv)
	got = waitMessages(t, h.sink, "bob@example.org", "[bureau] Prive", 1)[0]
	if fields, ok := got.Header["List-Archive"]; ok {
		t.Errorf("a private register is announced: List-Archive %q", fields)
	}
	if got.Header.Get("List-Id") == "" {
		t.Error("the private list's post has no List-Id: is it the list's copy?")
	}
}
