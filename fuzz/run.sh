#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 600), growing the corpus
# in fuzz/corpus/<target>, then minimises it. Needs cargo-fuzz
# (`cargo install cargo-fuzz --locked`); the stable toolchain is enough with
# RUSTC_BOOTSTRAP=1, which cargo-fuzz's nightly-only flags need.
# A crash is saved under fuzz/artifacts/<target>/; copy it into
# fuzz/corpus/<target>/ so `cargo test` replays it from then on.
#   fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-600}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)
export RUSTC_BOOTSTRAP=1
for target in "${targets[@]}"; do
  echo "== $target for ${seconds}s"
  cargo fuzz run --sanitizer none "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1
  cargo fuzz cmin --sanitizer none "$target" "corpus/$target"
done
