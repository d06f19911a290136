#!/usr/bin/env bash
# Whole-process time and peak RSS of `tracelog run` against the hand-written
# datafrog reference, alternating runs in the same sitting.
#   benches/compare.sh DATA_DIR RUNS q1 q2 q3
# DATA_DIR comes from ../shared/bench/gen_supply_chain.py (or tracelog generate);
# build first: cargo build --release, and datafrog_ref with
#   (cd ../shared/bench/datafrog_ref && CARGO_TARGET_DIR=$REF_TARGET cargo build --release)
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
TL=${TL:-$here/target/release/tracelog}
REF=${REF:-${REF_TARGET:-/work/data/dfref-target}/release/datafrog_ref}
P=$here/../shared/bench/programs
data=$1; runs=$2; shift 2
out=$(mktemp -d)
for q in "$@"; do
  prog=$(ls "$P"/"${q}"_*.dl)
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "$q ref %e s %M KB" "$REF" "$q" datafrog "$data" >/dev/null
    /usr/bin/time -f "$q tracelog %e s %M KB" "$TL" run "$prog" -F "$data" -D "$out" >/dev/null
  done
done
rm -rf "$out"
