package listserv

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"tacit/storage"
)

// The server's home page lists the public registers, and an unknown page
// answers in French with a way back, not Go's bare "404 page not found".
func TestHomeAndUnknownPages(t *testing.T) {
	t.Parallel()
	h := start(t, harnessOptions{http: true})
	if err := h.store.CreateList(storage.List{Address: "jardin@lists.test", Name: "Jardin partagé", PublicRegister: true}); err != nil {
		t.Fatal(err)
	}
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + h.srv.HTTPAddr() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/"); code != 200 || !strings.Contains(body, "Jardin partagé") {
		t.Errorf("/: %d\n%.300s", code, body)
	}
	code, body := get("/nothing/here")
	if code != 404 || strings.Contains(body, "404 page not found") || !strings.Contains(body, `href="/"`) {
		t.Errorf("/nothing/here: %d\n%.300s", code, body)
	}
	if code, _ := get("/healthz"); code == 404 {
		t.Errorf("/healthz is shadowed by the register")
	}
}
