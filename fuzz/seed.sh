#!/usr/bin/env bash
# Assembles each fuzz target's seed corpus under DIR/<target>/: the repository's own fixtures of
# that kind (copied at run time, so nothing is kept twice), plus fuzz/corpus/<target>/ — the seeds
# that exist nowhere else. Usage: fuzz/seed.sh DIR
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:?usage: fuzz/seed.sh DIR}"
seed() {
  local target=$1
  shift
  mkdir -p "$out/$target"
  for f in "$@"; do cp "$root/$f" "$out/$target/"; done
  if [ -d "$root/fuzz/corpus/$target" ]; then cp "$root/fuzz/corpus/$target"/* "$out/$target/"; fi
  return 0
}
seed park_file examples/minimal.toml examples/yanqing.toml \
  crates/parkgrid-powerflow/tests/data/cases/dyn5_transformer.toml \
  crates/parkgrid-dispatch/tests/data/cases/dead_end_bus.toml
seed matpower crates/parkgrid-powerflow/tests/data/case9.m crates/parkgrid-powerflow/tests/data/case14.m \
  crates/parkgrid-powerflow/tests/data/acdc/case5_stagg_acdc.m \
  crates/parkgrid-powerflow/tests/data/cases/case5_ref_nogen.m \
  crates/parkgrid-powerflow/tests/data/cases/two_statements.m \
  crates/parkgrid-powerflow/tests/data/cases/continuation.m \
  crates/parkgrid-powerflow/tests/data/fuzz/gen_vg_zero_own_slack.m \
  crates/parkgrid-powerflow/tests/data/fuzz/shunt_1e85_nan_mismatch.m
# The header and first two days of the Greensboro TMY3 year: a whole year makes slow seeds.
seed epw
head -n 56 "$root/crates/parkgrid-resource/tests/data/greensboro_tmy3.epw" >"$out/epw/greensboro_two_days.epw"
seed csv_profile
seed saved_run
seed senml
seed meter
