package config

import "strings"

// IMAPCert returns the certificate and key files of the IMAP server:
// imap.tls_cert and imap.tls_key when set, else smtp.tls_cert and
// smtp.tls_key; "" when neither table has any.
func (c *Config) IMAPCert() (cert, key string) {
	if c.IMAP.TLSCert != "" || c.IMAP.TLSKey != "" {
		return c.IMAP.TLSCert, c.IMAP.TLSKey
	}
	return c.SMTP.TLSCert, c.SMTP.TLSKey
}

// checkTLS checks the TLS keys of [imap] and [http] (those of [smtp] are
// checked with their table).
func (c *Config) checkTLS(k *checker) {
	bothOrNeither(k, "http.tls_cert", c.HTTP.TLSCert, "http.tls_key", c.HTTP.TLSKey)
	if c.HTTP.Listen != "" && c.HTTP.TLSCert != "" && strings.HasPrefix(strings.ToLower(c.HTTP.BaseURL), "http://") {
		k.addKeys([]string{"http.base_url", "http.tls_cert"}, "http.base_url: %q starts with http:// but "+
			"http.tls_cert makes the web server speak HTTPS only; write https://",
			"http.base_url : %q commence par http:// mais http.tls_cert fait parler le serveur web en HTTPS seulement ; écrire https://",
			c.HTTP.BaseURL)
	}
	bothOrNeither(k, "imap.tls_cert", c.IMAP.TLSCert, "imap.tls_key", c.IMAP.TLSKey)
	if c.IMAP.TLSListen == "" {
		return
	}
	if msg := checkHostPort(c.IMAP.TLSListen, "0.0.0.0:993"); !msg.empty() {
		k.addText("imap.tls_listen", msg)
	} else if c.IMAP.TLSListen == c.IMAP.Listen {
		k.addKeys([]string{"imap.tls_listen", "imap.listen"},
			"imap.tls_listen: %q is imap.listen too; give IMAP over TLS a port of its own (993)",
			"imap.tls_listen : %q est aussi imap.listen ; donner à IMAP sur TLS un port à lui (993)", c.IMAP.TLSListen)
	}
	if cert, _ := c.IMAPCert(); cert == "" {
		k.addKeys([]string{"imap.tls_listen"}, "imap.tls_listen: IMAP over TLS needs a certificate: "+
			"set imap.tls_cert and imap.tls_key, or smtp.tls_cert and smtp.tls_key",
			"imap.tls_listen : IMAP sur TLS demande un certificat : "+
				"donner imap.tls_cert et imap.tls_key, ou smtp.tls_cert et smtp.tls_key")
	}
}

// bothOrNeither reports a certificate set without its key, or a key
// without its certificate.
func bothOrNeither(k *checker, certKey, cert, keyKey, key string) {
	switch {
	case cert != "" && key == "":
		k.addKeys([]string{certKey}, "%s: set but %s is not; set both or neither",
			"%s : donné mais pas %s ; donner les deux ou aucun", certKey, keyKey)
	case cert == "" && key != "":
		k.addKeys([]string{keyKey}, "%s: set but %s is not; set both or neither",
			"%s : donné mais pas %s ; donner les deux ou aucun", keyKey, certKey)
	}
}
