#!/usr/bin/env bash
# tests/emit.sh — `nnmc emit` and `nnmc build`:
#   - every model in models/ (whose data is in data/), built as a program and
#     run on one thread, prints the same figures as `nnmc run` on two with the
#     same seed and writes byte-identical weight files; programs link no BLAS
#   - emitted C compiles under -std=c11 -Wall -Wextra -pedantic -Werror with
#     gcc and clang, and runs clean under AddressSanitizer and UBSan
#   - the same input gives the same bytes; the generated part of a small
#     model is pinned (tests/emit/small.c, UPDATE=1 rewrites it)
#   - hostile names and paths (tests/emit/hostile.nnm) compile and behave
#   - bad output paths and compilers give errors, never a broken file
#   - build's runtime cache (compiler/rtcache.c): compiled once and reused,
#     repaired when damaged, skipped when off or unusable; written from the
#     runtime nnmc carries for the default compiler and flags; a program built
#     whole (NNMC_CACHE=off) behaves as one built from the cache
root=$(cd "$(dirname "$0")/.." && pwd)
NNMC=${NNMC:-./nnmc}
case $NNMC in /*) ;; *) NNMC=$root/$NNMC ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# the emitted programs are built with the system compiler, without sanitizers
# even when nnmc itself was built with them (make asan)
export CC=gcc
unset CFLAGS # what users get: nnmc build's default flags
# one runtime cache for the suite (tests/run.sh gives one to the whole run)
export NNMC_CACHE=${NNMC_CACHE:-$tmp/cache}
unset ASAN_OPTIONS
run_args=(--data "$root/data" --seed 5 --epochs 1 --max-samples 64)
strip_times() { sed -E 's/ - [0-9]+s( [0-9]+[mu]?s\/step)?//' "$1"; }

# same_run NAME MODEL [ARG...]: build, run both, compare output and
# files; a copy of the model saves its final weights too, so that models
# whose file saves none are compared weight for weight as well
same_run() {
    local name=$1 extra=("${@:3}") d=$tmp/$1 model=$tmp/$1/$(basename "$2")
    mkdir -p "$d/prog" "$d/run"
    cp "$2" "$model"
    if grep -q "^model = " "$model"; then printf "\nmodel.save_weights('final.npz')\n" >>"$model"; fi
    if ! "$NNMC" build "$model" -o "$d/prog/prog" "${extra[@]}" >"$d/build.log" 2>&1; then
        echo "FAIL emit-$name: build failed"; tail -5 "$d/build.log"; return
    fi
    (cd "$d/prog" && ./prog "${run_args[@]}" --threads 1 >out 2>err; echo "exit $?" >>out)
    (cd "$d/run" && "$NNMC" run "$model" "${run_args[@]}" --threads 2 "${extra[@]}" >out 2>err; echo "exit $?" >>out)
    rm -f "$d/prog/prog" "$d/prog/prog.c"
    if ! diff <(strip_times "$d/run/out") <(strip_times "$d/prog/out") >"$d/diff"; then
        echo "FAIL emit-$name: output differs from nnmc run"; head -10 "$d/diff"; return
    fi
    local f n=0
    for f in "$d/run"/*.npz; do
        [ -e "$f" ] || continue
        n=$((n + 1))
        cmp -s "$f" "$d/prog/${f##*/}" || { echo "FAIL emit-$name: ${f##*/} differs"; return; }
    done
    [ "$(ls "$d/prog" | wc -l)" = "$(ls "$d/run" | wc -l)" ] || { echo "FAIL emit-$name: not the same files"; return; }
    echo "ok emit-$name (same output, $n identical weight file(s))"
}

for m in "$root"/models/*.nnm; do
    name=$(basename "$m" .nnm)
    dir=mnist
    grep -q cifar10 "$m" && dir=cifar-10-batches-bin
    if [ ! -d "$root/data/$dir" ]; then echo "SKIP emit-$name: no data/$dir"; continue; fi
    same_run "$name" "$m"
done
if [ -d "$root/data/mnist" ]; then
    NNMC_CACHE=off same_run lenet-whole "$root/models/lenet.nnm"
    same_run hostile "$root/tests/emit/hostile.nnm"
    same_run zoo "$root/tests/emit/zoo.nnm"
    same_run zoo1d "$root/tests/emit/zoo1d.nnm"
    same_run graph "$root/tests/emit/graph.nnm"
fi

# emit --inference: the predict-only file, driven by tests/emit/predict_main.c
# on the first 200 test images, gives exactly the predictions that
# `nnmc run` saves with np.save (the same forward code, the same GEMM); it
# needs nothing but libm, memcpy/memset and abort
predict_test() { # name model.nnm
    local name=$1 d=$tmp/predict_$1 base
    base=$(basename "$2" .nnm)
    mkdir -p "$d"
    cp "$2" "$d/"
    grep -q "^np.save" "$d/$base.nnm" ||
        printf "\nmodel.save_weights('%s.npz')\nnp.save('%s_preds', model.predict(x_test))\n" "$base" "$base" >>"$d/$base.nnm"
    (cd "$d" && "$NNMC" run "$base.nnm" --data "$root/data" --seed 2 --epochs 1 --max-samples 200 -q >out 2>&1) ||
        { echo "FAIL emit-predict-$name: nnmc run failed"; tail -3 "$d/out"; return; }
    (cd "$d" && "$NNMC" emit --inference "$base.nnm" --weights "$base.npz" -o p.c 2>err) ||
        { echo "FAIL emit-predict-$name: emit failed"; cat "$d/err"; return; }
    local in=784 out=10
    if ! gcc -std=c11 -Wall -Wextra -pedantic -Werror -O1 -c -o "$d/p.o" "$d/p.c" 2>"$d/cc.err"; then
        echo "FAIL emit-predict-$name: does not compile cleanly"; head -5 "$d/cc.err"; return
    fi
    if command -v clang >/dev/null && ! clang -std=c11 -Wall -Wextra -pedantic -Werror -O1 -c -o "$d/p_clang.o" "$d/p.c" 2>"$d/cc.err"; then
        echo "FAIL emit-predict-$name: clang does not compile it cleanly"; head -5 "$d/cc.err"; return
    fi
    local extra
    extra=$(nm "$d/p.o" | awk '$1 == "U" { print $2 }' | grep -vxE 'memcpy|memset|abort|(exp|expm1|log|log1p|tanh|erf|sqrt|fabs|pow|cos|sin|fma)f?' | tr '\n' ' ')
    [ -z "$extra" ] && echo "ok emit-predict-$name-needs-only-libm" || echo "FAIL emit-predict-$name needs $extra"
    if ! gcc -std=c11 -O1 -I"$d" -DPREDICT="${base}_predict" -DHEADER="\"p.h\"" -DIN=$in -DOUTN=$out \
        -o "$d/drv" "$root/tests/emit/predict_main.c" "$d/p.o" -lz -lm 2>"$d/cc.err"; then
        echo "FAIL emit-predict-$name: the driver does not build"; head -5 "$d/cc.err"; return
    fi
    "$d/drv" "$root/data/mnist/t10k-images-idx3-ubyte.gz" 200 "$d/got.bin"
    if [ "$name" = zoo ] || [ "$name" = graph ]; then # most layer kinds' forward code, under the sanitizers
        if gcc -std=c11 -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -I"$d" \
            -DPREDICT="${base}_predict" -DHEADER="\"p.h\"" -DIN=$in -DOUTN=$out -o "$d/drv_san" \
            "$root/tests/emit/predict_main.c" "$d/p.c" -lz -lm 2>"$d/cc.err" &&
            "$d/drv_san" "$root/data/mnist/t10k-images-idx3-ubyte.gz" 20 "$d/san.bin" 2>"$d/san.err"
        then echo "ok emit-predict-$name-sanitizers"; else echo "FAIL emit-predict-$name-sanitizers"; head -5 "$d/cc.err" "$d/san.err"; fi
    fi
    if tail -c $((200 * out * 4)) "$d/${base}_preds.npy" | cmp -s - "$d/got.bin"; then
        echo "ok emit-predict-$name (200 test images, outputs equal bit for bit)"
    else echo "FAIL emit-predict-$name: outputs differ from nnmc's predictions"; fi
}
if [ -d "$root/data/mnist" ]; then
    predict_test lenet "$root/models/lenet.nnm"
    predict_test zoo "$root/tests/emit/zoo.nnm"
    predict_test zoo1d "$root/tests/emit/zoo1d.nnm"
    predict_test graph "$root/tests/emit/graph.nnm"
    predict_test hostile "$root/tests/emit/hostile.nnm"
    # two inputs and two outputs: f(inputs[], outputs[]), each output equal
    # bit for bit to what a one-output model sharing the layers saves
    d=$tmp/predict_multi_io
    mkdir -p "$d"
    cp "$root/tests/emit/multi_io.nnm" "$d/"
    if (cd "$d" && "$NNMC" run multi_io.nnm --data "$root/data" --seed 2 --epochs 1 --max-samples 200 -q &&
        "$NNMC" emit --inference multi_io.nnm --weights multi_io.npz -o p.c) >"$d/err" 2>&1 &&
        gcc -std=c11 -Wall -Wextra -pedantic -Werror -O1 -c -o "$d/p.o" "$d/p.c" 2>"$d/cc.err" &&
        gcc -std=c11 -O1 -I"$d" -DPREDICT=multi_io_predict -DHEADER="\"p.h\"" -DNIN=2 -DNOUT=2 -DOUTS='{10, 1}' \
            -o "$d/drv" "$root/tests/emit/predict_multi_main.c" "$d/p.o" -lz -lm 2>>"$d/cc.err" &&
        "$d/drv" "$root/data/mnist/t10k-images-idx3-ubyte.gz" 200 "$d/got" &&
        tail -c $((200 * 10 * 4)) "$d/digit.npy" | cmp -s - "$d/got.0" &&
        tail -c $((200 * 4)) "$d/parity.npy" | cmp -s - "$d/got.1"
    then echo "ok emit-predict-multi-io (2 inputs, 2 outputs, 200 test images, outputs equal bit for bit)"
    else echo "FAIL emit-predict-multi-io"; tail -3 "$d/err" "$d/cc.err"; fi
fi

# strict compilers, no BLAS library; every layer kind's code is in every
# program.  --blas (older nnmc's choice of OpenBLAS) is accepted and changes
# no byte.
"$NNMC" emit "$root/models/lenet.nnm" -o "$tmp/lenet.c" || echo "FAIL emit-lenet-writes"
for v in none cblas; do
    "$NNMC" emit "$root/models/lenet.nnm" --blas $v -o "$tmp/lenet_$v.c" && cmp -s "$tmp/lenet.c" "$tmp/lenet_$v.c" &&
        echo "ok emit-blas-$v-ignored" || echo "FAIL emit-blas-$v-ignored: --blas $v changes the program"
done
"$NNMC" emit "$root/tests/emit/hostile.nnm" -o "$tmp/hostile.c"
for cc in gcc clang; do
    command -v $cc >/dev/null || { echo "SKIP emit-strict-$cc: no $cc"; continue; }
    for f in lenet hostile; do
        if $cc -std=c11 -Wall -Wextra -pedantic -Werror -O1 -o "$tmp/strict" "$tmp/$f.c" -lz -lm -lpthread 2>"$tmp/cc.err"
        then echo "ok emit-strict-$cc-$f"; else echo "FAIL emit-strict-$cc-$f"; head -10 "$tmp/cc.err"; fi
    done
done

# sanitizers: a dense and a convolutional model, a few batches
if [ -d "$root/data/mnist" ]; then
    for m in mnist_mlp lenet; do
        "$NNMC" emit "$root/models/$m.nnm" -o "$tmp/san_$m.c"
        if ! gcc -std=c11 -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -o "$tmp/san_$m" \
            "$tmp/san_$m.c" -lz -lm -lpthread 2>"$tmp/cc.err"; then
            echo "FAIL emit-sanitizers-$m: does not compile"; head -5 "$tmp/cc.err"; continue
        fi
        mkdir -p "$tmp/san_run_$m"
        if (cd "$tmp/san_run_$m" && ASAN_OPTIONS=detect_leaks=1 "$tmp/san_$m" --data "$root/data" --epochs 1 \
                --max-samples 64 -q >out 2>err) && ! grep -q "runtime error\|Sanitizer" "$tmp/san_run_$m/err"
        then echo "ok emit-sanitizers-$m"; else echo "FAIL emit-sanitizers-$m"; head -10 "$tmp/san_run_$m/err"; fi
    done
fi

# deterministic, and the generated part of a small model is pinned
"$NNMC" emit "$root/models/lenet.nnm" -o "$tmp/lenet2.c"
cmp -s "$tmp/lenet.c" "$tmp/lenet2.c" && echo "ok emit-deterministic" || echo "FAIL emit-deterministic"
(cd "$root/tests/emit" && "$NNMC" emit small.nnm -o - | sed -n '/^\/\* ==== the program/,$p') >"$tmp/small.c"
if [ "${UPDATE:-0}" = 1 ]; then cp "$tmp/small.c" "$root/tests/emit/small.c"; echo "ok emit-golden (updated)"
elif diff -u "$root/tests/emit/small.c" "$tmp/small.c" >"$tmp/diff"; then echo "ok emit-golden"
else echo "FAIL emit-golden"; head -20 "$tmp/diff"; fi
# `nnmc ir` prints the IR exactly as emit writes it into the program
(cd "$root/tests/emit" && "$NNMC" emit graph.nnm -o - | sed -n '/^\/\* ==== the program: its IR/,/^\/\* model 0 (/p' | head -n -2) >"$tmp/ir_emit"
(cd "$root/tests/emit" && "$NNMC" ir graph.nnm | sed 1,2d) >"$tmp/ir_dump"
if [ -s "$tmp/ir_dump" ] && diff -u "$tmp/ir_emit" "$tmp/ir_dump" >"$tmp/diff"; then echo "ok emit-ir-same"
else echo "FAIL emit-ir-same"; head -20 "$tmp/diff"; fi

# the program part holds nothing unescaped from the file: every line of it
# is C we wrote or a comment/string we escaped; and it really is the runtime
# that is embedded, byte for byte
for f in runtime/gemm.c runtime/layers/dense.c runtime/session.c; do
    if grep -qF -- "---- $f ----" "$tmp/lenet.c" &&
        awk -v f="/* ---- $f ---- */" -v g="/* ---- (back in) $f ---- */" \
            '$0 == f || $0 == g { on = 1; next } /^\/\* ---- / { on = 0 } on' "$tmp/lenet.c" |
        cmp -s - <(grep -v '^#include "' "$root/$f"); then echo "ok emit-embeds-$(basename $f)"
    else echo "FAIL emit-embeds-$(basename $f): the emitted text is not the runtime's"; fi
done

# errors: a directory that does not exist, a compiler that does not exist,
# the input as output; nothing half-written is left behind
"$NNMC" emit "$root/models/lenet.nnm" -o "$tmp/no/such/dir/x.c" 2>"$tmp/err"
rc=$?
[ $rc = 1 ] && grep -q "x.c: cannot write" "$tmp/err" && echo "ok emit-bad-path" || { echo "FAIL emit-bad-path (exit $rc)"; cat "$tmp/err"; }
cp "$root/tests/emit/small.nnm" "$tmp/same.nnm"
(cd "$tmp" && "$NNMC" emit same.nnm -o same.nnm 2>err; echo $? >rc)
[ "$(cat "$tmp/rc")" = 1 ] && cmp -s "$tmp/same.nnm" "$root/tests/emit/small.nnm" && echo "ok emit-keeps-input" || echo "FAIL emit-keeps-input"
(cd "$tmp" && CC=/nonexistent/cc "$NNMC" build same.nnm -o prog >out 2>err; echo $? >rc)
[ "$(cat "$tmp/rc")" = 1 ] && grep -q "cannot run the C compiler" "$tmp/err" && echo "ok build-bad-compiler" || { echo "FAIL build-bad-compiler"; cat "$tmp/err"; }

# the runtime cache: a second build reuses it; an entry with an object
# removed is rebuilt; an unusable cache directory means a whole compile
c=$tmp/cache_test
mkdir -p "$c"
(cd "$tmp" && NNMC_CACHE=$c "$NNMC" build same.nnm -o prog1 >b1 2>&1 && NNMC_CACHE=$c "$NNMC" build same.nnm -o prog2 >b2 2>&1)
if grep -q "compiling the runtime" "$tmp/b1" && ! grep -q "compiling the runtime" "$tmp/b2" && [ -x "$tmp/prog2" ] &&
    [ "$(ls "$c")" = "$(ls "$c" | grep '^rt-')" ]
then echo "ok build-cache-reused (and no work directory left)"; else echo "FAIL build-cache-reused"; cat "$tmp/b1" "$tmp/b2" | cut -c1-200; fi
rm -f "$c"/rt-*/runtime/layers/dense.c.o
(cd "$tmp" && NNMC_CACHE=$c "$NNMC" build same.nnm -o prog3 >b3 2>&1)
[ $? = 0 ] && grep -q "compiling the runtime" "$tmp/b3" && [ -s "$(echo "$c"/rt-*/runtime/layers/dense.c.o)" ] &&
    echo "ok build-cache-repaired" || { echo "FAIL build-cache-repaired"; cut -c1-200 "$tmp/b3"; }
# the runtime nnmc carries (make's seed, compiler/rtcache.h): a first build
# with the default compiler (cc) and flags writes it instead of compiling,
# and the program prints what one built by compiling (gcc, above) prints;
# an entry with an object removed is repaired from it.  Only where make
# built nnmc with its seed (NNMC_SEEDED=yes: make test; not make asan)
if [ "${NNMC_SEEDED:-}" = yes ]; then
    c=$tmp/cache_seed
    (cd "$tmp" && env -u CC NNMC_CACHE=$c "$NNMC" build same.nnm -o prog_seed >bs1 2>&1 &&
        rm -f "$c"/rt-*/runtime/layers/dense.c.o && env -u CC NNMC_CACHE=$c "$NNMC" build same.nnm -o prog_seed2 >bs2 2>&1 &&
        ./prog_seed "${run_args[@]}" >out_seed 2>&1 && ./prog1 "${run_args[@]}" >out_compiled 2>&1)
    if [ $? = 0 ] && grep -q "as compiled when nnmc was built" "$tmp/bs1" && grep -q "as compiled when nnmc was built" "$tmp/bs2" &&
        ! grep -q "compiling the runtime" "$tmp/bs1" "$tmp/bs2" && [ -s "$(echo "$c"/rt-*/runtime/layers/dense.c.o)" ] &&
        grep -q "val_loss" "$tmp/out_seed" && diff <(strip_times "$tmp/out_seed") <(strip_times "$tmp/out_compiled") >/dev/null
    then echo "ok build-cache-seeded (no compile, same figures, repaired)"
    else echo "FAIL build-cache-seeded"; cat "$tmp/bs1" "$tmp/bs2" | cut -c1-200; head -5 "$tmp/out_seed"; fi
else
    echo "SKIP build-cache-seeded: nnmc built without its seed (NNMC_SEEDED=${NNMC_SEEDED:-unset})"
fi
touch "$tmp/not_a_dir"
(cd "$tmp" && NNMC_CACHE=$tmp/not_a_dir/cache "$NNMC" build same.nnm -o prog4 >b4 2>&1)
[ $? = 0 ] && grep -q "no runtime cache" "$tmp/b4" && [ -x "$tmp/prog4" ] && echo "ok build-cache-unusable" ||
    { echo "FAIL build-cache-unusable"; cut -c1-200 "$tmp/b4"; }
(cd "$tmp" && CC=/nonexistent/cc NNMC_CACHE=off "$NNMC" build same.nnm -o prog >out 2>err; echo $? >rc)
[ "$(cat "$tmp/rc")" = 1 ] && grep -q "cannot run the C compiler" "$tmp/err" && echo "ok build-bad-compiler-whole" || { echo "FAIL build-bad-compiler-whole"; cat "$tmp/err"; }
ls "$tmp" | grep -q "\.tmp\." && echo "FAIL emit-leaves-temporaries" || echo "ok emit-leaves-no-temporaries"
exit 0
