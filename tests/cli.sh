#!/usr/bin/env bash
# tests/cli.sh — command-line behaviour, exit statuses, and inputs built on
# the fly (too big to keep in git): deep nesting must be refused cleanly.
cd "$(dirname "$0")/.."
NNMC=${NNMC:-./nnmc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
t() { # name expected-status command...
    local name=$1 want=$2
    shift 2
    timeout 60 "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ $rc -eq "$want" ]; then echo "ok $name"; else echo "FAIL $name: exit $rc, expected $want"; head -3 "$tmp/err"; fi
}
has() { # name file pattern
    if grep -q -- "$3" "$2"; then echo "ok $1"; else echo "FAIL $1: no '$3' in output"; head -5 "$2"; fi
}

t help 0 "$NNMC" --help
has help-lists-run "$tmp/out" "run FILE.nnm"
t version 0 "$NNMC" --version
has version-text "$tmp/out" "^nnmc "
t no-args 2 "$NNMC"
t unknown-command 2 "$NNMC" frobnicate x.nnm
t unknown-option 2 "$NNMC" run --bogus models/mnist_mlp.nnm
t missing-value 2 "$NNMC" run models/mnist_mlp.nnm --seed
t no-file 2 "$NNMC" run
t two-files 2 "$NNMC" check a.nnm b.nnm
t bad-seed 1 "$NNMC" run models/mnist_mlp.nnm --seed -3
t bad-epochs 1 "$NNMC" run models/mnist_mlp.nnm --epochs 0
t bad-threads 1 "$NNMC" run models/mnist_mlp.nnm --threads x
t missing-file 1 "$NNMC" check "$tmp/nope.nnm"
has missing-file-named "$tmp/err" "nope.nnm: cannot open"
t directory 1 "$NNMC" check "$tmp"
t emit-no-file 2 "$NNMC" emit
t emit-bad-blas 2 "$NNMC" emit models/lenet.nnm --blas mkl
t emit-o-needs-value 2 "$NNMC" emit models/lenet.nnm -o
t emit-inference-needs-weights 2 "$NNMC" emit --inference models/lenet.nnm
t emit-weights-needs-inference 2 "$NNMC" emit models/lenet.nnm --weights w.npz
t emit-inference-missing-weights 1 "$NNMC" emit --inference models/lenet.nnm --weights "$tmp/none.npz" -o "$tmp/p.c"
has emit-inference-missing-named "$tmp/err" "none.npz"
[ ! -e "$tmp/p.c" ] && [ ! -e "$tmp/p.h" ] && echo "ok emit-inference-leaves-nothing" || echo "FAIL emit-inference-leaves-nothing"
t emit-bad-model 1 "$NNMC" emit tests/diag/$(ls tests/diag | grep '\.nnm$' | head -1) -o "$tmp/bad.c"
[ ! -e "$tmp/bad.c" ] && echo "ok emit-bad-model-writes-nothing" || echo "FAIL emit-bad-model-writes-nothing"
t emit-stdout 0 "$NNMC" emit models/mnist_mlp.nnm -o -
has emit-stdout-main "$tmp/out" "^int main(int argc, char \*\*argv)"
t check-ok 0 "$NNMC" check models/mnist_mlp.nnm
has check-total "$tmp/out" "Total params: 669,706"

# 200,000 nested brackets, a 200,000-long unary chain, a long attribute chain
rep() { yes "$1" | head -n 200000 | tr -d '\n'; } # 200,000 copies of $1
{ printf 'x = '; rep '('; echo 1; } >"$tmp/deep.nnm"
t deep-brackets 1 "$NNMC" check "$tmp/deep.nnm"
has deep-brackets-msg "$tmp/err" "nested too deeply"
{ printf 'x = '; rep '-'; echo 1; } >"$tmp/unary.nnm"
t deep-unary 1 "$NNMC" check "$tmp/unary.nnm"
{ printf 'x = a'; rep '.b'; echo; } >"$tmp/attr.nnm"
t deep-attr 1 "$NNMC" check "$tmp/attr.nnm"
{ printf 'x = 1'; rep ' + 1'; echo; } >"$tmp/sum.nnm"
t long-sum 1 "$NNMC" check "$tmp/sum.nnm"
{ printf 'x = ['; rep '1, '; echo '1]'; } >"$tmp/list.nnm"
t long-list 0 "$NNMC" check "$tmp/list.nnm"
awk 'BEGIN { for (i = 0; i < 5000; i++) print "x = (1 +)" }' >"$tmp/many.nnm"
t many-errors 1 "$NNMC" check "$tmp/many.nnm"
has many-errors-capped "$tmp/err" "too many errors"

# data problems name the file; nnmc check needs no data
mkdir -p "$tmp/data/mnist"
t check-without-data 0 env NNM_DATA="$tmp/data" "$NNMC" check models/mnist_mlp.nnm
t run-without-data 1 "$NNMC" run models/mnist_mlp.nnm --data "$tmp/data"
has no-data-named "$tmp/err" "train-images-idx3-ubyte.gz: no such file"

# work grows linearly with the input: these must finish well within 5 s
for i in $(seq 1 200000); do echo "a$i = $i"; done >"$tmp/names.nnm"
t many-names-fast 0 timeout 5 "$NNMC" check "$tmp/names.nnm"
{ printf "s = '"; rep 'x\'; echo; } >"$tmp/longstr.nnm"
t long-string-fast 1 timeout 5 "$NNMC" check "$tmp/longstr.nnm"
{ echo "m = Sequential()"; echo "m.add(Dense(2, input_dim=2))"; yes "m.add(Dense(2))" | head -n 20000; } >"$tmp/layers.nnm"
t many-layers-fast 1 timeout 5 "$NNMC" check "$tmp/layers.nnm"
has many-layers-msg "$tmp/err" "at most 1000 layers"

# nnmc dot: one box per layer with its shapes, an arrow between neighbours
t dot-lenet 0 "$NNMC" dot models/lenet.nnm
has dot-graph "$tmp/out" "^digraph model {"
has dot-layer-shapes "$tmp/out" 'conv2d_1: Conv2D|{input:|output:}|{(None, 28, 28, 1)|(None, 28, 28, 20)}'
n=$(grep -c -- '->' "$tmp/out"); [ "$n" = "$(grep -c 'label=' "$tmp/out" | awk '{ print $1 - 1 }')" ] &&
    echo "ok dot-arrows" || echo "FAIL dot-arrows ($n)"
t dot-to-file 0 "$NNMC" dot models/mnist_mlp.nnm -o "$tmp/m.dot"
[ -s "$tmp/m.dot" ] && echo "ok dot-file-written" || echo "FAIL dot-file-written"
if command -v dot >/dev/null; then
    dot -Tsvg "$tmp/m.dot" -o "$tmp/m.svg" && grep -q "<svg" "$tmp/m.svg" && echo "ok dot-renders" || echo "FAIL dot-renders"
fi
t dot-bad-model 1 "$NNMC" dot tests/diag/callbacks.nnm
