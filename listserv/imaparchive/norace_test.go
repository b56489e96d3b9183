//go:build !race

package imaparchive

const raceEnabled = false
