//go:build !race

package mailtext

const raceEnabled = false
