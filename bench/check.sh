#!/usr/bin/env bash
# `ecoute check` on a large program file (figures, not a test): a generated program of
# TOUCHPOINTS touchpoints, one survey of 6 questions each (show_if conditions, choices),
# one sample per survey, targets and themes; median wall time of `ecoute check --format
# json` (release build, end to end: read, parse with spans, every semantic check) beside
# Python's jsonschema validating the same file against ecoute's own JSON Schema
# (schema/program.schema.json, PyYAML to read it). The peer is what an editor's YAML
# language server checks: structure only, no cross-references, no spans, no hints; ecoute
# does that and more, so a ratio below 1 (ecoute faster) is a margin, not a tie.
#
# Usage: bench/check.sh [TOUCHPOINTS]   (default: 2000)
# Needs: python3 with jsonschema and PyYAML (pip install jsonschema pyyaml). Prints one
# line, then the summary line `BENCH<TAB>…` that bench/run reads.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

touchpoints="${1:-300}"
runs="${RUNS:-5}"
python3 -c 'import jsonschema, yaml' 2>/dev/null \
  || { echo "jsonschema or PyYAML is missing: pip install jsonschema pyyaml" >&2; exit 1; }

release_ecoute
schema="$(realpath schema/program.schema.json)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/programs"
program="$work/programs/grand.yaml"
printf 'email,segment\nclient@example.org,B2C\n' > "$work/programs/contacts.csv"
python3 - "$program" "$touchpoints" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
stages = ["decouverte", "achat", "livraison", "utilisation", "sav", "fidelisation"]
out = ["""# yaml-language-server: $schema=../schema/program.schema.json
program:
  id: grand
  title: { fr: Grand programme }
  timezone: Europe/Paris
  default_locale: fr
  locales: [fr]
  sender: { from: "Service clients <avis@example.org>" }
contacts:
  - { id: fichier, csv: contacts.csv }
channels:
  - { id: email, type: email, template: invitation }
periods:
  cadence: monthly
  waves: "0 10 2 * *"
themes:
  delai: [retard, attente, lent]
  prix: [cher, tarif]
touchpoints:"""]
for i in range(n):
    out.append(f"  - {{ id: tp{i}, name: {{ fr: Point {i} }}, stage: {stages[i % len(stages)]} }}")
out.append("samples:")
for i in range(n):
    out.append(f"  - {{ id: s{i}, contacts: fichier, size: 200, strata: [segment], seed: {i} }}")
out.append("surveys:")
for i in range(n):
    out.append(f"""  - id: q{i}
    touchpoint: tp{i}
    sample: s{i}
    channels: [email]
    title: {{ fr: Enquête {i} }}
    questions:
      - {{ id: recommandation, type: nps, text: {{ fr: "Recommanderiez-vous ?" }} }}
      - {{ id: satisfaction, type: csat, scale: stars5, text: {{ fr: "Satisfait ?" }} }}
      - {{ id: effort, type: ces, required: false, text: {{ fr: "Facile ?" }} }}
      - {{ id: resolu, type: yes_no, required: false, text: {{ fr: "Résolu ?" }} }}
      - id: motif
        type: single
        required: false
        show_if: recommandation <= 6
        text: {{ fr: "Pourquoi ?" }}
        options:
          - {{ id: delai, label: {{ fr: Délai }} }}
          - {{ id: prix, label: {{ fr: Prix }} }}
      - {{ id: commentaire, type: text, required: false, text: {{ fr: "Un mot ?" }} }}""")
out.append("targets:")
for i in range(n):
    out.append(f"  - {{ kpi: nps, touchpoint: tp{i}, at_least: 30 }}")
open(path, "w").write("\n".join(out) + "\n")
PY
size_kb=$(( $(stat -c %s "$program") / 1024 ))
"$ecoute" check "$program" >/dev/null || { "$ecoute" check "$program" >&2; exit 1; }

read -r ecoute_ms peer_ms < <(python3 - "$ecoute" "$program" "$schema" "$runs" <<'PY'
import json, statistics, subprocess, sys, time
import jsonschema, yaml
ecoute, program, schema_path, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
cmd = [ecoute, "check", program, "--format", "json"]
subprocess.run(cmd, check=True, capture_output=True)
ours = []
for _ in range(runs):
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    ours.append((time.perf_counter() - start) * 1000)
schema = json.load(open(schema_path))
theirs = []
for _ in range(runs):
    start = time.perf_counter()
    with open(program) as f:
        document = yaml.safe_load(f)
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(document))
    theirs.append((time.perf_counter() - start) * 1000)
if errors:
    sys.exit(f"jsonschema finds {len(errors)} problems, first: {errors[0].message}")
print(f"{statistics.median(ours):.1f} {statistics.median(theirs):.1f}")
PY
)
ratio=$(awk -v a="$ecoute_ms" -v b="$peer_ms" 'BEGIN { printf "%.2f", a / b }')
printf 'program of %s touchpoints (%s KiB): ecoute check %s ms | python jsonschema + PyYAML %s ms | ratio %s\n' \
  "$touchpoints" "$size_kb" "$ecoute_ms" "$peer_ms" "$ratio"
printf 'BENCH\tcheck-%s-touchpoints\t%s\tpython-jsonschema\t%s\t%s\tms\n' \
  "$touchpoints" "$ecoute_ms" "$peer_ms" "$ratio"
