#!/usr/bin/env bash
# pg-scale.sh: the archive of storage's BenchmarkArchiveMillion, held by
# PostgreSQL instead of bbolt, with and without a synchronous streaming
# replica (docs/scaling.md: what a multi-node tacit would stand on).
#
# As root on Debian with postgresql-15 installed (apt-get install
# postgresql-15; its system service is not used):
#
#     bash cmd/tacit-bench/pg-scale.sh
#
# Environment: MESSAGES [1000000] archived in the bulk run, CLIENTS [64]
# concurrent writers (as the benchmark's 256 goroutines share bbolt's
# group commit, these share PostgreSQL's WAL flushes), REPL_MESSAGES
# [100000] for the replication comparison.
#
# A private cluster (initdb in a temporary directory, loopback, a free
# port, its socket in that directory) holds two tables shaped like the
# store's buckets: messages (envelope as jsonb, raw bytes of about 1 KB)
# and archive (list, seq, message id, author, subject, the rewritten
# header of about 700 bytes, the IMAP layer's 600-byte blob). Each
# message is two committed transactions, as in tacit: the receive (before
# the 250) and the archive entry. pgbench drives the load; psql times the
# readers the IMAP archive needs: the newest page of 50, the newest 50
# headers, a count of the archive, and a full walk in pages of 1,000.
# Then a second cluster is made a synchronous streaming replica
# (pg_basebackup, synchronous_standby_names = '*') and REPL_MESSAGES more
# messages are timed with the replica and without it. Every wait is
# bounded.
set -euo pipefail

MESSAGES=${MESSAGES:-1000000}
CLIENTS=${CLIENTS:-64}
REPL_MESSAGES=${REPL_MESSAGES:-100000}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

if [[ $(id -u) != 0 || ! -x $PGBIN/postgres ]]; then
	echo "pg-scale.sh: needs root and $PGBIN (apt-get install postgresql-15)" >&2
	exit 2
fi
work=$(mktemp -d /tmp/tacit-pg-XXXXXX)
chown postgres: "$work"
chmod 755 "$work"
pg() { runuser -u postgres -- "$@"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
started=()
cleanup() {
	local d
	for d in "${started[@]}"; do pg "$PGBIN/pg_ctl" -D "$d" -m immediate stop >/dev/null 2>&1 || true; done
	rm -rf "$work"
}
trap cleanup EXIT
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.3f", b-a}'; }

primary=$work/primary
port=$(free_port)
pg "$PGBIN/initdb" -D "$primary" -A trust -U postgres --no-locale -E UTF8 >/dev/null
cat >>"$primary/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$work'
max_connections = 200
shared_buffers = 512MB
max_wal_size = 8GB
wal_level = replica
max_wal_senders = 4
synchronous_commit = on
fsync = on
EOF
echo "host replication postgres 127.0.0.1/32 trust" >>"$primary/pg_hba.conf"
pg "$PGBIN/pg_ctl" -D "$primary" -l "$work/primary.log" -w -t 120 start >/dev/null
started+=("$primary")
psql() { pg "$PGBIN/psql" -X -q -h "$work" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"; }

psql <<'EOF'
CREATE TABLE messages (id bigserial PRIMARY KEY, env jsonb NOT NULL, raw bytea NOT NULL);
CREATE TABLE archive (list text NOT NULL, seq bigint NOT NULL, message_id bigint NOT NULL,
  at timestamptz NOT NULL, author text NOT NULL, subject text NOT NULL,
  header bytea NOT NULL, body_offset int NOT NULL, meta bytea,
  PRIMARY KEY (list, seq));
CREATE SEQUENCE archive_seq;
EOF

# One message: its receive and its archive entry, two transactions. The
# bytes are md5 digests, so that nothing compresses better than mail.
cat >"$work/archive.sql" <<'EOF'
\set i random(1, 1000000000)
BEGIN;
INSERT INTO messages (env, raw) VALUES (
  jsonb_build_object('from', 'poster@example.org', 'to', jsonb_build_array('jardin@lists.test'),
    'remote_addr', '127.0.0.1:25000', 'helo', 'client.example.org', 'received_at', now()),
  convert_to(repeat(md5(:i::text) || md5((:i + 1)::text), 16), 'UTF8')) RETURNING id AS mid \gset
END;
BEGIN;
INSERT INTO archive VALUES ('jardin@lists.test', nextval('archive_seq'), :mid, now(), 'poster@example.org',
  'Compost rota, week ' || :i,
  convert_to(repeat(md5((:i + 2)::text), 22), 'UTF8'), 400,
  convert_to(repeat(md5((:i + 3)::text), 19), 'UTF8'));
END;
EOF
chown postgres: "$work/archive.sql"

# load N: N messages from CLIENTS clients; prints the seconds.
load() {
	local per=$(($1 / CLIENTS)) t0
	t0=$(now)
	timeout 7200 runuser -u postgres -- "$PGBIN/pgbench" -n -h "$work" -p "$port" -U postgres \
		-c "$CLIENTS" -j 2 -t "$per" -f "$work/archive.sql" postgres >"$work/pgbench.out" 2>&1 || {
		cat "$work/pgbench.out" >&2
		return 1
	}
	since "$t0"
}
# timed SQL: in one session, the statement once to warm up, then 5 times;
# the median of the 5, in ms (psql's \timing: the round trip to the server).
timed() {
	{
		printf '%s\n' '\timing on'
		for _ in 1 2 3 4 5 6; do echo "$1;"; done
	} | psql -o /dev/null 2>/dev/null | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -5 |
		sort -g | awk '{a[NR]=$1} END{print a[3]}'
}

echo "archiving $MESSAGES messages from $CLIENTS clients…" >&2
bulk=$(load "$MESSAGES")
n=$(psql -At -c "SELECT count(*) FROM archive")
echo "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}'), commit $(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null || echo -), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| measure | figure |"
echo "|---|---|"
echo "| messages archived | $n in $bulk s ($(awk -v n="$n" -v s="$bulk" 'BEGIN{printf "%.0f", n/s}') msgs/s, 2 commits each, $CLIENTS clients) |"
psql -At -F ' ' -c "SELECT pg_database_size('postgres'), pg_total_relation_size('messages'), pg_total_relation_size('archive'),
  (SELECT sum(size) FROM pg_ls_waldir())" | awk -v n="$n" '{
  printf "| database size | %.2f GB (%.0f bytes per message) |\n", $1/1e9, $1/n
  printf "| messages table (with TOAST, index) | %.2f GB |\n", $2/1e9
  printf "| archive table (with TOAST, index) | %.2f GB |\n", $3/1e9
  printf "| WAL directory | %.2f GB |\n", $4/1e9 }'
last=$(psql -At -c "SELECT max(seq) FROM archive WHERE list = 'jardin@lists.test'")
echo "| newest page of 50 (warm, median of 5) | $(timed "SELECT seq, message_id, at, author, subject FROM archive WHERE list = 'jardin@lists.test' AND seq > $((last - 50)) ORDER BY seq LIMIT 50") ms |"
echo "| newest 50 headers (warm) | $(timed "SELECT seq, header FROM archive WHERE list = 'jardin@lists.test' AND seq > $((last - 50)) ORDER BY seq") ms |"
echo "| count of the archive (warm) | $(timed "SELECT count(*) FROM archive WHERE list = 'jardin@lists.test'") ms |"
t0=$(now)
psql -o /dev/null <<EOF
DO \$\$
DECLARE after bigint := 0; got bigint;
BEGIN
  LOOP
    SELECT max(seq), count(*) INTO after, got FROM (SELECT seq FROM archive
      WHERE list = 'jardin@lists.test' AND seq > after ORDER BY seq LIMIT 1000) p;
    EXIT WHEN got = 0;
  END LOOP;
END \$\$;
EOF
echo "| full walk in pages of 1,000 (keys only) | $(since "$t0") s |"
t0=$(now)
pg "$PGBIN/pg_ctl" -D "$primary" -m fast -w -t 300 restart -l "$work/primary.log" >/dev/null
echo "| restart (fast shutdown, checkpoint, start) | $(since "$t0") s |"

# The replication comparison.
replica=$work/replica
rport=$(free_port)
pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$port" -U postgres -D "$replica" -R -X stream >/dev/null
sed -i "s/^port = .*/port = $rport/" "$replica/postgresql.conf"
pg "$PGBIN/pg_ctl" -D "$replica" -l "$work/replica.log" -w -t 300 start >/dev/null
started+=("$replica")
alone=$(load "$REPL_MESSAGES")
psql -c "ALTER SYSTEM SET synchronous_standby_names = '*'" -c "SELECT pg_reload_conf()" >/dev/null
sleep 2
state=$(psql -At -c "SELECT sync_state FROM pg_stat_replication")
synced=$(load "$REPL_MESSAGES")
echo "| $REPL_MESSAGES more, asynchronous replica | $alone s ($(awk -v n="$REPL_MESSAGES" -v s="$alone" 'BEGIN{printf "%.0f", n/s}') msgs/s) |"
echo "| $REPL_MESSAGES more, synchronous replica ($state) | $synced s ($(awk -v n="$REPL_MESSAGES" -v s="$synced" 'BEGIN{printf "%.0f", n/s}') msgs/s) |"
