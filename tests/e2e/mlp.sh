#!/usr/bin/env bash
# tests/e2e/mlp.sh — trains a small MLP on 2,000 MNIST images: it must reach
# 90% test accuracy; the same seed must give the same output and the same
# weight file byte for byte; reloading the weights must give the same score.
source "$(dirname "$0")/lib.sh"
mkdir a b
(cd a && "$NNMC" run "$root/tests/e2e/mlp_small.nnm" --data "$root/data" --seed 7 --threads 2 >out 2>err)
rc=$?
[ $rc -eq 0 ] && echo "ok e2e-runs" || { echo "FAIL e2e-runs (exit $rc)"; cat a/err; exit 0; }
acc=$(sed -n 's/^Test accuracy: //p' a/out)
echo "note e2e accuracy on 2,000 images: $acc"
if awk -v a="$acc" 'BEGIN { exit !(a >= 0.90) }'; then echo "ok e2e-accuracy-90"; else echo "FAIL e2e-accuracy-90 ($acc)"; fi
(cd b && "$NNMC" run "$root/tests/e2e/mlp_small.nnm" --data "$root/data" --seed 7 >out 2>err)
# timings differ between runs; the figures must not
strip() { sed -E 's/ - [0-9]+s( [0-9]+[mu]?s\/step)?//' "$1"; }
if diff <(strip a/out) <(strip b/out) >/dev/null; then echo "ok e2e-same-seed-same-output"; else echo "FAIL e2e-same-seed-same-output"; diff <(strip a/out) <(strip b/out) | head; fi
if cmp -s a/small.weights.npz b/small.weights.npz; then echo "ok e2e-same-seed-same-weights"; else echo "FAIL e2e-same-seed-same-weights"; fi
mkdir c
(cd c && "$NNMC" run "$root/tests/e2e/mlp_small.nnm" --data "$root/data" --seed 7 --threads 1 >out 2>err)
if cmp -s a/small.weights.npz c/small.weights.npz; then echo "ok e2e-same-weights-any-thread-count"; else echo "FAIL e2e-same-weights-any-thread-count"; fi
(cd a && "$NNMC" run "$root/tests/e2e/mlp_reload.nnm" --data "$root/data" >reload 2>err)
acc2=$(sed -n 's/^Test accuracy: //p' a/reload)
if [ -n "$acc2" ] && [ "$acc2" = "$acc" ]; then echo "ok e2e-reload-same-score"; else echo "FAIL e2e-reload-same-score ($acc2 vs $acc)"; cat a/err; fi
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
    if /usr/bin/python3 - a/small.weights.npz <<'PY'
import sys, numpy as np
d = np.load(sys.argv[1])
assert d['dense_1/kernel:0'].shape == (784, 256) and d['dense_1/kernel:0'].dtype == np.float32
assert d['dense_2/bias:0'].shape == (10,)
PY
    then echo "ok e2e-numpy-reads-weights"; else echo "FAIL e2e-numpy-reads-weights"; fi
fi
