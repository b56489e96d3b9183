package kv

import "context"

// Locker is implemented by engines that several processes share at once
// (a database several tacit nodes use): it locks a name across all of
// them. An engine that one process holds (bbolt) has none; the store
// then locks in-process.
type Locker interface {
	// Exclusive runs fn holding the lock name, across every process
	// using the same store, and releases it when fn returns. It returns
	// fn's error, or why the lock could not be taken (ctx ended, the
	// store unavailable), in which case fn did not run.
	Exclusive(ctx context.Context, name string, fn func() error) error
	// Shared reports whether other processes may use the store at the
	// same time.
	Shared() bool
}
