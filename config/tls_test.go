package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The TLS keys of [imap] and [http]: which certificate IMAP uses, and
// the problems Load reports, each at the line of the key to blame.
func TestTLSKeys(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, file string
		// problems are the lines Load reports, in part ("" for none).
		problems []string
		// cert is the certificate IMAP uses, when the file loads.
		cert string
	}{
		{"IMAPS with the SMTP certificate", "[smtp]\ntls_cert = \"s.pem\"\ntls_key = \"s.key\"\n" +
			"[imap]\ntls_listen = \":993\"\n", nil, "s.pem"},
		{"IMAP's own certificate", "[smtp]\ntls_cert = \"s.pem\"\ntls_key = \"s.key\"\n" +
			"[imap]\ntls_listen = \":993\"\ntls_cert = \"i.pem\"\ntls_key = \"i.key\"\n", nil, "i.pem"},
		{"STARTTLS only, with IMAP's own certificate", "[imap]\ntls_cert = \"i.pem\"\ntls_key = \"i.key\"\n", nil, "i.pem"},
		{"no certificate at all", "", nil, ""},
		{"IMAPS without a certificate", "[imap]\ntls_listen = \":993\"\n",
			[]string{"t.toml:2:", "imap.tls_listen: IMAP over TLS needs a certificate"}, ""},
		{"a key without its certificate", "[imap]\ntls_key = \"i.key\"\n",
			[]string{"t.toml:2:", "imap.tls_key: set but imap.tls_cert is not"}, ""},
		{"a certificate without its key", "[smtp]\ntls_cert = \"s.pem\"\ntls_key = \"s.key\"\n[imap]\ntls_cert = \"i.pem\"\n",
			[]string{"t.toml:5:", "imap.tls_cert: set but imap.tls_key is not"}, ""},
		{"not an address", "[smtp]\ntls_cert = \"s.pem\"\ntls_key = \"s.key\"\n[imap]\ntls_listen = \"993\"\n",
			[]string{"t.toml:5:", "imap.tls_listen", "not host:port"}, ""},
		{"HTTPS with an https base_url", "[http]\nbase_url = \"https://lists.example.org\"\n" +
			"tls_cert = \"h.pem\"\ntls_key = \"h.key\"\n", nil, ""},
		{"HTTPS with the default base_url", "[http]\ntls_cert = \"h.pem\"\ntls_key = \"h.key\"\n",
			[]string{"t.toml:2:", "http.base_url", "https://"}, ""},
		{"HTTPS with an http base_url", "[http]\nbase_url = \"http://lists.example.org\"\n" +
			"tls_cert = \"h.pem\"\ntls_key = \"h.key\"\n",
			[]string{"t.toml:2:", "starts with http://"}, ""},
		{"an HTTP key without its certificate", "[http]\ntls_key = \"h.key\"\n",
			[]string{"t.toml:2:", "http.tls_key: set but http.tls_cert is not"}, ""},
		{"the plaintext port", "[smtp]\ntls_cert = \"s.pem\"\ntls_key = \"s.key\"\n" +
			"[imap]\nlisten = \":1143\"\ntls_listen = \":1143\"\n",
			[]string{"t.toml:6:", "port of its own"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "t.toml")
			if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := Load(path)
			if len(tc.problems) == 0 {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if cert, _ := c.IMAPCert(); cert != tc.cert {
					t.Errorf("IMAPCert = %q, want %q", cert, tc.cert)
				}
				return
			}
			if err == nil {
				t.Fatalf("Load accepted %q", tc.file)
			}
			for _, want := range tc.problems {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}
