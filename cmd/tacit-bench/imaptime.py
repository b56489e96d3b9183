#!/usr/bin/env python3
"""imaptime.py: one IMAP timer for tacit and for Dovecot (used by peers.sh).

tacit-bench's imap workload can only talk to the tacit it starts, so
peers.sh times tacit and Dovecot with this script instead, the same code
against both servers:

    imaptime.py time HOST:PORT USER PASSWORD MAILBOX RUNS [EXPECT]
        Logs in, EXAMINEs MAILBOX, runs
            UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE MESSAGE-ID)])
        once to warm up, then RUNS times, with two clients:
          raw      one socket: the command is written, the replies are
                   read until the tagged OK, and the FETCH responses are
                   counted (no parsing beyond that);
          imaplib  Python's imaplib, which parses every response.
        Prints one JSON line: {"raw_ms": [...], "imaplib_ms": [...],
        "raw_median_ms": M, "imaplib_median_ms": M, "messages": N}.
        With EXPECT, fails unless every run returned EXPECT messages.

    imaptime.py export HOST:PORT USER PASSWORD MAILBOX MAILDIR
        Copies every message of MAILBOX (BODY.PEEK[]) into MAILDIR/cur,
        one file per message in UID order, with LF line ends (as a
        maildir holds them), so that another server can serve the very
        same messages.

Only the standard library; no TLS (loopback only).
"""

import imaplib
import json
import os
import re
import socket
import statistics
import sys
import time

FETCH = b"UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE MESSAGE-ID)])"


def hostport(s):
    host, _, port = s.rpartition(":")
    return host, int(port)


def quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Raw:
    """A minimal IMAP client: tagged commands, replies read as bytes."""

    def __init__(self, addr):
        self.sock = socket.create_connection(hostport(addr), timeout=300)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.n = 0
        self.read_line()  # greeting

    def read_line(self):
        while b"\r\n" not in self.buf:
            self.more()
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def more(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise EOFError("connection closed")
        self.buf += chunk

    def command(self, cmd):
        """Sends cmd and returns every byte of the reply, the tagged
        status line included. Literals are skipped by their length, so a
        tag inside a message cannot end the reply early."""
        self.n += 1
        tag = b"R%04d" % self.n
        self.sock.sendall(tag + b" " + cmd + b"\r\n")
        data = bytearray(self.buf)
        self.buf = b""
        pos = 0
        while True:
            end = data.find(b"\r\n", pos)
            if end < 0:
                self.recv_into(data)
                continue
            line = bytes(data[pos:end])
            m = LITERAL.search(line)
            if m:
                # Skip the literal; the response goes on after it.
                need = end + 2 + int(m.group(1))
                while len(data) < need:
                    self.recv_into(data)
                pos = need
                continue
            pos = end + 2
            if line.startswith(tag + b" "):
                self.buf = bytes(data[pos:])
                if not line.startswith(tag + b" OK"):
                    raise RuntimeError(line.decode("utf-8", "replace"))
                return bytes(data[:pos])

    def recv_into(self, data):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise EOFError("connection closed")
        data += chunk


LITERAL = re.compile(rb"\{(\d+)\}$")


def count_fetch(reply):
    return len(re.findall(rb"(?:^|\r\n)\* \d+ FETCH ", reply))


def time_raw(addr, user, password, mailbox, runs):
    c = Raw(addr)
    c.command(b"LOGIN " + quote(user).encode() + b" " + quote(password).encode())
    c.command(b"EXAMINE " + quote(mailbox).encode())
    ms, counts = [], []
    for i in range(runs + 1):
        t = time.perf_counter()
        reply = c.command(FETCH)
        d = (time.perf_counter() - t) * 1000
        if i > 0:  # the first run warms up
            ms.append(d)
            counts.append(count_fetch(reply))
    c.command(b"LOGOUT")
    return ms, counts


def login_imaplib(addr, user, password, mailbox):
    host, port = hostport(addr)
    c = imaplib.IMAP4(host, port, timeout=300)
    c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    typ, _ = c.login(user, password)
    if typ != "OK":
        raise RuntimeError("login: " + typ)
    typ, data = c.select(quote(mailbox), readonly=True)
    if typ != "OK":
        raise RuntimeError("examine: %s %r" % (typ, data))
    return c


def time_imaplib(addr, user, password, mailbox, runs):
    c = login_imaplib(addr, user, password, mailbox)
    ms, counts = [], []
    for i in range(runs + 1):
        t = time.perf_counter()
        typ, data = c.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE MESSAGE-ID)])")
        d = (time.perf_counter() - t) * 1000
        if typ != "OK":
            raise RuntimeError("fetch: %s" % typ)
        if i > 0:
            ms.append(d)
            counts.append(sum(1 for x in data if isinstance(x, tuple)))
    c.logout()
    return ms, counts


def cmd_time(args):
    addr, user, password, mailbox, runs = args[:5]
    runs = int(runs)
    expect = int(args[5]) if len(args) > 5 else None
    raw_ms, raw_n = time_raw(addr, user, password, mailbox, runs)
    lib_ms, lib_n = time_imaplib(addr, user, password, mailbox, runs)
    if expect is not None:
        for n in raw_n + lib_n:
            if n != expect:
                raise SystemExit("imaptime: a FETCH returned %d messages, want %d (raw %r, imaplib %r)"
                                 % (n, expect, raw_n, lib_n))
    print(json.dumps({
        "raw_ms": [round(x, 1) for x in raw_ms],
        "imaplib_ms": [round(x, 1) for x in lib_ms],
        "raw_median_ms": round(statistics.median(raw_ms), 1),
        "imaplib_median_ms": round(statistics.median(lib_ms), 1),
        "messages": raw_n[0],
    }))


def cmd_export(args):
    addr, user, password, mailbox, maildir = args[:5]
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(maildir, sub), exist_ok=True)
    c = login_imaplib(addr, user, password, mailbox)
    typ, data = c.uid("SEARCH", None, "ALL")
    uids = data[0].split()
    base = int(time.time())
    n = 0
    for start in range(0, len(uids), 500):
        chunk = b",".join(uids[start:start + 500]).decode()
        typ, data = c.uid("FETCH", chunk, "(UID BODY.PEEK[])")
        if typ != "OK":
            raise RuntimeError("fetch: %s" % typ)
        for item in data:
            if not isinstance(item, tuple):
                continue
            n += 1
            # Stored with LF line ends, as Dovecot's own delivery does.
            body = item[1].replace(b"\r\n", b"\n")
            name = "%d.M%08dP0.bench,S=%d:2,S" % (base, n, len(body))
            with open(os.path.join(maildir, "cur", name), "wb") as f:
                f.write(body)
    c.logout()
    print(n)


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("time", "export"):
        raise SystemExit(__doc__)
    {"time": cmd_time, "export": cmd_export}[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
