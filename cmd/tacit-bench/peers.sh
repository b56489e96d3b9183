#!/usr/bin/env bash
# peers.sh: tacit side by side with Postfix on this machine.
#
# Run from anywhere inside the tacit module, as root on Debian to get the
# Postfix figures (it installs postfix, "No configuration", if missing):
#
#     bash cmd/tacit-bench/peers.sh
#
# Environment: MEMBERS (default 10000), POSTS (1000), SESSIONS (10), RUNS (3).
#
# It measures:
#   fanout-smtp-sink  tacit fanning one 4 KB post out to MEMBERS members,
#                     relayed to Postfix's smtp-sink (no peer figure: the
#                     sink is the same for both)
#   fanout-alias      tacit (internal sink) against a private Postfix that
#                     expands one virtual alias to MEMBERS addresses and
#                     relays them to tacit-bench's counting sink
#   ingest            tacit-bench ingest (SESSIONS clients) against
#                     smtp-source -s SESSIONS into a private Postfix whose
#                     transport is discard:
# and prints: workload, tacit figure, peer figure, ratio (> 1: tacit is
# faster).
set -euo pipefail

MEMBERS=${MEMBERS:-10000}
POSTS=${POSTS:-1000}
SESSIONS=${SESSIONS:-10}
RUNS=${RUNS:-3}

cd "$(dirname "$0")/../.."
work=$(mktemp -d /tmp/tacit-peers-XXXXXX)
chmod 755 "$work"
pf_conf=""
cleanup() {
	if [[ -n "$pf_conf" ]]; then postfix -c "$pf_conf" stop >/dev/null 2>&1 || true; fi
	if [[ -n "${sink_pid:-}" ]]; then kill "$sink_pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

echo "building tacit and tacit-bench…" >&2
go build -o "$work/tacit" ./cmd/tacit
go build -o "$work/tacit-bench" ./cmd/tacit-bench
bench() { "$work/tacit-bench" --tacit "$work/tacit" --runs "$RUNS" --json "$@" 2>/dev/null; }
# field NAME: a number field of the JSON on stdin.
field() { grep -o "\"$1\": [0-9.e+-]*" | head -1 | awk '{print $2}'; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

have_postfix=no
if ! command -v postconf >/dev/null && [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
	echo "installing postfix…" >&2
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q postfix >&2
fi
if command -v postconf >/dev/null && [[ $(id -u) == 0 ]]; then have_postfix=yes; fi
smtp_sink=$(command -v smtp-sink || echo "$(postconf -h daemon_directory 2>/dev/null)/smtp-sink")
smtp_source=$(command -v smtp-source || echo "$(postconf -h daemon_directory 2>/dev/null)/smtp-source")

rows=()
row() { rows+=("$(printf '%-18s %-22s %-22s %s' "$1" "$2" "$3" "$4")"); }

# 1. tacit relaying to Postfix's smtp-sink.
if [[ $have_postfix == yes && -x $smtp_sink ]]; then
	port=$(free_port)
	"$smtp_sink" -u postfix "127.0.0.1:$port" 1024 >/dev/null 2>&1 &
	sink_pid=$!
	sleep 0.5
	s=$(bench --workload fanout --members "$MEMBERS" --sink "127.0.0.1:$port" | field median_seconds)
	kill "$sink_pid" 2>/dev/null || true
	sink_pid=""
	row "fanout-smtp-sink" "$(printf '%.3f s' "$s")" "-" "-"
else
	row "fanout-smtp-sink" "n/a (no smtp-sink)" "-" "-"
fi

# A private Postfix instance in $work/pf (as cmd/tacit's e2e tests run one).
start_postfix() { # $1: port of tacit-bench's sink
	local d=$work/pf
	pf_conf=$d/etc
	mkdir -p "$pf_conf" "$d/spool"
	chmod 755 "$d" "$pf_conf" "$d/spool"
	pf_port=$(free_port)
	{
		printf 'list@bench.test '
		for ((i = 0; i < MEMBERS; i++)); do
			((i > 0)) && printf ', '
			printf 'm%05d@example.org' "$i"
		done
		printf '\n'
	} >"$pf_conf/virtual"
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
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
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
		cat <<'EOF'
pickup     unix  n - n 60 1 pickup
cleanup    unix  n - n -  0 cleanup
qmgr       unix  n - n 300 1 qmgr
rewrite    unix  - - n -  - trivial-rewrite
bounce     unix  - - n -  0 bounce
defer      unix  - - n -  0 bounce
trace      unix  - - n -  0 bounce
verify     unix  - - n -  1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n -  - proxymap
proxywrite unix  - - n -  1 proxymap
smtp       unix  - - n -  - smtp
relay      unix  - - n -  - smtp
showq      unix  n - n -  - showq
error      unix  - - n -  - error
retry      unix  - - n -  - error
discard    unix  - - n -  - discard
anvil      unix  - - n -  1 anvil
scache     unix  - - n -  1 scache
postlog    unix-dgram n - n - 1 postlogd
EOF
	} >"$pf_conf/master.cf"
	MAIL_CONFIG=$pf_conf postfix -c "$pf_conf" start >&2
	for _ in $(seq 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$pf_port") 2>/dev/null && return 0
		sleep 0.2
	done
	echo "postfix did not start; log:" >&2
	cat "$d/maillog" >&2 || true
	return 1
}

tacit_fan=$(bench --workload fanout --members "$MEMBERS" | field median_seconds)
tacit_ingest=$(bench --workload ingest --posts "$POSTS" --clients "$SESSIONS" | field rate)

if [[ $have_postfix == yes && -x $smtp_source ]]; then
	sport=$(free_port)
	start_postfix "$sport"
	# 2. Postfix alias expansion, RUNS times, median.
	times=()
	for ((r = 0; r < RUNS; r++)); do
		"$work/tacit-bench" --workload sink --listen "127.0.0.1:$sport" --expect "$MEMBERS" --timeout 5m >"$work/sink.out" &
		sink_pid=$!
		sleep 0.3
		t0=$(date +%s.%N)
		"$smtp_source" -l 4096 -m 1 -f poster@example.org -t list@bench.test "127.0.0.1:$pf_port"
		wait "$sink_pid"
		sink_pid=""
		last=$(sed -n 's/.*last=\([0-9.]*\).*/\1/p' "$work/sink.out")
		times+=("$(awk -v a="$t0" -v b="$last" 'BEGIN{printf "%.3f", b-a}')")
	done
	pf_fan=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
	row "fanout-alias" "$(printf '%.3f s' "$tacit_fan")" "$(printf '%.3f s' "$pf_fan")" \
		"$(awk -v t="$tacit_fan" -v p="$pf_fan" 'BEGIN{printf "%.2f", p/t}')"
	# 3. Postfix ingest with smtp-source, SESSIONS sessions.
	rates=()
	for ((r = 0; r < RUNS; r++)); do
		t0=$(date +%s.%N)
		"$smtp_source" -s "$SESSIONS" -m "$POSTS" -l 4096 -f poster@example.org -t x@discard.test "127.0.0.1:$pf_port"
		t1=$(date +%s.%N)
		rates+=("$(awk -v a="$t0" -v b="$t1" -v m="$POSTS" 'BEGIN{printf "%.0f", m/(b-a)}')")
	done
	pf_ingest=$(printf '%s\n' "${rates[@]}" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
	row "ingest" "$(printf '%.0f msgs/s' "$tacit_ingest")" "$pf_ingest msgs/s" \
		"$(awk -v t="$tacit_ingest" -v p="$pf_ingest" 'BEGIN{printf "%.2f", t/p}')"
else
	row "fanout-alias" "$(printf '%.3f s' "$tacit_fan")" "n/a (no Postfix/root)" "-"
	row "ingest" "$(printf '%.0f msgs/s' "$tacit_ingest")" "n/a (no Postfix/root)" "-"
fi

printf '%-18s %-22s %-22s %s\n' workload tacit postfix "ratio (>1: tacit faster)"
printf '%s\n' "${rows[@]}"
echo "members=$MEMBERS posts=$POSTS sessions=$SESSIONS runs=$RUNS (medians)"
