// Package webpage writes the HTML pages of tacit's one-click links
// (unsubscribe, positions) with the headers every such page carries:
// never cached, never framed, never sniffed, no referrer, and a content
// security policy of the caller's.
package webpage

import (
	"net/http"
	"strconv"
)

// Write answers r with status and the HTML body, under the content
// security policy csp; a HEAD request gets the headers alone.
func Write(w http.ResponseWriter, r *http.Request, status int, body []byte, csp string) {
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", csp)
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// ErrorPage is the page written when a page's own template fails, in
// language lang.
func ErrorPage(lang string) []byte {
	return []byte("<!DOCTYPE html>\n<html lang=\"" + lang + "\"><title>Error</title><p>Error.</p></html>\n")
}
