#!/usr/bin/env bash
# Regenerates docs/report.png, the screenshot README opens with: runs `ecoute demo` (release
# build) in a temporary folder, then headless Chromium on its HTML report.
# Needs chromium (installed by .ci/run). Usage: bash bench/report-screenshot.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
nice -n 10 cargo run --release --quiet -- demo --dir "$work/demo"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --screenshot="$work/report.png" --window-size=1000,1500 \
  "file://$work/demo/reports/rapport-2026-11.html"
mkdir -p docs
cp "$work/report.png" docs/report.png
echo "docs/report.png: $(wc -c < docs/report.png) bytes"
