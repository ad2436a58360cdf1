#!/usr/bin/env bash
# bench/emit.sh [MODEL...] — the programs `nnmc build` writes against
# `nnmc run` on the same model: images/s of one training epoch (60,000
# MNIST images, batch 128, best of RUNS runs, taken in turn), peak memory
# (max RSS), binary size, and the build's compile time: cold (an empty
# cache: the default flags take the runtime nnmc carries, compiled when
# nnmc was built), warm (the runtime's objects reused), native (an empty
# cache and CFLAGS='-O3 -fno-math-errno -march=native': the runtime compiled) and whole
# (NNMC_CACHE=off: the emitted file compiled as one unit); the native and
# whole programs are measured too.  MODEL: mlp, lenet
# (bench/*.nnm); default both.  Run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${NNM_DATA:-data}
runs=${RUNS:-3}
models=${*:-mlp lenet}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export NNMC_CACHE=$tmp/cache
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N); awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'; }

# "IMAGES_PER_S MAXRSS_KIB" of one run of a command
measure() {
    local out
    out=$( { NNM_TIMING=1 /usr/bin/time -f "maxrss %M" "$@" --data "$data" -q; } 2>&1 )
    printf '%s %s\n' "$(printf '%s\n' "$out" | sed -n 's/.*fit: .* (\([0-9]*\) samples\/s).*/\1/p')" \
        "$(printf '%s\n' "$out" | sed -n 's/^maxrss \([0-9]*\)$/\1/p')"
}

for m in $models; do
    echo "== $m"
    rm -rf "$NNMC_CACHE"
    cold=$(secs ./nnmc build "bench/$m.nnm" -o "$tmp/$m")
    warm=$(secs ./nnmc build "bench/$m.nnm" -o "$tmp/$m")
    rm -rf "$NNMC_CACHE"
    native=$(CFLAGS='-O3 -fno-math-errno -march=native' secs ./nnmc build "bench/$m.nnm" -o "$tmp/$m.native")
    whole=$(NNMC_CACHE=off secs ./nnmc build "bench/$m.nnm" -o "$tmp/$m.whole")
    best_run=0 best_prog=0 best_native=0 best_whole=0 rss_run=0 rss_prog=0
    for r in $(seq "$runs"); do
        read -r ips kb < <(measure ./nnmc run "bench/$m.nnm")
        echo "nnmc run  $r: $ips images/s, max RSS $((kb / 1024)) MiB"
        [ "$ips" -gt "$best_run" ] && { best_run=$ips; rss_run=$((kb / 1024)); }
        read -r ips kb < <(measure "$tmp/$m")
        echo "built     $r: $ips images/s, max RSS $((kb / 1024)) MiB"
        [ "$ips" -gt "$best_prog" ] && { best_prog=$ips; rss_prog=$((kb / 1024)); }
        read -r ips kb < <(measure "$tmp/$m.native")
        echo "built native $r: $ips images/s, max RSS $((kb / 1024)) MiB"
        [ "$ips" -gt "$best_native" ] && best_native=$ips
        read -r ips kb < <(measure "$tmp/$m.whole")
        echo "built whole $r: $ips images/s, max RSS $((kb / 1024)) MiB"
        [ "$ips" -gt "$best_whole" ] && best_whole=$ips
    done
    size_run=$(stat -c %s nnmc)
    size_prog=$(stat -c %s "$tmp/$m")
    echo "nnmc run $m: $best_run images/s, max RSS $rss_run MiB, binary $((size_run / 1024)) KiB (whole compiler)"
    echo "built $m:    $best_prog images/s, max RSS $rss_prog MiB, binary $((size_prog / 1024)) KiB"
    echo "built native $m: $best_native images/s"
    echo "built whole $m: $best_whole images/s"
    echo "nnmc build $m: $cold s cold, $warm s warm (runtime cached), $native s native (runtime compiled), $whole s whole"
    echo "ratio $m built/run: $(awk -v a="$best_prog" -v b="$best_run" 'BEGIN { printf "%.2f", a / b }')," \
        "native/run: $(awk -v a="$best_native" -v b="$best_run" 'BEGIN { printf "%.2f", a / b }')"
done
