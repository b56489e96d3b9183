#!/usr/bin/env bash
# relays.sh: tacit delivering through one Postfix that spreads the copies
# over several relays with weights (docs/scaling.md).
#
# tacit has one smarthost ([delivery] relay = "host:port"). To deliver
# through a fleet, that smarthost is a Postfix whose default transport is
# picked at random, per message, from a randmap: table in which each relay
# appears as many times as its weight. This script measures that set-up on
# loopback, as root on Debian (Postfix installed as by peers.sh):
#
#     bash cmd/tacit-bench/relays.sh
#
# Environment: MEMBERS [10000], WEIGHTS ["3 2 1"] (one relay per weight),
# RUNS [3], FRONT_MAIN_CF [""] (lines added to the front Postfix's
# main.cf, e.g. "in_flow_delay = 0"). The relays are Postfix's smtp-sink
# on free loopback ports. KEEP=1 keeps the temporary directory (Postfix's
# log is pf/maillog).
#
# Two modes: batched (tacit-bench --unsubscribe=false: 100 recipients per
# transaction) and personalised (--verp with the one-click unsubscribe
# URL: one transaction, so one Postfix queue file, per member). For each:
# tacit's fan-out time into the front Postfix (tacit-bench, from the 250
# to the last recipient accepted by Postfix, median of RUNS); the largest
# and median delay= Postfix logged for a recipient (its arrival in
# Postfix's queue to a relay's 250); and how many recipients each relay
# got against its weight's share. The figures belong to the commit HEAD
# (built with git archive, as peers.sh does).
set -euo pipefail

MEMBERS=${MEMBERS:-10000}
WEIGHTS=${WEIGHTS:-3 2 1}
RUNS=${RUNS:-3}
FRONT_MAIN_CF=${FRONT_MAIN_CF:-}

if [[ $(id -u) != 0 ]] || ! command -v postconf >/dev/null; then
	echo "relays.sh: needs root and Postfix (run peers.sh once to install it)" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=$(mktemp -d /tmp/tacit-relays-XXXXXX)
chmod 755 "$work"
export TMPDIR=$work/tmp
mkdir -p "$TMPDIR"
pids=()
pf_conf=""
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	if [[ -n "$pf_conf" ]]; then postfix -c "$pf_conf" stop >/dev/null 2>&1 || true; fi
	if [[ ${KEEP:-0} == 1 ]]; then echo "relays.sh: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
smtp_sink=$(command -v smtp-sink || echo "$(postconf -h daemon_directory 2>/dev/null)/smtp-sink")

commit=$(git -C "$repo" rev-parse HEAD)
mkdir -p "$work/src"
git -C "$repo" archive --format=tar HEAD | tar -x -C "$work/src"
(cd "$work/src" && go build -o "$work/tacit" ./cmd/tacit && go build -o "$work/tacit-bench" ./cmd/tacit-bench)

# The relays, and the randmap: entries (each relay repeated by its weight).
ports=()
entries=()
for w in $WEIGHTS; do
	p=$(free_port)
	"$smtp_sink" -u postfix "127.0.0.1:$p" 1024 >/dev/null 2>&1 &
	pids+=($!)
	ports+=("$p")
	for ((i = 0; i < w; i++)); do entries+=("smtp:[127.0.0.1]:$p"); done
done
randmap="randmap:{$(
	IFS=,
	echo "${entries[*]}"
)}"

# The front Postfix: relays for 127.0.0.0/8, no local domains; mail to
# any domain goes through default_transport, overridden per message by
# the randmap.
d=$work/pf
pf_conf=$d/etc
mkdir -p "$pf_conf" "$d/spool"
chmod 755 "$d" "$pf_conf" "$d/spool"
front=$(free_port)
cat >"$pf_conf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $d/spool
data_directory = $d/data
mail_owner = postfix
setgid_group = postdrop
syslog_name = postfix-tacit-relays
maillog_file = $d/maillog
maillog_file_prefixes = $d
myhostname = front.postfix.test
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
relay_domains =
relayhost =
smtpd_relay_restrictions = permit_mynetworks, reject
default_transport = smtp
sender_dependent_default_transport_maps = $randmap
smtp_tls_security_level = none
smtpd_tls_security_level = none
biff = no
append_dot_mydomain = no
$FRONT_MAIN_CF
EOF
{
	echo "127.0.0.1:$front inet n - n - - smtpd"
	cat "$repo/testdata/postfix/master.cf"
} >"$pf_conf/master.cf"
timeout 60 postfix -c "$pf_conf" start >&2
for _ in $(seq 50); do
	(exec 3<>"/dev/tcp/127.0.0.1/$front") 2>/dev/null && break
	sleep 0.2
done

# run_mode NAME FLAGS…: RUNS fan-outs of tacit into the front Postfix,
# then a wait (at most 5 minutes) for Postfix to hand everything on; the
# Postfix log lines of this mode are kept in $work/NAME.log.
run_mode() {
	local name=$1 from
	shift
	from=$(($(wc -l <"$d/maillog") + 1))
	"$work/tacit-bench" --tacit "$work/tacit" --workload fanout --members "$MEMBERS" --runs "$RUNS" \
		--sink "127.0.0.1:$front" --timeout 10m --json "$@" >"$work/$name.json" 2>"$work/$name.err"
	for _ in $(seq 3000); do
		[[ -z "$(find "$d/spool/incoming" "$d/spool/active" "$d/spool/deferred" "$d/spool/maildrop" -type f 2>/dev/null | head -1)" ]] && break
		sleep 0.1
	done
	sleep 1
	tail -n "+$from" "$d/maillog" >"$work/$name.log"
}
# report NAME WHAT: the figures of one mode.
report() {
	local name=$1 total=$((MEMBERS * RUNS)) wsum=0 w i=0 sent=0 n p tacit_s delays
	for w in $WEIGHTS; do wsum=$((wsum + w)); done
	tacit_s=$(grep -o '"median_seconds": [0-9.e+-]*' "$work/$name.json" | awk '{print $2}')
	echo "### $2"
	echo
	echo "| relay | weight | recipients | share | weight's share |"
	echo "|---|---|---|---|---|"
	for w in $WEIGHTS; do
		p=${ports[$i]}
		n=$(grep -c "relay=127.0.0.1\[127.0.0.1\]:$p,.*status=sent" "$work/$name.log" || true)
		sent=$((sent + n))
		awk -v p="$p" -v w="$w" -v n="$n" -v t="$total" -v s="$wsum" \
			'BEGIN{printf "| 127.0.0.1:%s | %d | %d | %.1f %% | %.1f %% |\n", p, w, n, 100*n/t, 100*w/s}'
		i=$((i + 1))
	done
	echo
	delays=$(grep 'status=sent' "$work/$name.log" | sed -n 's/.* delay=\([0-9.]*\),.*/\1/p' | sort -g)
	echo "- messages the front Postfix accepted: $(grep -c 'smtpd.*: client=' "$work/$name.log" || true) for $RUNS posts"
	echo "- recipients it sent on: $sent of $total; deferred or bounced: $(grep -c 'status=\(deferred\|bounced\)' "$work/$name.log" || true)"
	echo "- tacit → front Postfix: $(printf '%.3f' "$tacit_s") s for $MEMBERS recipients (median of $RUNS; tacit-bench, from tacit's log)"
	echo "- front Postfix → relays, delay= per recipient: median $(awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}' <<<"$delays") s, largest $(tail -1 <<<"$delays") s"
	echo
}

# Batched: no personalisation (HTTP off, no VERP), 100 recipients per
# transaction. Personalised: VERP and a one-click unsubscribe URL per
# member, one transaction per member.
run_mode batched --unsubscribe=false
run_mode personal --verp
report batched "batched (100 recipients per transaction)"
report personal "one transaction per member (VERP, one-click unsubscribe URL)"
echo "commit $commit; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg); Postfix $(postconf -c "$pf_conf" -h mail_version); weights $WEIGHTS; randmap $randmap${FRONT_MAIN_CF:+; front main.cf + \"$FRONT_MAIN_CF\"}"
