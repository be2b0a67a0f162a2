#!/usr/bin/env bash
# Plans a stratified sample of 1,000 over a generated 10,000,000-row contact CSV streamed
# from disk, and reports wall time and peak RSS (goal: peak RSS ≤ 150 MB).
#
# Usage: bench/plan_10m.sh [ROWS]   (from the repository root; ROWS defaults to 10000000)
set -euo pipefail

rows="${1:-10000000}"
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/time ]; then
    echo "/usr/bin/time is missing: apt-get install -y time" >&2
    exit 1
fi

workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT
csv="$workdir/contacts.csv"

echo "generating $rows rows into $csv" >&2
awk -v rows="$rows" 'BEGIN {
    srand(42);
    split("B2C B2C B2C B2C B2C B2B B2B PRO VIP", segments, " ");
    split("Ile-de-France Auvergne-Rhone-Alpes Nouvelle-Aquitaine Occitanie Hauts-de-France Bretagne Corse", regions, " ");
    split("fr-FR fr-FR fr-FR fr-BE en-GB de-DE", locales, " ");
    print "email,first_name,segment,region,locale,orders,last_purchase";
    for (i = 0; i < rows; i++) {
        r = rand();
        segment = (r < 0.01) ? "" : segments[1 + int(rand() * 9)];
        printf "client%08d@exemple-client.fr,Prenom%d,%s,%s,%s,%d,2026-%02d-%02d\n",
            i, i % 1000, segment, regions[1 + int(rand() * 7)], locales[1 + int(rand() * 6)],
            int(rand() * 8), 1 + int(rand() * 10), 1 + int(rand() * 28);
    }
}' > "$csv"
ls -l "$csv" >&2

cargo build --release --example plan_csv >&2
target_dir="${CARGO_TARGET_DIR:-target}"
/usr/bin/time -v "$target_dir/release/examples/plan_csv" "$csv" 1000 2> "$workdir/time.txt"
grep -E "planned|Elapsed \(wall clock\)|Maximum resident set size" "$workdir/time.txt"
