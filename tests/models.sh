#!/usr/bin/env bash
# tests/models.sh — every model in models/ is a regression test: its summary
# (nnmc check) and the figures printed by a short training run (first 256
# samples, 1 epoch, seed 1) must equal tests/models/<name>.{summary,run}.
# A change that alters a model's numbers shows up here and must be accepted
# on purpose: UPDATE=1 make test rewrites the expectations.
cd "$(dirname "$0")/.."
root=$(pwd)
NNMC=${NNMC:-./nnmc}
case $NNMC in /*) ;; *) NNMC=$root/$NNMC ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
compare() { # name want got
    if [ "${UPDATE:-0}" = 1 ]; then cp "$3" "$2"; echo "ok $1 (updated)"; return; fi
    if [ -e "$2" ] && diff -u "$2" "$3" >"$tmp/diff"; then echo "ok $1"; else echo "FAIL $1"; head -20 "$tmp/diff"; fi
}
needs_data() { # model file -> the data directory it reads
    if grep -q "cifar10" "$1"; then echo cifar-10-batches-bin; else echo mnist; fi
}
for m in models/*.nnm; do
    name=$(basename "$m" .nnm)
    "$NNMC" check "$m" >"$tmp/summary" 2>&1
    compare "model-$name-summary" "tests/models/$name.summary" "$tmp/summary"
    if [ ! -d "$root/data/$(needs_data "$m")" ]; then
        echo "SKIP model-$name-run: no data/$(needs_data "$m")"
        continue
    fi
    # figures only: timings vary between runs
    (cd "$tmp" && "$NNMC" run "$root/$m" --data "$root/data" --seed 1 --epochs 1 --max-samples 256 2>&1) |
        sed -E 's/ - [0-9]+s [0-9]+[mu]?s\/step//; s/ - [0-9]+s - / - /' >"$tmp/run"
    compare "model-$name-run" "tests/models/$name.run" "$tmp/run"
done
