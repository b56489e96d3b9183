package deploy

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"tacit/config"
)

// Every key of config.Config has its line in both languages, and no line
// describes a key that no longer exists.
func TestEveryKeyIsExplained(t *testing.T) {
	t.Parallel()
	keys := Keys()
	if len(keys) < 40 {
		t.Fatalf("Keys found only %d keys: %v", len(keys), keys)
	}
	known := map[string]bool{}
	for _, k := range keys {
		known[k] = true
		d := keyDocs[k]
		if d[0] == "" || d[1] == "" {
			t.Errorf("key %s has no line in deploy/configdocs.go keyDocs (French and English): add one", k)
		}
		if strings.Contains(d[0], "\n") || strings.Contains(d[1], "\n") {
			t.Errorf("key %s: its line must be one line", k)
		}
		if table, _, ok := strings.Cut(k, "."); ok && tableDocs[table][0] == "" {
			t.Errorf("table [%s] has no line in tableDocs", table)
		}
	}
	for k := range keyDocs {
		if !known[k] {
			t.Errorf("keyDocs describes %s, which config.Config no longer has", k)
		}
	}
}

// The file loads with config.Load and gives config.Default() except for
// the options given, key by key; every key is written, with its line
// just above it.
func TestConfigLoadsToDefaultsPlusOptions(t *testing.T) {
	t.Parallel()
	cases := map[string]ConfigOptions{
		"nothing":    {},
		"production": Production("lists.example.org", "tacit202601", "/etc/tacit/dkim/tacit202601.private"),
		"english":    {Domain: "Lists.Example.NET", DataDir: "/srv/tacit", Comments: "en"},
	}
	for name, o := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			text := Config(o)
			path := filepath.Join(t.TempDir(), "tacit.toml")
			if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := config.Load(path)
			if err != nil {
				t.Fatalf("config.Load of the written file: %v\n%s", err, text)
			}
			want := config.Default()
			if o.Domain != "" {
				want.Domain = strings.ToLower(o.Domain)
			}
			if o.Hostname != "" {
				want.SMTP.Hostname = o.Hostname
			}
			if o.BaseURL != "" {
				want.HTTP.BaseURL = o.BaseURL
			}
			if o.DataDir != "" {
				want.DataDir = o.DataDir
			}
			if o.SMTPListen != "" {
				want.SMTP.Listen = o.SMTPListen
			}
			if o.DeliveryMode != "" {
				want.Delivery.Mode = o.DeliveryMode
			}
			if o.Relay != "" {
				want.Delivery.Relay = o.Relay
			}
			if o.DKIMSelector != "" {
				want.DKIM.Domain = o.Domain
				want.DKIM.Selector = o.DKIMSelector
				want.DKIM.PrivateKey = o.DKIMPrivateKey
			}
			compare(t, reflect.ValueOf(*want), reflect.ValueOf(*got), "")

			lines := strings.Split(text, "\n")
			for _, key := range Keys() {
				leaf := key[strings.LastIndex(key, ".")+1:]
				found := false
				for i, l := range lines {
					if strings.HasPrefix(l, leaf+" = ") && i > 0 && strings.HasPrefix(lines[i-1], "# ") &&
						len(lines[i-1]) > 10 && !strings.Contains(lines[i-1], "?") {
						found = true
					}
				}
				if !found {
					t.Errorf("%s is not written with its line of explanation above it", key)
				}
			}
			lang := 0
			if o.Comments == "en" {
				lang = 1
			}
			if !strings.Contains(text, keyDocs["data_dir"][lang]) {
				t.Errorf("the comments are not in language %d", lang)
			}
		})
	}
}

// compare checks every exported leaf of two configurations.
func compare(t *testing.T, want, got reflect.Value, prefix string) {
	t.Helper()
	for i := 0; i < want.NumField(); i++ {
		f := want.Type().Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if !f.IsExported() || tag == "" || tag == "-" {
			continue
		}
		key := joinKey(prefix, tag)
		if isTable(want.Field(i)) {
			compare(t, want.Field(i), got.Field(i), key)
			continue
		}
		if !reflect.DeepEqual(want.Field(i).Interface(), got.Field(i).Interface()) {
			t.Errorf("%s: loaded %v, want %v", key, got.Field(i).Interface(), want.Field(i).Interface())
		}
	}
}

// The production flavour is what a server behind Postfix needs, checked
// on the loaded values rather than on the text.
func TestProductionValues(t *testing.T) {
	t.Parallel()
	c, err := config.Parse("tacit.toml", []byte(Config(Production("lists.example.org", "s1", "/etc/tacit/dkim/s1.private"))))
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "/var/lib/tacit" || c.Delivery.Mode != "relay" || c.Delivery.Relay != "127.0.0.1:25" ||
		c.SMTP.Listen != "127.0.0.1:2525" || c.HTTP.BaseURL != "https://lists.example.org" ||
		c.SMTP.Hostname != "lists.example.org" || c.DKIM.Domain != "lists.example.org" ||
		c.DKIM.Selector != "s1" || c.DKIM.PrivateKey != "/etc/tacit/dkim/s1.private" {
		t.Errorf("production configuration: %+v", c)
	}
}
