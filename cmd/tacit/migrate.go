package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"tacit/storage"
)

// runMigrate copies a whole store from one engine to another (or to a
// new file or database of the same engine), then compares the two
// stores bucket by bucket and prints the comparison.
func runMigrate(c *cli, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	from := fs.String("from", "", "the store to read: bbolt:PATH or postgres:DSN")
	to := fs.String("to", "", "the store to write, new or empty: bbolt:PATH or postgres:DSN")
	if err := parseLocal(fs, args); err != nil {
		return err
	}
	if *from == "" || *to == "" {
		return errorf("migrate : --from et --to sont nécessaires tous les deux (bbolt:PATH ou postgres:DSN)",
			"migrate: --from and --to are both needed (bbolt:PATH or postgres:DSN)")
	}
	srcPath, srcOpts, err := storeLocation(*from)
	if err != nil {
		return fmt.Errorf("migrate: --from: %w", err)
	}
	dstPath, dstOpts, err := storeLocation(*to)
	if err != nil {
		return fmt.Errorf("migrate: --to: %w", err)
	}
	srcOpts.ReadOnly = true
	src, err := storage.Open(srcPath, srcOpts)
	if err != nil {
		return fmt.Errorf("migrate: the source: %w", err)
	}
	defer src.Close()
	if err := src.CopyTo(dstPath, dstOpts); err != nil {
		if errors.Is(err, storage.ErrNotEmpty) {
			return errorf("migrate : %s contient déjà un stockage : rien n'a été copié (donner un nouveau fichier ou une base vide)",
				"migrate: %s already holds a store: nothing was copied (give a new file or an empty database)", *to)
		}
		return fmt.Errorf("migrate: %w", err)
	}
	dst, err := storage.Open(dstPath, dstOpts)
	if err != nil {
		return fmt.Errorf("migrate: the copy: %w", err)
	}
	defer dst.Close()
	fmt.Fprintf(c.stdout, "copied %s\n    to %s\n\n", src.Path(), dst.Path())
	return compareStores(c.stdout, src, dst)
}

// storeLocation reads bbolt:PATH, postgres:DSN, or a bare postgres://
// URL.
func storeLocation(s string) (string, storage.Options, error) {
	switch {
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		return "", storage.Options{Driver: storage.DriverPostgres, DSN: s}, nil
	case strings.HasPrefix(s, storage.DriverPostgres+":"):
		return "", storage.Options{Driver: storage.DriverPostgres, DSN: strings.TrimPrefix(s, storage.DriverPostgres+":")}, nil
	case strings.HasPrefix(s, storage.DriverBolt+":") && len(s) > len(storage.DriverBolt)+1:
		return strings.TrimPrefix(s, storage.DriverBolt+":"), storage.Options{Driver: storage.DriverBolt}, nil
	}
	return "", storage.Options{}, errorf("%q : écrire bbolt:PATH ou postgres:DSN", "%q: write bbolt:PATH or postgres:DSN", s)
}

// The buckets that hold what a user checks first after a migration: the
// lists, their members, the proposals, the archive and the queue. They
// come first in the comparison; every other bucket follows.
var firstBuckets = []string{"lists", "members", "proposals", "archive", "queue"}

// compareStores prints, for each bucket of either store, its keys in
// each and whether their content is the same; an error if any differs.
func compareStores(w io.Writer, src, dst *storage.Store) error {
	a, err := src.Summarize()
	if err != nil {
		return fmt.Errorf("migrate: compare: %w", err)
	}
	b, err := dst.Summarize()
	if err != nil {
		return fmt.Errorf("migrate: compare: %w", err)
	}
	from, to := map[string]storage.BucketSummary{}, map[string]storage.BucketSummary{}
	var names []string
	for _, s := range a {
		from[s.Name] = s
		names = append(names, s.Name)
	}
	for _, s := range b {
		if _, ok := from[s.Name]; !ok {
			names = append(names, s.Name)
		}
		to[s.Name] = s
	}
	order := append([]string(nil), firstBuckets...)
	for _, n := range names {
		if !slices.Contains(firstBuckets, n) {
			order = append(order, n)
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "bucket\tkeys (from)\tkeys (to)\tcontent")
	differ := 0
	for _, n := range order {
		x, inA := from[n]
		y, inB := to[n]
		if !inA && !inB {
			continue
		}
		verdict := "same"
		if !inA || !inB || x.Keys != y.Keys || x.Hash != y.Hash {
			verdict, differ = "DIFFERENT", differ+1
		}
		fmt.Fprintf(tw, "%s\t%11d\t%9d\t%s\n", n, x.Keys, y.Keys, verdict)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if differ > 0 {
		return fmt.Errorf("migrate: %d bucket(s) differ between the two stores", differ)
	}
	fmt.Fprintf(w, "\nthe %d buckets are the same in both stores (keys, values and sequences)\n", len(order))
	return nil
}
