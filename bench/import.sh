#!/bin/sh
# Contact import benchmark: 1,000,000 generated contacts into a fresh SQLite store, in release
# mode. Goal: at least 100,000 contacts/s. Usage: bench/import.sh [ROWS]
set -eu
cd "$(dirname "$0")/.."
exec cargo bench --bench import -- "${1:-1000000}"
