#!/usr/bin/env bash
# tests/isa.sh — the kernels' versions (runtime/isa.h, --isa) change only
# the speed: for models that use every multiversioned kernel (convolution,
# pooling, batch normalisation, dense layers, RMSprop, Adam, SGD), each
# version this CPU can run prints the figures and writes the weight files
# of the baseline version, byte for byte, in nnmc run and in a built
# program; a version the CPU lacks, or an unknown name, is a clear error.
cd "$(dirname "$0")/.."
root=$(pwd)
NNMC=${NNMC:-./nnmc}
case $NNMC in /*) ;; *) NNMC=$root/$NNMC ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export CC=gcc
unset CFLAGS
args=(--data "$root/data" --seed 4 --epochs 1 --max-samples 192)
strip_times() { sed -E 's/ - [0-9]+s( [0-9]+[mu]?s\/step)?//' "$1"; }
isas=$("$NNMC" run --help 2>/dev/null | grep -q -- --isa && echo "baseline avx2 avx512")
for m in lenet cifar10_vgg_bn mnist_mlp inception_cifar; do
    dir=mnist
    grep -q cifar10 "models/$m.nnm" && dir=cifar-10-batches-bin
    if [ ! -d "$root/data/$dir" ]; then echo "SKIP isa-$m: no data/$dir"; continue; fi
    for isa in $isas; do
        mkdir -p "$tmp/$m/$isa"
        cp "models/$m.nnm" "$tmp/$m/$isa/"
        printf "\nmodel.save_weights('final.npz')\n" >>"$tmp/$m/$isa/$m.nnm"
        (cd "$tmp/$m/$isa" && "$NNMC" run "$m.nnm" "${args[@]}" --isa $isa >out 2>err; echo "exit $?" >>out)
    done
    base=$tmp/$m/baseline
    for isa in avx2 avx512; do
        d=$tmp/$m/$isa
        if grep -q "cannot run it" "$d/err"; then echo "SKIP isa-$m-$isa: this CPU has no $isa"; continue; fi
        if diff <(strip_times "$base/out") <(strip_times "$d/out") >/dev/null && cmp -s "$base/final.npz" "$d/final.npz"
        then echo "ok isa-$m-$isa (same figures and weights as baseline)"
        else echo "FAIL isa-$m-$isa: differs from the baseline kernels"; diff <(strip_times "$base/out") <(strip_times "$d/out") | head -5; fi
    done
done
# a built program takes --isa too, and agrees with nnmc run
if [ -d "$root/data/mnist" ]; then
    mkdir -p "$tmp/prog"
    cp "$tmp/lenet/baseline/lenet.nnm" "$tmp/prog/"
    if (cd "$tmp/prog" && "$NNMC" build lenet.nnm -o prog >build.log 2>&1 && ./prog "${args[@]}" --isa avx2 >out 2>err; echo "exit $?" >>out) &&
        diff <(strip_times "$tmp/lenet/baseline/out") <(strip_times "$tmp/prog/out") >/dev/null &&
        cmp -s "$tmp/lenet/baseline/final.npz" "$tmp/prog/final.npz"
    then echo "ok isa-built-program (--isa avx2 built = --isa baseline run)"
    else echo "FAIL isa-built-program"; tail -3 "$tmp/prog/build.log" "$tmp/prog/err"; fi
fi
"$NNMC" run models/lenet.nnm --isa sse9 >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 1 ] && grep -q "^nnmc: error: --isa needs auto, baseline, avx2 or avx512, got 'sse9'$" "$tmp/err" &&
    echo "ok isa-unknown-name" || { echo "FAIL isa-unknown-name (exit $rc)"; cat "$tmp/err"; }
"$NNMC" run models/lenet.nnm --isa >"$tmp/out" 2>"$tmp/err"
[ $? = 2 ] && echo "ok isa-needs-value" || echo "FAIL isa-needs-value"
exit 0
