// Package imaparchive serves tacit's list archives to members over IMAP,
// read only, with go-imap v2's imapserver.
//
// It owns the IMAP view of the store: mailbox names, UIDs, the per-member
// \Seen flags and the cached envelope and body structure of each archived
// message. It never changes what a list distributed.
//
// # Logging in
//
// A member logs in with their address (case does not matter) and the
// password set with `tacit member passwd` or the `password` command. The
// password is checked against the bcrypt hash of every membership of that
// address; any match opens the session, which then sees every list the
// address belongs to. On a plaintext connection that does not come from a
// loopback address, CAPABILITY says LOGINDISABLED (and no AUTH=) and
// LOGIN or AUTHENTICATE is refused with [PRIVACYREQUIRED], until
// STARTTLS, offered when Options.TLS is set (listen.go). ServeTLS serves
// the same archive over TLS from the first byte (IMAPS).
//
// Failed logins are counted in memory per (address, client) and per
// client, a client being an IPv4 address or an IPv6 /64, over 15 minutes.
// Past the limit (5 per address and client, 20 per client by default)
// that client's attempts, even right ones, get NO [UNAVAILABLE] until the
// window moves on: a stranger's guesses never lock the member out from
// elsewhere. A success clears the failures of its address and client. At
// most 2 password checks run at once for one address, and 8 for one
// client; an attempt beyond gets NO [UNAVAILABLE] at once, unchecked and
// uncounted. The tables hold at most 100,000 entries each, the oldest
// going first (see login.go).
//
// # Mailboxes
//
// For each list the member belongs to, with NAME the list's local part (or
// its full address when two of the member's lists share a local part; the
// full address is always accepted as an alias):
//
//	NAME                        every archived message (distributed posts and notices)
//	NAME/Archive                \Noselect parent, only when the archive is sliced
//	NAME/Archive/1, /2, …       older slices of 50,000 archive positions each
//	NAME/Proposals              \Noselect parent
//	NAME/Proposals/Open         the posts of the proposals in that status
//	NAME/Proposals/Adopted
//	NAME/Proposals/Blocked
//	NAME/Proposals/Withdrawn
//	NAME/Proposals/Rejected     (docs/meetings.md: a meeting decided against it)
//
// In NAME and its Archive slices the UID of a message is its position in
// the list's archive (storage.ArchiveEntry.Seq) and UIDVALIDITY is the
// list's creation time in Unix seconds (1 when unknown). Archives are
// sliced by position, so that a message never changes UID: with L the last
// position given, when L > 50,000, NAME/Archive/k holds positions
// (k-1)·50,000+1 … k·50,000 for k = 1 … ⌊(L-1)/50,000⌋, and NAME holds the
// positions after the last full slice. A session that has NAME selected
// keeps its lower bound until it selects again; a new SELECT sees the
// messages of a finished slice in NAME/Archive/k instead. Deleted archive
// entries leave holes, answered as EXPUNGE to selected sessions.
//
// The proposal mailboxes take their UIDs from storage.ProposalBox: a post
// that changes status leaves its old mailbox (EXPUNGE) and appears in the
// new one with a new UID there. Their UIDVALIDITY is the list's plus 1
// (Open), 2 (Adopted), 3 (Blocked), 4 (Withdrawn) or 5 (Rejected); a
// status added later takes the next offset, so that no mailbox's
// UIDVALIDITY ever changes. A proposal settled at a meeting moves like
// any other: adopted there, to Adopted; rejected, to Rejected; postponed,
// nowhere, since its status does not change.
//
// A proposal mailbox holds one message per proposal: its post, the bytes
// the list distributed when the proposal opened. For an amended proposal
// that is its first version, with the first deadline in X-Tacit-Deadline;
// an amendment reopens the proposal, so its post moves back to Open. The
// amendments themselves and every notice of the list about the proposal
// ([RAPPEL], [BLOQUÉE], [ADOPTÉE], [AMENDÉE], [REJETÉE], …) are in NAME
// only, threaded to the post by In-Reply-To and References: a client that
// threads NAME shows the current text and deadline under the post. The
// proposal mailboxes are filed from storage.Outgoing.ProposalPost, not
// from the store's thread links (storage.ThreadLink).
//
// Everything is read only: CREATE, DELETE, RENAME, APPEND, COPY, MOVE,
// EXPUNGE and STORE of any flag but \Seen answer NO [NOPERM]; CLOSE
// works and expunges nothing; SUBSCRIBE and UNSUBSCRIBE succeed and change
// nothing (every mailbox is listed as subscribed). SELECT offers
// PERMANENTFLAGS (\Seen); EXAMINE offers none and refuses STORE. There is no
// INBOX.
//
// Every command re-checks that the member still belongs to the list of the
// mailbox it names or has selected. A member removed from a list no longer
// sees its mailboxes; a session that has one of them selected is closed
// with BYE at its next command, poll or IDLE tick. New messages, moved
// proposals and deleted entries are noticed on NOOP (and after every
// command) and every second while idling, by reading the store: the
// engine writes the store, never this package.
//
// # On disk
//
// This package keeps two things in the store, both rebuildable:
//   - the \Seen flags of each member, through storage.SetSeen, under the
//     mailbox key "<list address>" for the archive (shared by NAME and its
//     slices, whose UIDs are the same positions) and
//     "<list address>/Proposals/<Status>" for a proposal mailbox;
//   - per archived message, through storage.PutArchiveMeta, a JSON blob
//     (see meta) with its exact size, header length, envelope and body
//     structure, computed from the distributed bytes the first time a
//     client needs one of them and written in the background. Losing it
//     costs one recomputation; a blob of an older format, or one beyond
//     the bounds below (kept by a version without them), is recomputed.
//
// Login failure counts live in memory only and are lost on restart.
//
// # Bounded work
//
// Nothing a sender writes makes the work on one message more than linear
// in its size (docs/security.md); each bound below has a test:
//   - MIME is read to mailtext.MaxDepth (50) levels and mailtext.MaxParts
//     (1,000) parts, the message itself counted, for the stored body
//     structure and for SEARCH, as mailtext reads it for the grammar. A
//     multipart or message/rfc822 at level 50 is described as an
//     application/octet-stream part of its bytes; parts after the 1,000th
//     are left out of their multipart. The message is archived and served
//     whole (BODY[], BODY[TEXT], RFC822.SIZE); a section naming more than
//     50 part numbers, or a part number above 1,000, is empty.
//   - A message's own header is read to its first MB (mailtext.MaxHeader)
//     for the envelope, the structure, HEADER.FIELDS and SEARCH; BODY[HEADER]
//     is served whole. HEADER.FIELDS is picked in one pass.
//   - SEARCH reads each message once per command, whatever the number of
//     criteria: the first 1,000 header fields and 4 MB of decoded text.
//   - The indexer, and a FETCH that computes a structure, give up as soon
//     as the server closes; Close waits five seconds at most in all.
//
// The parts of a multipart are read through go-message, whose part headers
// have no bound of their own: their cost is linear in the message's size.
package imaparchive
