package deploy

import (
	"encoding"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"tacit/config"
)

// ConfigOptions are the values of the configuration file that differ from
// tacit's built-in defaults. An empty field keeps the default.
type ConfigOptions struct {
	// Domain is domain, the host part of the lists' addresses; it is also
	// dkim.domain when DKIMSelector is set.
	Domain string
	// Hostname is smtp.hostname, the server's name in EHLO and Message-IDs.
	Hostname string
	// BaseURL is http.base_url, how the web pages are reached from outside.
	BaseURL string
	// DataDir is data_dir.
	DataDir string
	// SMTPListen is smtp.listen.
	SMTPListen string
	// DeliveryMode is delivery.mode ("maildir" or "relay") and Relay
	// delivery.relay.
	DeliveryMode, Relay string
	// DKIMSelector and DKIMPrivateKey are dkim.selector and
	// dkim.private_key; dkim.domain is then Domain.
	DKIMSelector, DKIMPrivateKey string
	// Comments is the language of the file's comments: "fr" (the
	// default) or "en". It does not change the key language.
	Comments string
}

// Production returns the options of an installation behind Postfix on
// the same machine: the store in /var/lib/tacit, mail received from
// Postfix on 127.0.0.1:2525 and sent out through Postfix on 127.0.0.1:25,
// the web pages at https://DOMAIN behind a reverse proxy, and the lists'
// mail signed with the DKIM key at keyPath under selector.
func Production(domain, selector, keyPath string) ConfigOptions {
	return ConfigOptions{
		Domain:         domain,
		Hostname:       domain,
		BaseURL:        "https://" + domain,
		DataDir:        DefaultDataDir,
		SMTPListen:     "127.0.0.1:2525",
		DeliveryMode:   "relay",
		Relay:          "127.0.0.1:25",
		DKIMSelector:   selector,
		DKIMPrivateKey: keyPath,
	}
}

// Values returns the configuration the file Config writes describes:
// config.Default with the options applied.
func Values(o ConfigOptions) *config.Config {
	c := config.Default()
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&c.Domain, o.Domain)
	set(&c.SMTP.Hostname, o.Hostname)
	set(&c.HTTP.BaseURL, o.BaseURL)
	set(&c.DataDir, o.DataDir)
	set(&c.SMTP.Listen, o.SMTPListen)
	set(&c.Delivery.Mode, o.DeliveryMode)
	set(&c.Delivery.Relay, o.Relay)
	if o.DKIMSelector != "" {
		c.DKIM = config.DKIM{Domain: c.Domain, Selector: o.DKIMSelector, PrivateKey: o.DKIMPrivateKey}
	}
	return c
}

// Config returns a tacit.toml that sets every key of the configuration,
// table by table, each with a line saying what it is for: the defaults of
// config.Default except for the options given. config.Load reads it back
// to Values(o).
func Config(o ConfigOptions) string {
	lang := 0
	if o.Comments == "en" {
		lang = 1
	}
	var b strings.Builder
	b.WriteString(fileHeader[lang])
	writeTable(&b, reflect.ValueOf(*Values(o)), "", lang)
	return b.String()
}

// writeTable writes the keys of the struct v (the table named prefix),
// then its sub-tables.
func writeTable(b *strings.Builder, v reflect.Value, prefix string, lang int) {
	type sub struct {
		v   reflect.Value
		key string
	}
	var subs []sub
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if !f.IsExported() || tag == "" || tag == "-" {
			continue
		}
		key := joinKey(prefix, tag)
		fv := v.Field(i)
		if isTable(fv) {
			subs = append(subs, sub{fv, key})
			continue
		}
		why := keyDocs[key][lang]
		if why == "" {
			why = "?"
		}
		fmt.Fprintf(b, "\n# %s\n%s = %s\n", why, tag, tomlValue(fv))
	}
	for _, s := range subs {
		fmt.Fprintf(b, "\n\n# %s\n[%s]\n", tableDocs[s.key][lang], s.key)
		writeTable(b, s.v, s.key, lang)
	}
}

// Keys returns the dotted name of every key of config.Config, in the
// order Config writes them.
func Keys() []string {
	var keys []string
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		var tables []reflect.StructField
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
			if !f.IsExported() || tag == "" || tag == "-" {
				continue
			}
			if isTable(reflect.New(f.Type).Elem()) {
				tables = append(tables, f)
				continue
			}
			keys = append(keys, joinKey(prefix, tag))
		}
		for _, f := range tables {
			tag, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
			walk(f.Type, joinKey(prefix, tag))
		}
	}
	walk(reflect.TypeFor[config.Config](), "")
	return keys
}

func joinKey(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// isTable reports whether v is written as a TOML table: a struct that is
// not a text value (config.Duration is written as a string).
func isTable(v reflect.Value) bool {
	return v.Kind() == reflect.Struct &&
		!reflect.PointerTo(v.Type()).Implements(reflect.TypeFor[encoding.TextMarshaler]())
}

// tomlValue writes one leaf value as TOML.
func tomlValue(v reflect.Value) string {
	if m, ok := v.Interface().(encoding.TextMarshaler); ok {
		text, err := m.MarshalText()
		if err != nil {
			return tomlString(err.Error())
		}
		return tomlString(string(text))
	}
	switch v.Kind() {
	case reflect.String:
		return tomlString(v.String())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	}
	return tomlString(fmt.Sprint(v.Interface()))
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\u%04X", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
