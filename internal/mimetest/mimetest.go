// Package mimetest builds the hostile MIME messages the tests of the
// readers (mailtext, the IMAP archive) share: branches nested thousands
// of levels deep and multiparts of a hundred thousand parts.
package mimetest

import (
	"fmt"
	"strings"
	"time"
)

// Nested builds a message of levels multiparts, each the only part of the
// one above (the message itself the first), around a text/plain part
// reading text; after, when not "", is a text part placed after the
// nested branch, in the message's own multipart.
func Nested(levels int, text, after string) []byte {
	var b strings.Builder
	b.WriteString("From: a@example.test\r\nSubject: deep\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n")
	for i := 1; i < levels; i++ {
		fmt.Fprintf(&b, "--b%d\r\nContent-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n", i-1, i)
	}
	fmt.Fprintf(&b, "--b%d\r\nContent-Type: text/plain\r\n\r\n%s\r\n", levels-1, text)
	for i := levels - 1; i >= 1; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	if after != "" {
		fmt.Fprintf(&b, "--b0\r\nContent-Type: text/plain\r\n\r\n%s\r\n", after)
	}
	b.WriteString("--b0--\r\n")
	return []byte(b.String())
}

// Wide builds a multipart/mixed of n image parts followed by a text part
// reading text; before, when not "", is a text part in front.
func Wide(n int, before, text string) []byte {
	var b strings.Builder
	b.WriteString("From: a@example.test\r\nSubject: wide\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"w\"\r\n\r\n")
	if before != "" {
		fmt.Fprintf(&b, "--w\r\nContent-Type: text/plain\r\n\r\n%s\r\n", before)
	}
	for range n {
		b.WriteString("--w\r\nContent-Type: image/png\r\n\r\nx\r\n")
	}
	fmt.Fprintf(&b, "--w\r\nContent-Type: text/plain\r\n\r\n%s\r\n--w--\r\n", text)
	return []byte(b.String())
}

// Quick is how long the work on one hostile message may take: a second,
// five under the race detector, which slows every step.
func Quick() time.Duration {
	if raceEnabled {
		return 5 * time.Second
	}
	return time.Second
}
