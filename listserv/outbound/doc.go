// Package outbound owns the delivery of mail that tacit sends: the durable
// queue runner and the transports that hand messages to the next hop.
//
// The queue itself lives in the store (storage.QueueEntry, indexed by next
// attempt time). Before an attempt the runner persists the entry's next
// attempt time, so a crash during the attempt leaves the entry due again a
// short backoff later; after an attempt it removes the recipients that were
// accepted and records the ones that failed for good, in one transaction.
// What survives a crash: every recipient not yet confirmed by the next hop
// is delivered after restart, at most once more.
//
// Transports: Relay speaks SMTP to a smarthost with go-smtp's client,
// reusing its connections; Maildir writes one file per recipient under
// <dir>/<recipient>/new, atomically.
package outbound
