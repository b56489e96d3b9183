#!/usr/bin/env bash
# peers.sh: tacit side by side with Postfix, mlmmj and Dovecot on this
# machine, in one run, and one table of the results.
#
# Run from anywhere inside the tacit repository, as root on Debian (it
# installs postfix "No configuration", mlmmj and dovecot-imapd when they
# are missing, with services kept from starting during the install):
#
#     bash cmd/tacit-bench/peers.sh
#
# Environment (defaults in brackets):
#   MEMBERS [10000]       members of the list for the fan-out workloads
#   VERP_MEMBERS [1000]   members for the one-transaction-per-member
#                         comparison with mlmmj (mlmmj sends about 23 of
#                         those per second: 10,000 would take 7 minutes a run)
#   POSTS [1000] SESSIONS [10]   ingest: posts per run, parallel clients
#   MESSAGES [10000]      archived messages fetched over IMAP
#   BIG_POST [25000000]   bytes of the post whose fan-out peak RSS is read
#   RUNS [3]              runs of each measurement (at least 3; medians)
#   PEERS_WORKTREE [0]    1: build tacit from the working tree as it is;
#                         default: from the commit HEAD (git archive), so
#                         that the figures belong to one commit
#   KEEP [0]              1: keep the temporary directory
#
# Every server is a private instance in a temporary directory on loopback
# ports picked free at run time: no system configuration is read or
# changed, and every wait is bounded. What is measured:
#
#   fanout      one 4 KB post to MEMBERS members, from the injection (tacit:
#               the SMTP 250; Postfix: smtp-source connecting; mlmmj:
#               mlmmj-receive starting) to the last recipient accepted by
#               tacit-bench's counting sink:
#                 tacit batched (--unsubscribe=false: HTTP off, so no
#                 per-member URL, 100 recipients a transaction) and --verp
#                 (HTTP on: one transaction per member, own envelope
#                 sender and one-click unsubscribe URL); tacit batched into
#                 Postfix's smtp-sink;
#                 Postfix virtual alias expansion (virtual_alias_maps);
#                 Postfix local alias expansion (aliases(5) :include: file,
#                 local(8) forwarding to the remote members);
#                 mlmmj 100 recipients a transaction (control/verp empty,
#                 maxverprecips 100) and one per recipient (no control/verp,
#                 mlmmj's default VERP) for VERP_MEMBERS members
#   ingest      POSTS 4 KB posts from SESSIONS clients reusing their
#               connections, fsync'd before the 250: tacit-bench ingest
#               against smtp-source -s SESSIONS into Postfix (discard:)
#   imap        MESSAGES archived 4 KB posts, steady state (one warm-up
#               run), UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (FROM SUBJECT
#               DATE MESSAGE-ID)]) timed by imaptime.py (a raw socket client
#               and Python's imaplib) against tacit and against Dovecot
#               serving the same messages (copied out of tacit's archive
#               into a maildir); tacit-bench's go-imap figure beside it
#   tick        go test ./listserv -bench BenchmarkTick (1,000 due among
#               100,000 open proposals)
#   rss         peak RSS (VmHWM) of tacit serve fanning a BIG_POST post out
#               to MEMBERS members one transaction per member (VERP and
#               unsubscribe URL), and the largest anonymous and
#               file-backed (the store's mapped pages) RSS sampled meanwhile
#
# The table: workload, system, figure, tacit ÷ peer (times: < 1 means tacit
# is faster; rates: > 1 means tacit is faster), the issue's target and
# whether it is met.
set -euo pipefail

MEMBERS=${MEMBERS:-10000}
VERP_MEMBERS=${VERP_MEMBERS:-1000}
POSTS=${POSTS:-1000}
SESSIONS=${SESSIONS:-10}
MESSAGES=${MESSAGES:-10000}
BIG_POST=${BIG_POST:-25000000}
RUNS=${RUNS:-3}
PEERS_WORKTREE=${PEERS_WORKTREE:-0}
KEEP=${KEEP:-0}
if ((RUNS < 3)); then
	echo "peers.sh: RUNS must be at least 3" >&2
	exit 2
fi

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=$(mktemp -d /tmp/tacit-peers-XXXXXX)
chmod 755 "$work"
mkdir -p "$work/r"
: >"$work/pids"
export TMPDIR=$work/tmp
mkdir -p "$TMPDIR"

log() { echo "peers.sh: $*" >&2; }
# put KEY VALUE records a result; get KEY reads it ("" when missing).
put() { printf '%s\n' "$2" >"$work/r/$1"; }
get() { cat "$work/r/$1" 2>/dev/null || true; }
# track PID: killed at exit if still running.
track() { echo "$1" >>"$work/pids"; }
now() { date +%s.%N; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# median of the numbers on stdin.
median() { sort -g | awk '{a[NR]=$1} END{if (NR==0) exit; if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
# field NAME: a number field of the JSON on stdin.
field() { grep -o "\"$1\": [0-9.e+-]*" | head -1 | awk '{print $2}'; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", b-a}'; }

cleanup() {
	local pid
	while read -r pid; do
		kill "$pid" 2>/dev/null || true
	done <"$work/pids"
	# The sections run in subshells: their instances are named in files.
	if [[ -n "$(get pf_conf)" ]]; then postfix -c "$(get pf_conf)" stop >/dev/null 2>&1 || true; fi
	if [[ -n "$(get dv_conf)" ]]; then dovecot -c "$(get dv_conf)" stop >/dev/null 2>&1 || true; fi
	sleep 1
	if [[ $KEEP == 1 ]]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# ---------------------------------------------------------------- set-up

is_root=no
[[ $(id -u) == 0 ]] && is_root=yes
missing=()
command -v postconf >/dev/null || missing+=(postfix)
[[ -x /usr/bin/mlmmj-receive ]] || missing+=(mlmmj)
command -v dovecot >/dev/null || missing+=(dovecot-imapd)
if ((${#missing[@]} > 0)) && [[ $is_root == yes ]] && command -v apt-get >/dev/null; then
	log "installing ${missing[*]}…"
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	# Keep the packages' system services from starting (they would take
	# ports 25 and 143); only when no policy is in place already.
	made_policy=no
	if [[ ! -e /usr/sbin/policy-rc.d ]]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		made_policy=yes
	fi
	DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -q "${missing[@]}" >&2 || log "apt-get install failed"
	if [[ $made_policy == yes ]]; then rm -f /usr/sbin/policy-rc.d; fi
fi
have_postfix=no
command -v postconf >/dev/null && [[ $is_root == yes ]] && have_postfix=yes
have_mlmmj=no
[[ -x /usr/bin/mlmmj-receive && $is_root == yes ]] && have_mlmmj=yes
have_dovecot=no
command -v dovecot >/dev/null && [[ $is_root == yes ]] && have_dovecot=yes
smtp_sink=$(command -v smtp-sink || echo "$(postconf -h daemon_directory 2>/dev/null)/smtp-sink")
smtp_source=$(command -v smtp-source || echo "$(postconf -h daemon_directory 2>/dev/null)/smtp-source")

commit=$(git -C "$repo" rev-parse HEAD)
src=$work/src
if [[ $PEERS_WORKTREE == 1 ]]; then
	src=$repo
	dirty=$(git -C "$repo" status --porcelain --untracked-files=no | wc -l)
	put commit "$commit + working tree ($dirty files changed)"
else
	mkdir -p "$src"
	git -C "$repo" archive --format=tar HEAD | tar -x -C "$src"
	put commit "$commit"
fi
log "building tacit and tacit-bench at $(get commit)…"
(cd "$src" && go build -o "$work/tacit" ./cmd/tacit && go build -o "$work/tacit-bench" ./cmd/tacit-bench)
bench() { "$work/tacit-bench" --tacit "$work/tacit" --runs "$RUNS" --json "$@"; }

# sink_start EXPECT FILE [PORT [TIMEOUT]]: tacit-bench's counting sink in
# the background until EXPECT recipients arrived (at most TIMEOUT, default
# 15 minutes); sets
# sink_pid, and sink_port once it listens. Not in $(…): it must stay a
# child of this shell.
sink_start() {
	"$work/tacit-bench" --workload sink --listen "127.0.0.1:${3:-0}" --expect "$1" --timeout "${4:-15m}" >"$2" 2>&1 &
	sink_pid=$!
	track "$sink_pid"
	for _ in $(seq 100); do
		sink_port=$(sed -n 's/^sink listening=.*:\([0-9]*\)$/\1/p' "$2")
		[[ -n "$sink_port" ]] && return 0
		sleep 0.1
	done
	log "sink did not start: $(cat "$2")"
	return 1
}
# sink_wait FILE: waits for the sink to end; sets sink_last to the Unix
# time of the last recipient.
sink_wait() {
	wait "$sink_pid" || {
		log "sink: $(cat "$1")"
		return 1
	}
	sink_last=$(sed -n 's/.*last=\([0-9.]*\).*/\1/p' "$1")
}

# section NAME: runs the function NAME in a subshell with errexit, so that
# a failing peer is reported and the others still run.
section() {
	log "── $1"
	set +e
	(
		set -e
		"$1"
	)
	local rc=$?
	set -e
	if ((rc != 0)); then
		log "$1 failed (exit $rc)"
		put "failed_$1" "$rc"
	fi
}

# The instance directory tacit-bench kept under $TMPDIR/$1.
kept_instance() { echo "$TMPDIR/$1"/tacit-bench-*/instance-*; }

# tacit_restart DIR [RELAY]: starts tacit serve on DIR's configuration
# with new free ports for what listens (SMTP; IMAP and HTTP when on), and
# RELAY as its smarthost when given; waits for it to
# listen; sets tacit_pid, tacit_smtp and tacit_imap ("" when off).
tacit_restart() {
	local cfg=$1/tacit.toml
	tacit_smtp=127.0.0.1:$(free_port)
	sed -i "/^\[smtp\]/,/^\[/ s/^listen = .*/listen = \"$tacit_smtp\"/" "$cfg"
	tacit_imap=""
	if sed -n '/^\[imap\]/,/^\[/p' "$cfg" | grep -q '^listen = "1'; then
		tacit_imap=127.0.0.1:$(free_port)
		sed -i "/^\[imap\]/,/^\[/ s/^listen = .*/listen = \"$tacit_imap\"/" "$cfg"
	fi
	if sed -n '/^\[http\]/,/^\[/p' "$cfg" | grep -q '^listen = "1'; then
		sed -i "/^\[http\]/,/^\[/ s/^listen = .*/listen = \"127.0.0.1:$(free_port)\"/" "$cfg"
	fi
	if [[ -n "${2:-}" ]]; then sed -i "s/^relay = .*/relay = \"$2\"/" "$cfg"; fi
	"$work/tacit" --config "$cfg" serve 2>"$1/serve.log" &
	tacit_pid=$!
	track "$tacit_pid"
	for _ in $(seq 300); do
		grep -q 'msg="smtp listening"' "$1/serve.log" && return 0
		sleep 0.1
	done
	log "tacit serve did not start: $(tail -5 "$1/serve.log")"
	return 1
}
tacit_stop() {
	kill -TERM "$tacit_pid" 2>/dev/null || true
	timeout 60 tail --pid="$tacit_pid" -f /dev/null || kill -KILL "$tacit_pid" 2>/dev/null || true
}

# post4k FILE ID: a 4 KB post by m00000@example.org to list@bench.test,
# with the Return-Path and Delivered-To lines that local delivery adds
# (mlmmj reads the envelope sender from Return-Path).
post4k() {
	python3 - "$1" "$2" <<'EOF'
import sys
line = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. \n"
head = ("Return-Path: <m00000@example.org>\nDelivered-To: list@bench.test\n"
        "From: m00000@example.org\nTo: list@bench.test\nSubject: bench %s\n"
        "Message-ID: <%s@bench.example.org>\nDate: Mon, 1 Jan 2026 00:00:00 +0000\n"
        "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n") % (sys.argv[2], sys.argv[2])
open(sys.argv[1], "w").write(head + line * (4096 // len(line)))
EOF
}
# members_file FILE N: m00000@example.org … one a line.
members_file() { awk -v n="$2" 'BEGIN{for (i = 0; i < n; i++) printf "m%05d@example.org\n", i}' >"$1"; }

# ---------------------------------------------------------------- tacit

tacit_fanout() {
	bench --workload fanout --members "$MEMBERS" --unsubscribe=false >"$work/fanout.json" 2>"$work/fanout.log"
	put tacit_fanout "$(field median_seconds <"$work/fanout.json")"
}
tacit_fanout_verp() {
	mkdir -p "$TMPDIR/verp"
	TMPDIR=$TMPDIR/verp bench --workload fanout --members "$MEMBERS" --verp --keep >"$work/verp.json" 2>"$work/verp.log"
	put tacit_verp "$(field median_seconds <"$work/verp.json")"
	if [[ $VERP_MEMBERS != "$MEMBERS" ]]; then
		bench --workload fanout --members "$VERP_MEMBERS" --verp >"$work/verp-small.json" 2>"$work/verp-small.log"
		put tacit_verp_small "$(field median_seconds <"$work/verp-small.json")"
	else
		put tacit_verp_small "$(get tacit_verp)"
	fi
}
tacit_fanout_smtp_sink() {
	[[ $have_postfix == yes && -x $smtp_sink ]] || return 0
	local port
	port=$(free_port)
	"$smtp_sink" -u postfix "127.0.0.1:$port" 1024 >/dev/null 2>&1 &
	local pid=$!
	track "$pid"
	sleep 0.5
	bench --workload fanout --members "$MEMBERS" --unsubscribe=false --sink "127.0.0.1:$port" >"$work/smtp-sink.json" 2>"$work/smtp-sink.log"
	kill "$pid" 2>/dev/null || true
	put tacit_fanout_smtp_sink "$(field median_seconds <"$work/smtp-sink.json")"
}
tacit_ingest() {
	bench --workload ingest --posts "$POSTS" --clients "$SESSIONS" >"$work/ingest.json" 2>"$work/ingest.log"
	put tacit_ingest "$(field rate <"$work/ingest.json")"
}
tacit_tick() {
	(cd "$src" && timeout 900 go test ./listserv -run '^$' -bench '^BenchmarkTick$' -count "$RUNS") >"$work/tick.log" 2>&1
	put tacit_tick "$(awk '/ms\/tick/{for (i = 1; i < NF; i++) if ($(i+1) == "ms/tick") print $i}' "$work/tick.log" | median)"
}

# The archive the IMAP workloads read: tacit-bench's imap workload (its own
# go-imap figure), kept; then tacit serves it again for imaptime.py, which
# also copies it into the maildir Dovecot serves.
tacit_imap() {
	mkdir -p "$TMPDIR/imap"
	TMPDIR=$TMPDIR/imap bench --workload imap --messages "$MESSAGES" --keep >"$work/imap.json" 2>"$work/imap.log"
	put tacit_imap_goimap "$(awk -v s="$(field median_seconds <"$work/imap.json")" 'BEGIN{printf "%.1f", s*1000}')"
	local dir
	dir=$(kept_instance imap)
	local pw
	pw=$("$work/tacit" --config "$dir/tacit.toml" member passwd jardin member00000@example.org)
	tacit_restart "$dir"
	sleep 3 # the IMAP indexer walks the archive once after a start
	timeout 600 python3 "$here/imaptime.py" time "$tacit_imap" member00000@example.org "$pw" jardin "$RUNS" "$MESSAGES" >"$work/imap-tacit.json"
	put tacit_imap_raw "$(field raw_median_ms <"$work/imap-tacit.json")"
	put tacit_imap_lib "$(field imaplib_median_ms <"$work/imap-tacit.json")"
	if [[ $have_dovecot == yes ]]; then
		mkdir -p "$work/dovecot/home/reader"
		timeout 600 python3 "$here/imaptime.py" export "$tacit_imap" member00000@example.org "$pw" jardin \
			"$work/dovecot/home/reader/Maildir" >"$work/export.out"
		log "copied $(cat "$work/export.out") messages into Dovecot's maildir"
	fi
	tacit_stop
}

# peak RSS of tacit serve fanning a BIG_POST-byte post out to MEMBERS
# members (the --verp fan-out instance: one transaction per member, each
# with its own envelope sender and unsubscribe URL; relaying to a new
# counting sink).
tacit_rss() {
	local dir f port
	dir=$(kept_instance verp)
	f=$work/big.eml
	python3 - "$f" "$BIG_POST" <<'EOF'
import sys
line = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. \r\n"
head = ("From: member00000@example.org\r\nTo: jardin@lists.test\r\nSubject: big\r\n"
        "Message-ID: <big@bench.example.org>\r\nDate: Mon, 1 Jan 2026 00:00:00 +0000\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
body = line * ((int(sys.argv[2]) - len(head)) // len(line))
open(sys.argv[1], "w", newline="").write(head + body)
EOF
	sink_start "$MEMBERS" "$work/sink-rss.out"
	tacit_restart "$dir" "127.0.0.1:$sink_port"
	local before sampler
	before=$(awk '/^VmRSS/{print $2}' "/proc/$tacit_pid/status")
	# VmHWM does not tell the anonymous memory from the mapped pages of
	# the store file: sample both every 100 ms, keep the largest.
	(
		ma=0 mf=0
		while [[ -r /proc/$tacit_pid/status ]]; do
			read -r anon file < <(awk '/^RssAnon/{a=$2} /^RssFile/{f=$2} END{print a+0, f+0}' "/proc/$tacit_pid/status" 2>/dev/null || echo 0 0)
			((anon > ma)) && ma=$anon
			((file > mf)) && mf=$file
			echo "$ma $mf" >"$work/rss-sample"
			sleep 0.1
		done
	) &
	sampler=$!
	track "$sampler"
	timeout 300 python3 -c '
import smtplib, sys
host, port = sys.argv[1].rsplit(":", 1)
s = smtplib.SMTP(host, int(port), timeout=300)
s.sendmail("member00000@example.org", ["jardin@lists.test"], open(sys.argv[2], "rb").read())
s.quit()' "$tacit_smtp" "$f"
	local t0
	t0=$(now)
	sink_wait "$work/sink-rss.out"
	put tacit_rss_hwm "$(awk '/^VmHWM/{printf "%.0f", $2/1024}' "/proc/$tacit_pid/status")"
	kill "$sampler" 2>/dev/null || true
	put tacit_rss_anon "$(awk '{printf "%.0f", $1/1024}' "$work/rss-sample")"
	put tacit_rss_file "$(awk '{printf "%.0f", $2/1024}' "$work/rss-sample")"
	put tacit_rss_before "$(awk -v k="$before" 'BEGIN{printf "%.0f", k/1024}')"
	put tacit_rss_seconds "$(sub "$t0" "$sink_last")"
	put tacit_rss_bytes "$(stat -c %s "$f")"
	tacit_stop
}

# ---------------------------------------------------------------- Postfix

# A private Postfix instance in $work/pf: a virtual alias list@bench.test
# and a local alias benchlist@alias.test (aliases(5) in a hash: map built
# by postalias, :include: of the member file; mailbox delivery is an
# error, so nothing leaves $work) both expand to MEMBERS addresses at example.org, routed to the
# counting sink on port $1; discard.test is discarded (ingest).
start_postfix() {
	local d=$work/pf
	pf_conf=$d/etc
	put pf_conf "$pf_conf"
	mkdir -p "$pf_conf" "$d/spool"
	chmod 755 "$d" "$pf_conf" "$d/spool"
	pf_port=$(free_port)
	members_file "$pf_conf/members" "$MEMBERS"
	chmod 644 "$pf_conf/members"
	{
		printf 'list@bench.test '
		paste -sd, "$pf_conf/members" | sed 's/,/, /g'
	} >"$pf_conf/virtual"
	printf 'benchlist: :include:%s\n' "$pf_conf/members" >"$pf_conf/aliases"
	printf 'example.org smtp:[127.0.0.1]:%s\ndiscard.test discard:\n' "$1" >"$pf_conf/transport"
	cat >"$pf_conf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $d/spool
data_directory = $d/data
mail_owner = postfix
setgid_group = postdrop
syslog_name = postfix-tacit-peers
maillog_file = $d/maillog
maillog_file_prefixes = $d
myhostname = mta.postfix.test
mydomain = postfix.test
myorigin = \$myhostname
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination = alias.test
local_recipient_maps =
alias_maps = hash:$pf_conf/aliases
alias_database = hash:$pf_conf/aliases
# Only the alias is delivered locally: nothing reaches a mailbox.
mail_spool_directory = $d/mail
mailbox_transport = error:5.1.1 no mailboxes here
fallback_transport = error:5.1.1 no mailboxes here
allow_mail_to_commands =
allow_mail_to_files =
relayhost =
relay_domains = example.org, discard.test
virtual_alias_domains = bench.test
virtual_alias_maps = texthash:$pf_conf/virtual
virtual_alias_expansion_limit = 1000000
transport_maps = texthash:$pf_conf/transport
default_transport = error:5.1.2 no route
smtp_tls_security_level = none
smtpd_tls_security_level = none
biff = no
append_dot_mydomain = no
smtpd_relay_restrictions = permit_mynetworks, reject
EOF
	{
		echo "127.0.0.1:$pf_port inet n - n - - smtpd"
		cat "$repo/testdata/postfix/master.cf"
	} >"$pf_conf/master.cf"
	postalias -c "$pf_conf" "hash:$pf_conf/aliases"
	MAIL_CONFIG=$pf_conf timeout 60 postfix -c "$pf_conf" start >&2
	for _ in $(seq 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$pf_port") 2>/dev/null && return 0
		sleep 0.2
	done
	log "postfix did not start; log: $(cat "$d/maillog" 2>/dev/null)"
	return 1
}

# pf_fanout RCPT KEY: RUNS fan-outs of one 4 KB message to RCPT, median.
pf_fanout() {
	local times=() r t0
	for ((r = 0; r < RUNS; r++)); do
		sink_start "$MEMBERS" "$work/sink.out" "$sport" 5m
		t0=$(now)
		timeout 60 "$smtp_source" -l 4096 -m 1 -f poster@example.org -t "$1" "127.0.0.1:$pf_port"
		sink_wait "$work/sink.out"
		times+=("$(sub "$t0" "$sink_last")")
		log "$2 run $((r + 1)): ${times[-1]} s"
	done
	put "$2" "$(printf '%s\n' "${times[@]}" | median)"
}
postfix_peers() {
	[[ $have_postfix == yes && -x $smtp_source ]] || return 0
	sport=$(free_port)
	start_postfix "$sport"
	pf_fanout list@bench.test pf_virtual
	pf_fanout benchlist@alias.test pf_local
	local rates=() r t0 t1
	for ((r = 0; r < RUNS; r++)); do
		t0=$(now)
		timeout 600 "$smtp_source" -s "$SESSIONS" -m "$POSTS" -l 4096 -f poster@example.org -t x@discard.test "127.0.0.1:$pf_port"
		t1=$(now)
		rates+=("$(awk -v a="$t0" -v b="$t1" -v m="$POSTS" 'BEGIN{printf "%.0f", m/(b-a)}')")
	done
	put pf_ingest "$(printf '%s\n' "${rates[@]}" | median)"
	postfix -c "$pf_conf" stop >&2
}

# ---------------------------------------------------------------- mlmmj

# ml_run N KEY MODE: a list of N subscribers; MODE batched (control/verp
# empty, maxverprecips 100) or verp (no control/verp: one transaction per
# recipient, mlmmj's default); RUNS posts, median.
ml_run() {
	local n=$1 key=$2 mode=$3 spool=$work/mlmmj
	mkdir -p "$spool"
	printf 'bench.test\npostmaster@bench.test\nen\n' | mlmmj-make-ml -L "$key" -s "$spool" >/dev/null
	local dir=$spool/$key
	echo list@bench.test >"$dir/control/listaddress" # what post4k is sent to
	members_file "$dir/subscribers.d/m" "$n"
	echo 127.0.0.1 >"$dir/control/relayhost"
	if [[ $mode == batched ]]; then
		: >"$dir/control/verp"
		echo 100 >"$dir/control/maxverprecips"
	fi
	local times=() r t0
	for ((r = 0; r < RUNS; r++)); do
		sink_start "$n" "$work/sink-ml.out"
		echo "$sink_port" >"$dir/control/smtpport"
		post4k "$work/ml-post.eml" "$key-$r-$RANDOM"
		t0=$(now)
		/usr/bin/mlmmj-receive -L "$dir" <"$work/ml-post.eml"
		sink_wait "$work/sink-ml.out"
		times+=("$(sub "$t0" "$sink_last")")
		log "$key run $((r + 1)): ${times[-1]} s"
		sleep 1 # let mlmmj-send say QUIT and exit
	done
	put "$key" "$(printf '%s\n' "${times[@]}" | median)"
}
mlmmj_peers() {
	[[ $have_mlmmj == yes ]] || return 0
	ml_run "$MEMBERS" ml_batched batched
	ml_run "$VERP_MEMBERS" ml_verp verp
}

# ---------------------------------------------------------------- Dovecot

# A private Dovecot: own base_dir, state_dir and log, plaintext LOGIN on
# a free loopback port, one passwd-file user whose maildir holds the
# messages tacit archived (copied by tacit_imap).
dovecot_peer() {
	[[ $have_dovecot == yes && -d $work/dovecot/home/reader/Maildir ]] || return 0
	local d=$work/dovecot port
	port=$(free_port)
	mkdir -p "$d/run" "$d/state"
	chmod 755 "$d"
	echo "reader:{PLAIN}secret" >"$d/passwd"
	chmod 644 "$d/passwd"
	chown -R nobody:nogroup "$d/home"
	dv_conf=$d/dovecot.conf
	put dv_conf "$dv_conf"
	cat >"$dv_conf" <<EOF
protocols = imap
listen = 127.0.0.1
base_dir = $d/run
state_dir = $d/state
instance_name = dovecot-tacit-peers
log_path = $d/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
first_valid_uid = 1
last_valid_uid = 0
default_internal_user = dovecot
default_login_user = dovenull
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $d/passwd
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$d/home/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    port = 0
  }
}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
EOF
	timeout 60 dovecot -c "$dv_conf"
	for _ in $(seq 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
		sleep 0.2
	done
	timeout 600 python3 "$here/imaptime.py" time "127.0.0.1:$port" reader secret INBOX "$RUNS" "$MESSAGES" >"$work/imap-dovecot.json"
	put dv_imap_raw "$(field raw_median_ms <"$work/imap-dovecot.json")"
	put dv_imap_lib "$(field imaplib_median_ms <"$work/imap-dovecot.json")"
	put dv_version "$(dovecot --version | awk '{print $1}')"
	dovecot -c "$dv_conf" stop
}

# ---------------------------------------------------------------- runs

section tacit_fanout
section tacit_fanout_verp
section tacit_fanout_smtp_sink
section tacit_ingest
section tacit_tick
section tacit_imap
section tacit_rss
section postfix_peers
section mlmmj_peers
section dovecot_peer

# ---------------------------------------------------------------- table

# row WORKLOAD SYSTEM FIGURE RATIO BETTER TARGET VERDICT
rows=()
row() { rows+=("$(printf '| %s | %s | %s | %s | %s | %s | %s |' "$@")"); }
fmt_s() { [[ -n "$1" ]] && printf '%.3f s' "$1" || printf 'n/a'; }
fmt_ms() { [[ -n "$1" ]] && printf '%.1f ms' "$1" || printf 'n/a'; }
# ratio T P: T ÷ P to two decimals, "-" when either is missing.
ratio() { [[ -n "$1" && -n "$2" ]] && awk -v t="$1" -v p="$2" 'BEGIN{r = t/p; printf (r < 0.1 ? "%.4f" : "%.2f"), r}' || printf -- '-'; }
# verdict VALUE OP LIMIT: met / missed / -.
verdict() {
	[[ -n "$1" && "$1" != "-" ]] || {
		printf -- '-'
		return
	}
	awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN{ok = (op == "<=") ? v <= l : (op == ">=") ? v >= l : v < l; printf ok ? "met" : "**missed**"}'
}

tf=$(get tacit_fanout)
tv=$(get tacit_verp)
tvs=$(get tacit_verp_small)
pv=$(get pf_virtual)
pl=$(get pf_local)
mb=$(get ml_batched)
mv=$(get ml_verp)
row "fanout $MEMBERS, batched (100 rcpt/tx)" tacit "$(fmt_s "$tf")" "" "" "" ""
r=$(ratio "$tf" "$pv")
row "" "Postfix virtual alias" "$(fmt_s "$pv")" "$r" lower "≤ 0.25" "$(verdict "$r" "<=" 0.25)"
r=$(ratio "$tf" "$pl")
row "" "Postfix local alias :include:" "$(fmt_s "$pl")" "$r" lower "≤ 0.25" "$(verdict "$r" "<=" 0.25)"
row "" "mlmmj, maxverprecips 100" "$(fmt_s "$mb")" "$(ratio "$tf" "$mb")" lower "-" "-"
row "" "tacit into Postfix smtp-sink" "$(fmt_s "$(get tacit_fanout_smtp_sink)")" "" "" "" ""
row "fanout $MEMBERS, one tx per member (VERP + unsubscribe URL)" tacit "$(fmt_s "$tv")" "" "" "" ""
r=$(ratio "$tv" "$pv")
row "" "Postfix virtual alias (unpersonalised)" "$(fmt_s "$pv")" "$r" lower "≤ 1.0" "$(verdict "$r" "<=" 1.0)"
r=$(ratio "$tv" "$pl")
row "" "Postfix local alias (unpersonalised)" "$(fmt_s "$pl")" "$r" lower "≤ 1.0" "$(verdict "$r" "<=" 1.0)"
row "fanout $VERP_MEMBERS, one tx per member" tacit "$(fmt_s "$tvs")" "" "" "" ""
row "" "mlmmj, VERP per recipient" "$(fmt_s "$mv")" "$(ratio "$tvs" "$mv")" lower "-" "-"
ti=$(get tacit_ingest)
pi=$(get pf_ingest)
row "ingest $POSTS × 4 KB, $SESSIONS clients" tacit "$([[ -n $ti ]] && printf '%.0f msgs/s' "$ti" || echo n/a)" "" "" "" ""
r=$(ratio "$ti" "$pi")
row "" "Postfix smtpd → queue (smtp-source)" "$([[ -n $pi ]] && printf '%.0f msgs/s' "$pi" || echo n/a)" "$r" higher "≥ 1.0" "$(verdict "$r" ">=" 1.0)"
tr_=$(get tacit_imap_raw)
tl=$(get tacit_imap_lib)
dr=$(get dv_imap_raw)
dl=$(get dv_imap_lib)
row "IMAP header FETCH of $MESSAGES, raw client" tacit "$(fmt_ms "$tr_")" "" "" "" ""
r=$(ratio "$tr_" "$dr")
row "" "Dovecot $(get dv_version)" "$(fmt_ms "$dr")" "$r" lower "≤ 2.0" "$(verdict "$r" "<=" 2.0)"
row "IMAP header FETCH of $MESSAGES, Python imaplib" tacit "$(fmt_ms "$tl")" "" "" "" ""
r=$(ratio "$tl" "$dl")
row "" "Dovecot $(get dv_version)" "$(fmt_ms "$dl")" "$r" lower "≤ 2.0" "$(verdict "$r" "<=" 2.0)"
row "IMAP header FETCH of $MESSAGES (FROM SUBJECT DATE), go-imap" "tacit (tacit-bench)" "$(fmt_ms "$(get tacit_imap_goimap)")" "" "" "" ""
tk=$(get tacit_tick)
row "tick, 1,000 due of 100,000 open" tacit "$(fmt_ms "$tk")" "" lower "< 50 ms" "$(verdict "$tk" "<" 50)"
hwm=$(get tacit_rss_hwm)
big=$(get tacit_rss_bytes)
row "peak RSS, $(awk -v b="${big:-$BIG_POST}" 'BEGIN{printf "%.0f", b/1e6}') MB post to $MEMBERS members, one tx per member" tacit \
	"$([[ -n $hwm ]] && printf '%s MB VmHWM (sampled: anonymous ≤ %s MB, store file mapped ≤ %s MB; %s MB before; fan-out %s s)' "$hwm" "$(get tacit_rss_anon)" "$(get tacit_rss_file)" "$(get tacit_rss_before)" "$(get tacit_rss_seconds)" || echo n/a)" \
	"" lower "< 150 MB" "$(verdict "$hwm" "<" 150)"

echo
echo "| workload | system | figure (median of $RUNS) | tacit ÷ peer | better | target | verdict |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "commit $(get commit); $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg); members=$MEMBERS verp_members=$VERP_MEMBERS posts=$POSTS sessions=$SESSIONS messages=$MESSAGES runs=$RUNS"
failed=""
for f in "$work"/r/failed_*; do
	[[ -e $f ]] && failed+="${f##*/failed_} "
done
if [[ -n "$failed" ]]; then echo "failed sections (see the log): $failed"; fi
