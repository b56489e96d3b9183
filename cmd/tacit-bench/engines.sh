#!/usr/bin/env bash
# engines.sh: tacit on PostgreSQL against tacit on bbolt, on this machine,
# in one run: tacit-bench --workload engines (fan-out, ingest and the
# engine's tick, each on bbolt then on PostgreSQL, and the ratios of
# their rates), against a private PostgreSQL cluster with durability on
# (fsync, synchronous_commit), as a production server would run.
#
# As root on Debian with postgresql installed (its system service is not
# used):
#
#     bash cmd/tacit-bench/engines.sh [tacit-bench flags…]
#
# e.g. --members 10000 --posts 2000 --proposals 2000 --runs 3. The
# cluster lives in a temporary directory, listens on loopback on a free
# port, and is stopped and removed at the end.
set -euo pipefail

PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}
if [[ $(id -u) != 0 || ! -x $PGBIN/postgres ]]; then
	echo "engines.sh: needs root and PostgreSQL's binaries (apt-get install postgresql)" >&2
	exit 2
fi
work=$(mktemp -d /tmp/tacit-engines-XXXXXX)
chown postgres: "$work"
chmod 755 "$work"
pg() { runuser -u postgres -- "$@"; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() {
	pg "$PGBIN/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
pg "$PGBIN/initdb" -D "$work/data" -A trust -U postgres --no-locale -E UTF8 >/dev/null
pg "$PGBIN/pg_ctl" -D "$work/data" -l "$work/postgres.log" -w \
	-o "-p $port -k $work -c listen_addresses=127.0.0.1 -c shared_buffers=256MB -c max_connections=200" start >/dev/null
echo "engines.sh: PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on port $port, fsync and synchronous_commit on"
cd "$(dirname "$0")/../.."
go run ./cmd/tacit-bench --workload engines --pg "host=$work port=$port user=postgres dbname=postgres sslmode=disable" "$@"
