#!/usr/bin/env bash
# Planning memory (figures, not a test): peak RSS of the `ecoute plan` CLI (release build,
# /usr/bin/time -v) on generated contact CSVs of 1 M, 3 M and 10 M rows, beside the bound
# of 150 MB; the memory must not grow with the number of rows. The plan exercises every
# rule that reads a row: a stratified sample of 1,000 (`strata: [segment]`, at least 20 per
# segment), a filter on two attributes, the fatigue rule and a few suppressions in the store.
#
# Usage: bench/plan_memory.sh [ROWS…]   (default: 1000000 3000000 10000000)
# Needs: /usr/bin/time (apt-get install time). Prints one line per size, then the summary
# lines `BENCH<TAB>…` that bench/run reads.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

sizes=("${@:-1000000 3000000 10000000}")
read -r -a sizes <<< "${sizes[*]}"
bound_mb=150
[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing: apt-get install -y time" >&2; exit 1; }

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
    sample: clients
    channels: [email]
    title: { fr: Votre livraison }
    questions:
      - { id: recommandation, type: nps, text: { fr: Recommanderiez-vous ? } }
contacts:
  - { id: fichier, csv: contacts.csv }
samples:
  - id: clients
    contacts: fichier
    filter: orders >= 2 and region != "Corse"
    size: 1000
    strata: [segment]
    min_per_stratum: 20
    seed: 2026
channels:
  - { id: email, type: email, template: invitation }
periods:
  cadence: monthly
  waves: "0 10 2 * *"
rules:
  fatigue:
    min_days_between_contacts: 30
YAML
} > "$work/programs/bench.yaml"
export ECOUTE_DATABASE_URL="sqlite://$work/ecoute.db"
# Suppressions in the store: the plan reads them once and checks every row against them.
for i in 97 194 291 388 485; do
  (cd "$work" && "$ecoute" contacts forget "$(printf 'client%08d@exemple-client.fr' "$i")" >/dev/null)
done

summary=()
for rows in "${sizes[@]}"; do
  awk -v rows="$rows" 'BEGIN {
      srand(42);
      split("B2C B2C B2C B2C B2C B2B B2B PRO VIP", segments, " ");
      split("Ile-de-France Auvergne-Rhone-Alpes Nouvelle-Aquitaine Occitanie Hauts-de-France Bretagne Corse", regions, " ");
      split("fr-FR fr-FR fr-FR fr-BE en-GB de-DE", locales, " ");
      print "email,first_name,segment,region,locale,orders,last_purchase";
      for (i = 0; i < rows; i++) {
          segment = (rand() < 0.01) ? "" : segments[1 + int(rand() * 9)];
          printf "client%08d@exemple-client.fr,Prenom%d,%s,%s,%s,%d,2026-%02d-%02d\n",
              i, i % 1000, segment, regions[1 + int(rand() * 7)], locales[1 + int(rand() * 6)],
              int(rand() * 8), 1 + int(rand() * 10), 1 + int(rand() * 28);
      }
  }' > "$work/programs/contacts.csv"
  (cd "$work" && /usr/bin/time -v "$ecoute" plan bench --period 2026-11 --format json \
    > "$work/plan.json" 2> "$work/time.txt")
  rss_kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time.txt")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$work/time.txt")
  population=$(python3 -c "import json; print(json.load(open('$work/plan.json'))['surveys'][0]['sample']['population'])")
  [ "$population" = "$rows" ] || { echo "plan read $population rows of $rows" >&2; exit 1; }
  rss_mb=$(awk -v k="$rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')
  ratio=$(awk -v a="$rss_mb" -v b="$bound_mb" 'BEGIN { printf "%.2f", a / b }')
  printf 'rows=%-9s ecoute plan peak RSS %7s MB (wall %s) | bound %s MB | ratio %s\n' \
    "$rows" "$rss_mb" "$wall" "$bound_mb" "$ratio"
  summary+=("$(printf 'BENCH\tplan-memory-%s\t%s\tbound\t%s\t%s\tMB' "$rows" "$rss_mb" "$bound_mb" "$ratio")")
done
printf '%s\n' "${summary[@]}"
