#!/usr/bin/env bash
# The PostgreSQL reference for durable writes: pgbench clients each inserting one event row per transaction
# (the same JSON a question.submit sends, in a jsonb column, with a primary key and one unique index), on a
# private PostgreSQL 15 server on a Unix socket with synchronous_commit=on (every COMMIT waits for its WAL
# flush, as every lmds reply waits for its LMDB commit). Started and stopped here, like Redis.
#   postgres_events.sh JSON_FILE SECONDS CLIENTS...
# Prints one JSON line: {"available": true, "version": ..., "clients": {"1": {"transactionsPerSecond": ...,
# "latencyMsAverage": ...}, "64": {...}}} or {"available": false, "reason": ...}.
set -euo pipefail
json_file="$1"
seconds="$2"
shift 2
bin=/usr/lib/postgresql/15/bin

unavailable() {
  python3 -c 'import json, sys; print(json.dumps({"available": False, "reason": sys.argv[1]}))' "$1"
  exit 0
}
[ -x "$bin/pgbench" ] && [ -x "$bin/initdb" ] || unavailable "PostgreSQL 15 (postgresql-15) is not installed"

# initdb and the server refuse to run as root: run them as the postgres user, in a directory it owns.
as_owner=()
owner="$(id -un)"
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || unavailable "no postgres user to run the server as"
  as_owner=(runuser -u postgres --)
  owner=postgres
fi
cluster="$(mktemp -d /tmp/lmds-bench-postgres.XXXXXX)"
chown "$owner" "$cluster"
chmod 0700 "$cluster"
stop() {
  "${as_owner[@]}" "$bin/pg_ctl" -D "$cluster/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$cluster"
}
trap stop EXIT

"${as_owner[@]}" "$bin/initdb" -D "$cluster/data" --auth=trust -U postgres --no-instructions >"$cluster/initdb.log" 2>&1 \
  || unavailable "initdb failed: $(tail -1 "$cluster/initdb.log")"
# -l: without a log file the server keeps the caller's stdout open and a captured call never returns.
"${as_owner[@]}" "$bin/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w \
  -o "-k $cluster -c listen_addresses='' -c synchronous_commit=on -c fsync=on -c max_connections=100" start >/dev/null \
  || unavailable "the server did not start: $(tail -1 "$cluster/server.log")"

psql=("${as_owner[@]}" "$bin/psql" -h "$cluster" -U postgres -d postgres -v ON_ERROR_STOP=1 -q)
data="$(python3 -c 'import json, sys; print(json.dumps(json.loads(open(sys.argv[1]).readline())))' "$json_file")"
"${psql[@]}" <<SQL
CREATE TABLE sample (data jsonb NOT NULL);
INSERT INTO sample VALUES (\$lmds\$${data}\$lmds\$);
CREATE TABLE events (
  position bigserial PRIMARY KEY,
  event_id uuid NOT NULL,
  type text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  data jsonb NOT NULL
);
CREATE UNIQUE INDEX events_event_id ON events (event_id);
SQL
cat >"$cluster/insert.sql" <<'SQL'
INSERT INTO events (event_id, type, data) VALUES (gen_random_uuid(), 'QuestionSubmitted', (SELECT data FROM sample));
SQL
chown "$owner" "$cluster/insert.sql"
version="$("${psql[@]}" -At -c 'SHOW server_version')"

results=()
for clients in "$@"; do
  threads=$((clients < 2 ? 1 : 2))
  output="$("${as_owner[@]}" "$bin/pgbench" -h "$cluster" -U postgres -n -f "$cluster/insert.sql" \
    -c "$clients" -j "$threads" -T "$seconds" postgres 2>&1)" || unavailable "pgbench failed: $(echo "$output" | tail -1)"
  results+=("$clients" "$(echo "$output" | sed -n 's/^tps = \([0-9.]*\) (without initial connection time)$/\1/p')" \
    "$(echo "$output" | sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p')")
done
rows="$("${psql[@]}" -At -c 'SELECT count(*) FROM events')"
python3 - "$version" "$rows" "${results[@]}" <<'PY'
import json, sys
version, rows, rest = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
clients = {}
for index in range(0, len(rest), 3):
    clients[rest[index]] = {"transactionsPerSecond": float(rest[index + 1]), "latencyMsAverage": float(rest[index + 2])}
print(json.dumps({"available": True, "version": version, "rowsInserted": rows, "synchronousCommit": "on", "clients": clients}))
PY
