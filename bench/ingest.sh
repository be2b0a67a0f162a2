#!/usr/bin/env bash
# Response ingest over HTTP: form POSTs (token lookup, one answer per token, group commit,
# reply after the durable commit) side by side with GET /healthz on the same server, with
# wrk and 64 connections on loopback, on SQLite (synchronous=FULL) and PostgreSQL.
#
# Usage: bench/ingest.sh [SECONDS] [INVITATIONS]     (defaults: 10 s, 400000)
# Needs: wrk (apt-get install wrk), PostgreSQL on 127.0.0.1:5432 (trust auth, database test).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
invitations="${2:-400000}"
threads="${WRK_THREADS:-4}"
connections=64
export WRK_THREADS="$threads"

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
cargo build --release --quiet --bin ecoute --example ingest_setup
target="${CARGO_TARGET_DIR:-target}/release"
work="$(mktemp -d)"
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wrk_run LABEL ARGS… : prints "rps p99_ms non2xx"
wrk_run() {
  local out
  out="$(wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency "$@")"
  local rps p99 bad
  rps="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
  p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
  bad="$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out")"
  echo "$rps $p99 ${bad:-0}"
}

run_backend() {
  local name="$1" url="$2"
  local tokens="$work/tokens-$name.txt"
  "$target/examples/ingest_setup" invite "$url" programs/fidelite-clients.yaml "$invitations" "$tokens" 2>/dev/null
  local p; p="$(port)"
  "$target/ecoute" serve --database-url "$url" --listen "127.0.0.1:$p" \
    --programs programs/fidelite-clients.yaml 2>"$work/serve-$name.log" &
  server=$!
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$p/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  read -r h_rps h_p99 _ < <(wrk_run "http://127.0.0.1:$p/healthz")
  read -r s_rps s_p99 s_bad < <(TOKENS="$tokens" wrk_run -s bench/ingest.lua "http://127.0.0.1:$p")
  kill "$server"; wait "$server" 2>/dev/null || true
  local stored; stored="$("$target/examples/ingest_setup" count "$url")"
  local ratio; ratio="$(awk -v s="$s_rps" -v h="$h_rps" 'BEGIN {printf "%.2f", s / h}')"
  printf '%-10s healthz %10s rps (p99 %8s) | submit %10s rps (p99 %8s, non-2xx %s) | ratio %s | stored %s\n' \
    "$name" "$h_rps" "$h_p99" "$s_rps" "$s_p99" "$s_bad" "$ratio" "$stored"
  summary+=("$(printf 'BENCH\tingest-%s\t%s\thealthz\t%s\t%s\treq/s' "$name" "$s_rps" "$h_rps" "$ratio")")
}
summary=()

echo "wrk -t$threads -c$connections -d${seconds}s, $(nproc) cores, $invitations invitations per backend"
run_backend sqlite "sqlite://$work/ingest.db"
if pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
  schema="bench_ingest_$$"
  psql -h 127.0.0.1 -U postgres -d test -qc "CREATE SCHEMA $schema" >/dev/null
  run_backend postgres "postgres://postgres@127.0.0.1:5432/test?options[search_path]=$schema"
  psql -h 127.0.0.1 -U postgres -d test -qc "DROP SCHEMA $schema CASCADE" >/dev/null 2>&1
else
  echo "postgres   skipped: no server on 127.0.0.1:5432"
fi
# Summary lines for bench/run (BENCH, name, ecoute, peer name, peer, ratio, unit).
printf '%s\n' "${summary[@]}"
