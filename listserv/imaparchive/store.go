package imaparchive

import (
	"tacit/consensus"
	"tacit/storage"
)

// Store is what the archive reads from tacit's store (and the few marks
// it writes: \Seen flags, the envelopes and structures it computes);
// *storage.Store is one.
type Store interface {
	Lists() ([]storage.List, error)
	Member(list, addr string) (storage.Member, error)
	IsMember(list, addr string) (bool, error)
	ArchiveStat(list string) (count int, last uint64, err error)
	ArchiveEntries(list string, after uint64, limit int) ([]storage.ArchiveEntry, error)
	ArchivedMessage(list string, seq uint64) (storage.ArchiveEntry, []byte, error)
	ArchivedBatch(list string, seqs []uint64, headerOnly bool) (map[uint64][]byte, error)
	ArchiveMeta(list string, seq uint64) (blob []byte, ok bool, err error)
	LastArchiveMeta(list string) (uint64, error)
	PutArchiveMeta(list string, seq uint64, blob []byte) error
	ProposalBox(list string, st consensus.Status) ([]storage.BoxEntry, uint32, error)
	Seen(member, mailbox string) (map[uint32]bool, error)
	SetSeen(member, mailbox string, uids []uint32, seen bool) error
}

var _ Store = (*storage.Store)(nil)
