#!/usr/bin/env bash
# Runs every fuzz target (or those named) for SECONDS each, one after the other, niced.
#   fuzz/run.sh [SECONDS] [TARGET...]        default: 600 seconds, every target
# Built with debug assertions and overflow checks, so an overflow is found as a crash.
# Environment: SANITIZER (default none; `address` for ASan).
# Output: fuzz/logs/<target>.log; crashes, timeouts and OOMs land in fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")"

seconds="${1:-600}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(program_bytes program_yaml contacts_csv answers_csv form_body)
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

# cargo-fuzz needs nightly flags: use a nightly toolchain when there is one (or can be
# installed), else let the stable compiler accept them.
toolchain=()
if rustup run nightly rustc --version >/dev/null 2>&1 \
    || rustup toolchain install nightly --profile minimal >/dev/null 2>&1; then
    toolchain=(+nightly)
else
    export RUSTC_BOOTSTRAP=1
fi

sanitizer="${SANITIZER:-none}"
mkdir -p logs
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target" "artifacts/$target"
    # New inputs go to corpus/ (not in git); the small committed seeds are read too.
    corpora=("corpus/$target")
    if [ -d "seeds/$target" ]; then
        corpora+=("seeds/$target")
    fi
    echo "== $target: ${seconds}s (log: fuzz/logs/$target.log)"
    status=0
    nice -n 15 cargo "${toolchain[@]}" fuzz run --debug-assertions --sanitizer "$sanitizer" "$target" \
        "${corpora[@]}" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 > "logs/$target.log" 2>&1 || status=$?
    tail -n 12 "logs/$target.log"
    if [ "$status" -ne 0 ]; then
        echo "!! $target stopped with status $status: see fuzz/logs/$target.log and fuzz/artifacts/$target/" >&2
        exit "$status"
    fi
done
