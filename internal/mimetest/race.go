//go:build race

package mimetest

const raceEnabled = true
