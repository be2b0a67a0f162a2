#!/usr/bin/env bash
# Answer import benchmark (figures, not a test): `ecoute responses import` end to end (the
# release binary: read, decode, check every row against the survey, store in batches with the
# rollups, in a fresh SQLite file with synchronous=FULL), beside Python's sqlite3 reading the
# same CSV with its csv module and inserting the same rows with executemany in one
# transaction into a same-shaped table (same columns, a unique response_id, WAL and
# synchronous=FULL): a floor for "parse a CSV and insert its rows" with no checks and no
# rollups.
#
# Usage: bench/responses_import.sh [ROWS…]   (default: 20000 200000)
# Prints one line per size, then the summary lines `BENCH<TAB>…` that bench/run reads.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

sizes=("${@:-20000 200000}")
read -r -a sizes <<< "${sizes[*]}"

release_ecoute

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/programs"
{ program_head; cat <<'YAML'
touchpoints:
  - { id: livraison, name: { fr: Livraison }, stage: livraison }
surveys:
  - id: livraison
    touchpoint: livraison
    channels: [telephone]
    title: { fr: Votre livraison }
    questions:
      - { id: recommandation, type: nps, text: { fr: Recommanderiez-vous ? } }
      - { id: satisfaction, type: csat, scale: stars5, text: { fr: Satisfait ? } }
      - { id: pourquoi, type: text, required: false, text: { fr: Pourquoi ? } }
channels:
  - { id: telephone, type: phone }
periods:
  cadence: monthly
  waves: "0 10 2 * *"
YAML
} > "$work/programs/bench.yaml"

summary=()
for n in "${sizes[@]}"; do
  csv="$work/answers-$n.csv"
  # NPS i % 11, stars 1 + i % 5, a verbatim every 7th row, two regions, 12 months.
  awk -v n="$n" 'BEGIN {
      print "submitted_at,response_id,email,recommandation,satisfaction,pourquoi,region";
      for (i = 0; i < n; i++) {
          printf "2026-%02d-%02d,r%d,client%d@example.org,%d,%d,%s,%s\n",
              1 + i % 12, 1 + i % 28, i, i, i % 11, 1 + i % 5,
              (i % 7 == 0) ? "livraison trop lente" : "", (i % 2) ? "sud" : "nord";
      }
  }' > "$csv"

  rm -f "$work"/ecoute.db*
  start=$(date +%s.%N)
  (cd "$work" && ECOUTE_DATABASE_URL="sqlite://$work/ecoute.db" "$ecoute" responses import \
    --program bench --survey livraison --no-alerts "$csv" > "$work/import.out")
  end=$(date +%s.%N)
  grep -q "$n responses imported" "$work/import.out" || { cat "$work/import.out" >&2; exit 1; }
  ecoute_rate=$(python3 -c "print(round($n / ($end - $start)))")

  peer_rate=$(python3 - "$csv" "$work/peer.db" <<'PY'
import csv, os, sqlite3, sys, time
path, db = sys.argv[1], sys.argv[2]
for suffix in ("", "-wal", "-shm"):
    if os.path.exists(db + suffix):
        os.remove(db + suffix)
start = time.perf_counter()
con = sqlite3.connect(db, isolation_level=None)
con.execute("PRAGMA journal_mode=WAL")
con.execute("PRAGMA synchronous=FULL")
con.execute("""CREATE TABLE responses (id INTEGER PRIMARY KEY, submitted_at TEXT NOT NULL,
  response_id TEXT UNIQUE, email TEXT, recommandation INTEGER, satisfaction INTEGER,
  pourquoi TEXT, region TEXT)""")
with open(path, newline="") as f:
    reader = csv.reader(f)
    next(reader)
    con.execute("BEGIN")
    con.executemany("INSERT INTO responses (submitted_at, response_id, email, recommandation, "
                    "satisfaction, pourquoi, region) VALUES (?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT DO NOTHING", reader)
    con.execute("COMMIT")
con.close()
n = sum(1 for _ in open(path)) - 1
print(round(n / (time.perf_counter() - start)))
PY
)
  ratio=$(awk -v a="$ecoute_rate" -v b="$peer_rate" 'BEGIN { printf "%.2f", a / b }')
  printf 'rows=%-8s ecoute responses import %8s rows/s | python sqlite3 executemany %8s rows/s | ratio %s\n' \
    "$n" "$ecoute_rate" "$peer_rate" "$ratio"
  summary+=("$(printf 'BENCH\timport-%s\t%s\tpython-sqlite3-executemany\t%s\t%s\trows/s' \
    "$n" "$ecoute_rate" "$peer_rate" "$ratio")")
done
printf '%s\n' "${summary[@]}"
