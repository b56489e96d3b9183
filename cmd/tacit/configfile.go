package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"tacit/config"
	"tacit/deploy"
	"tacit/storage"
)

// Which configuration a command reads: the file of --config, else the
// file of $TACIT_CONFIG, else /etc/tacit/tacit.toml when it exists (the
// file the Debian package installs), else the built-in defaults. The
// word "builtin", given to --config or TACIT_CONFIG, asks for the
// built-in defaults whatever exists (docs/configuration.md).

// builtinConfig is the value of --config or TACIT_CONFIG that asks for
// the built-in defaults.
const builtinConfig = "builtin"

// configEnv is the variable naming the configuration file when
// --config is not given.
const configEnv = "TACIT_CONFIG"

// environment is what a command reads from outside its arguments.
type environment struct {
	getenv func(string) string
	// etcConfig is the file read when neither --config nor
	// TACIT_CONFIG names one, if it exists.
	etcConfig string
	// lang is the language of the command line's texts, "fr" or "en"
	// (lang.go).
	lang string
}

// osEnvironment is the environment of this process.
func osEnvironment() environment {
	return environment{getenv: os.Getenv, etcConfig: deploy.DefaultConfigPath, lang: localeLang(os.Getenv)}
}

// How a configChoice was made.
const (
	fromFlag    = "flag"    // --config
	fromEnv     = "env"     // TACIT_CONFIG
	fromEtc     = "etc"     // the file that exists at etcConfig
	fromNothing = "nothing" // nothing named a file and etcConfig does not exist
)

// configChoice is the configuration a command reads, and why.
type configChoice struct {
	// path is the file to read; "" for the built-in defaults.
	path string
	// from says what chose it: fromFlag, fromEnv, fromEtc or fromNothing.
	from string
	// etc is the environment's etcConfig, for the messages.
	etc string
}

// chooseConfig applies the rule above to --config (given says whether
// it was on the command line at all) and the environment.
func chooseConfig(flagPath string, given bool, env environment) configChoice {
	c := configChoice{etc: env.etcConfig}
	named := func(p, from string) configChoice {
		c.from = from
		if p != builtinConfig && p != "" {
			c.path = p
		}
		return c
	}
	if given {
		return named(flagPath, fromFlag)
	}
	if v := env.getenv(configEnv); v != "" {
		return named(v, fromEnv)
	}
	c.from = fromNothing
	if env.etcConfig != "" {
		if _, err := os.Stat(env.etcConfig); !errors.Is(err, fs.ErrNotExist) {
			c.path, c.from = env.etcConfig, fromEtc
		}
	}
	return c
}

// describe says in words which configuration was read, as "FR" and
// "EN" formats to give it.
func (c configChoice) describe() (fr, en string) {
	switch {
	case c.path == "" && c.from == fromFlag:
		return "les réglages intégrés (--config " + builtinConfig + ")", "the built-in defaults (--config " + builtinConfig + ")"
	case c.path == "" && c.from == fromEnv:
		return "les réglages intégrés (" + configEnv + "=" + builtinConfig + ")",
			"the built-in defaults (" + configEnv + "=" + builtinConfig + ")"
	case c.path == "":
		return fmt.Sprintf("les réglages intégrés (ni --config, ni %s, ni %s)", configEnv, c.etc),
			fmt.Sprintf("the built-in defaults (no --config, no %s, no %s)", configEnv, c.etc)
	case c.from == fromFlag:
		return c.path + " (--config)", c.path + " (--config)"
	case c.from == fromEnv:
		return c.path + " (" + configEnv + ")", c.path + " (" + configEnv + ")"
	}
	return c.path + " (lu par défaut : ni --config, ni " + configEnv + ")",
		c.path + " (read by default: no --config, no " + configEnv + ")"
}

// load reads the configuration chosen. A file read by default that
// cannot be read says how to choose another.
func (c configChoice) load() (*config.Config, error) {
	cfg, err := config.Load(c.path)
	if err != nil && c.from == fromEtc && errors.Is(err, fs.ErrPermission) {
		return nil, errorf("%s : tacit lit %s quand ni --config ni %s ne nomment un fichier ; "+
			"lancer la commande en root ou sous l'utilisateur du serveur, ou donner --config FILE",
			"%s: tacit reads %s when neither --config nor %s names a file; "+
				"run the command as root or as the server's user, or give --config FILE", err, c.etc, configEnv)
	}
	return cfg, err
}

// refuseNewStore is the error of an admin command whose data directory
// does not exist: opening the store would create a new, empty one, most
// likely not the server's. Only tacit serve creates it (and tacit
// migrate a new store). A PostgreSQL store is never created here.
func refuseNewStore(cfg *config.Config, c configChoice, name string) error {
	if cfg.Storage.Driver == storage.DriverPostgres {
		return nil
	}
	if _, err := os.Stat(cfg.DataDir); !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	dir := cfg.DataDir
	if abs, err := filepath.Abs(dir); err == nil && abs != dir {
		dir += " (" + abs + ")"
	}
	fr, en := c.describe()
	return &bilingual{
		fr: fmt.Sprintf("%s : le dossier de données %s n'existe pas ; data_dir est lu dans %s. "+
			"Cette commande ne crée pas de stockage neuf et vide : donner la configuration du serveur avec --config FILE "+
			"(comme --config %s, ou %s=FILE), ou lancer d'abord tacit serve, qui le crée",
			name, dir, fr, deploy.DefaultConfigPath, configEnv),
		en: fmt.Sprintf("%s: the data directory %s does not exist; data_dir comes from %s. "+
			"This command does not create a new, empty store: give the server's configuration with --config FILE "+
			"(like --config %s, or %s=FILE), or start tacit serve first, which creates it",
			name, dir, en, deploy.DefaultConfigPath, configEnv),
	}
}
