package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// nginxSite returns the HTTPS server block of docs/tls.md's nginx
// example, as written there, made to listen on listen, with the test's
// certificate and tacit at backend.
func nginxSite(t *testing.T, listen, cert, key, backend string) string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "tls.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(doc), "nginx (Debian 12's 1.22)")
	block := regexp.MustCompile(`(?s)\n    server \{\n        listen 443 ssl.*?\n    \}\n`).FindString(after)
	if !ok || block == "" {
		t.Fatal("docs/tls.md has no nginx server block listening on 443 after \"nginx (Debian 12's 1.22)\"")
	}
	var lines []string
	for _, l := range strings.Split(block, "\n") {
		l = strings.TrimPrefix(l, "    ")
		switch {
		case strings.Contains(l, "listen [::]:443"):
			continue // loopback IPv4 only in the test
		case strings.Contains(l, "listen 443 "):
			l = strings.Replace(l, "443", listen, 1)
		}
		lines = append(lines, l)
	}
	return strings.NewReplacer(
		"/etc/letsencrypt/live/lists.example.org/fullchain.pem", cert,
		"/etc/letsencrypt/live/lists.example.org/privkey.pem", key,
		"127.0.0.1:8025", backend,
	).Replace(strings.Join(lines, "\n"))
}

// docs/tls.md's nginx example, run by a real nginx in front of tacit
// with the test authority's certificate: the register and the one-click
// unsubscribe POST work through it, with links to base_url.
func TestNginxProxyFromDocs(t *testing.T) {
	t.Parallel()
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		if nginx, err = exec.LookPath("/usr/sbin/nginx"); err != nil {
			t.Skip("nginx is not installed (.ci/run installs it)")
		}
	}
	r := newTLSRig(t, tlsSetup{http: true})
	proxy := freePort(t)
	dir := t.TempDir()
	site := nginxSite(t, proxy, r.certFile, r.keyFile, r.httpAddr)
	conf := fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
%[2]s
}
`, dir, site)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, nginx, "-p", dir, "-c", confPath, "-e", filepath.Join(dir, "error.log"))
	out := &logWriter{listening: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})

	// base_url is what tacit writes in links; the test reaches nginx on
	// its own port.
	base := "https://localhost:" + portOf(r.httpAddr)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: r.ca.Pool(), ServerName: "localhost"}}}
	var res *http.Response
	if !waitFor(10*time.Second, func() bool {
		res, err = client.Get("https://" + proxy + "/lists/jardin/decisions.atom")
		return err == nil
	}) {
		errLog, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		t.Fatalf("nginx: %v\n%s\n%s\nconfiguration:\n%s", err, out.String(), errLog, conf)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), base+"/lists/jardin/decisions") {
		t.Errorf("register's feed through nginx: %s\n%.500s", res.Status, body)
	}
	if res.Header.Get("Strict-Transport-Security") == "" {
		t.Error("nginx's Strict-Transport-Security is missing")
	}

	if err := sendMail(r.in.smtpAddr, "alice@example.org", []string{"jardin@lists.test"},
		post("Par le mandataire", "<nginx.1@e2e.test>"), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	rr := &replyRig{in: r.in, p: r.p}
	copyOf := rr.waitMail(t, "bob@example.org", "the post", func(m *gotMail) bool {
		return strings.Contains(m.subject, "Par le mandataire")
	})
	link := regexp.MustCompile(`<(https://[^>]+)>`).FindStringSubmatch(copyOf.header("List-Unsubscribe"))
	if link == nil || !strings.HasPrefix(link[1], base+"/unsubscribe/") {
		t.Fatalf("List-Unsubscribe %q", copyOf.header("List-Unsubscribe"))
	}
	// The link names base_url's host; the test's proxy is on another
	// port of the same machine.
	viaProxy := "https://" + proxy + strings.TrimPrefix(link[1], base)
	res, err = client.Post(viaProxy, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatalf("one-click POST through nginx: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("one-click POST through nginx: %s", res.Status)
	}
	if members := r.in.mustCLI("member", "ls", "jardin"); strings.Contains(members, "bob@example.org") {
		t.Errorf("bob is still a member after the one-click POST through nginx:\n%s", members)
	}
}
