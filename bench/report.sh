#!/usr/bin/env bash
# Report speed at scale (issue 6): N NPS/CSAT/CES responses over 24 monthly periods,
# 50 touchpoints and 20 segments; times `ecoute report --format json` for one period vs the
# previous one, side by side with DuckDB (2 threads) computing the same counts with
# GROUP BY over the same responses stored as Parquet. Prints wall times and peak RSS.
#
# The store is loaded by examples/report_bench.rs: the first RAW responses through
# `insert_response` (raw rows and rollups in one transaction, the production path), the
# rest as rollup counters computed with the same function (see that file) — loading 10 M
# raw rows one transaction at a time would take hours and is not what is measured here.
#
# Usage: bench/report.sh [SIZES…]   (default: 1000000 10000000; needs `pip install duckdb`)
# Ends with the summary lines `BENCH<TAB>…` that bench/run reads.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

sizes=("${@:-1000000 10000000}")
read -r -a sizes <<< "${sizes[*]}"
raw="${RAW:-5000}"
runs="${RUNS:-7}"
python3 -c 'import duckdb' 2>/dev/null || { echo "DuckDB is missing: pip install duckdb" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing: apt-get install -y time" >&2; exit 1; }

cargo build --release --bin ecoute --example report_bench >&2
target_dir="${CARGO_TARGET_DIR:-target}"
ecoute="$target_dir/release/ecoute"
loader="$target_dir/release/examples/report_bench"

summary=()
workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT

# A program with 50 touchpoints, one survey each (NPS, CSAT stars5, CES), monthly periods.
program="$workdir/bench.yaml"
{
  program_head
  cat <<'YAML'
channels:
  - { id: email, type: link }
periods:
  cadence: monthly
  waves: "0 10 2 * *"
targets:
  - { kpi: nps, at_least: 30 }
touchpoints:
YAML
  stages=(decouverte consideration achat livraison utilisation sav fidelisation)
  for t in $(seq -w 1 50); do
    echo "  - { id: tp$t, name: { fr: Point $t }, stage: ${stages[$(( (10#$t - 1) * 7 / 50 ))]} }"
  done
  echo "surveys:"
  for t in $(seq -w 1 50); do
    cat <<YAML
  - id: tp$t
    touchpoint: tp$t
    channels: [email]
    title: { fr: Point $t }
    questions:
      - { id: nps, type: nps, text: { fr: Recommanderiez-vous ? } }
      - { id: csat, type: csat, scale: stars5, text: { fr: Satisfait ? } }
      - { id: ces, type: ces, text: { fr: Facile ? } }
YAML
  done
} > "$program"
"$ecoute" check "$program" >&2

for n in "${sizes[@]}"; do
  db="$workdir/bench-$n.db"
  csv="$workdir/bench-$n.csv"
  parquet="$workdir/bench-$n.parquet"
  echo "== $n responses" >&2
  "$loader" "sqlite://$db" "$n" "$raw" "$csv" >&2
  export ECOUTE_DATABASE_URL="sqlite://$db"
  # Wall time measured around each run (median of RUNS, after one warm-up); peak RSS from
  # /usr/bin/time -v on the last run.
  ecoute_ms=$(python3 - "$ecoute" "$program" "$workdir/report.json" "$runs" <<'PY'
import subprocess, sys, time, statistics
ecoute, program, out, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
cmd = [ecoute, "report", program, "--period", "2026-12", "--format", "json", "-o", out]
subprocess.run(cmd, check=True, capture_output=True)
times = []
for _ in range(runs):
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    times.append((time.perf_counter() - start) * 1000)
print(f"{statistics.median(times):.1f}")
PY
)
  /usr/bin/time -v "$ecoute" report "$program" --period 2026-12 --format json -o "$workdir/report.json" 2> "$workdir/time.txt" >/dev/null
  rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$workdir/time.txt")
  total_n=$(python3 -c "import json; r = json.load(open('$workdir/report.json')); print(next(x['n'] for x in r['rows'] if x['group'] == 'all' and x['kpi'] == 'nps'))")
  read -r duck_ms duck_n < <(python3 - "$csv" "$parquet" "$runs" <<'PY'
import sys, time, statistics, duckdb
csv, parquet, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
con = duckdb.connect()
con.execute("SET threads = 2")
con.execute(f"COPY (SELECT * FROM read_csv_auto('{csv}')) TO '{parquet}' (FORMAT parquet)")
query = f"""
  SELECT period, touchpoint, 'nps' AS q, nps AS v, count(*) FROM '{parquet}' WHERE period IN ('2026-12', '2026-11') GROUP BY ALL
  UNION ALL SELECT period, touchpoint, 'csat', csat, count(*) FROM '{parquet}' WHERE period IN ('2026-12', '2026-11') GROUP BY ALL
  UNION ALL SELECT period, touchpoint, 'ces', ces, count(*) FROM '{parquet}' WHERE period IN ('2026-12', '2026-11') GROUP BY ALL
"""
times = []
for _ in range(runs):
    start = time.perf_counter()
    rows = con.execute(query).fetchall()
    times.append((time.perf_counter() - start) * 1000)
n = sum(r[4] for r in rows if r[0] == '2026-12' and r[2] == 'nps')
print(f"{statistics.median(times):.1f} {n}")
PY
)
  [ "$total_n" = "$duck_n" ] || echo "MISMATCH: ecoute counts $total_n NPS answers in 2026-12, DuckDB $duck_n" >&2
  ratio=$(awk -v a="$ecoute_ms" -v b="$duck_ms" 'BEGIN { printf "%.2f", a / b }')
  printf 'responses=%-9s ecoute report (json, 2026-12 vs 2026-11): %6.1f ms  peak RSS %6.1f MB | DuckDB GROUP BY (Parquet, 2 threads): %6.1f ms | ratio %s | NPS answers in 2026-12: %s (DuckDB %s)\n' \
    "$n" "$ecoute_ms" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" "$duck_ms" "$ratio" "$total_n" "$duck_n"
  summary+=("$(printf 'BENCH\treport-%s\t%s\tduckdb-group-by\t%s\t%s\tms' "$n" "$ecoute_ms" "$duck_ms" "$ratio")")
  rm -f "$csv" "$parquet"
done
printf '%s\n' "${summary[@]}"
