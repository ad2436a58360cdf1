#!/usr/bin/env bash
# bench/augment.sh — what data augmentation costs: one training epoch of
# Keras's cifar10_cnn (models/cifar10_cnn.nnm) against the same net fed by
# ImageDataGenerator (shifts and flips, models/cifar10_cnn_augment.nnm), on
# the first SAMPLES training images (default 10,000), taken in turn RUNS
# times (default 3); the best training time of each and their ratio.
# Issue 5 asks for a ratio under 1.2.  Needs CIFAR-10 in data/; run it on a
# quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${NNM_DATA:-data}
runs=${RUNS:-3}
samples=${SAMPLES:-10000}

[ -s "$data/cifar-10-batches-bin/data_batch_1.bin" ] || { echo "bench/augment.sh: no CIFAR-10 in $data (make data)" >&2; exit 1; }

# seconds of training of one epoch (validation and loading excluded)
seconds() {
    NNM_TIMING=1 ./nnmc run "models/$1.nnm" --data "$data" --epochs 1 --max-samples "$samples" -q 2>&1 >/dev/null |
        sed -n 's/^nnmc: fit: .* in \([0-9.]*\) s of training.*/\1/p'
}

best_plain=0 best_aug=0
for r in $(seq "$runs"); do
    p=$(seconds cifar10_cnn)
    a=$(seconds cifar10_cnn_augment)
    echo "run $r: without augmentation $p s, with $a s"
    best_plain=$(awk -v b="$best_plain" -v x="$p" 'BEGIN { print (b == 0 || x < b) ? x : b }')
    best_aug=$(awk -v b="$best_aug" -v x="$a" 'BEGIN { print (b == 0 || x < b) ? x : b }')
done
echo "best of $runs, $samples images: without $best_plain s, with $best_aug s;" \
    "ratio $(awk -v a="$best_aug" -v b="$best_plain" 'BEGIN { printf "%.2f", a / b }')"
