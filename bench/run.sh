#!/usr/bin/env bash
# bench/run.sh — images/s of one training epoch of bench/mlp.nnm with nnmc,
# and of the same model in PyTorch (when /usr/bin/python3 has torch) at each
# thread setting; prints both, the ratio, and how close nnmc comes to the
# 195 GFLOP/s that OpenBLAS sgemm reaches on the 2 cores.
# Run it on a quiet machine: `make bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${NNM_DATA:-data}
runs=${RUNS:-3}
# FLOPs per image of one training step: forward 2*(784*1000 + 1000*300 + 300*10),
# backward twice that except the input gradient of the first layer (2*784*1000).
flops=$(( 2*(784*1000 + 1000*300 + 300*10) * 3 - 2*784*1000 ))

best_nnmc=0
for r in $(seq "$runs"); do
    ips=$(NNM_TIMING=1 ./nnmc run bench/mlp.nnm --data "$data" -q 2>&1 | sed -n 's/.*fit: .* (\([0-9]*\) samples\/s).*/\1/p')
    echo "nnmc run $r: $ips images/s"
    [ "${ips:-0}" -gt "$best_nnmc" ] && best_nnmc=$ips
done
gflops=$(awk -v i="$best_nnmc" -v f="$flops" 'BEGIN { printf "%.1f", i * f / 1e9 }')
echo "nnmc: $best_nnmc images/s = $gflops GFLOP/s ($(awk -v g="$gflops" 'BEGIN { printf "%.0f", 100 * g / 195 }')% of 195 GFLOP/s)"

if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    best_torch=0
    best_cfg=
    for tt in 1 2; do
        for bt in 1 2; do
            for r in $(seq "$runs"); do
                ips=$(OPENBLAS_NUM_THREADS=$bt OMP_NUM_THREADS=$tt /usr/bin/python3 bench/torch_mlp.py "$data" "$tt" | sed -n 's/^images\/s \([0-9]*\).*/\1/p')
                echo "pytorch torch_threads=$tt openblas_threads=$bt run $r: $ips images/s"
                if [ "${ips:-0}" -gt "$best_torch" ]; then best_torch=$ips; best_cfg="torch $tt, OpenBLAS $bt"; fi
            done
        done
    done
    echo "pytorch best: $best_torch images/s ($best_cfg)"
    echo "ratio nnmc/pytorch: $(awk -v a="$best_nnmc" -v b="$best_torch" 'BEGIN { printf "%.2f", a / b }')"
else
    echo "pytorch: not installed (apt-get install python3-torch) - skipped"
fi
