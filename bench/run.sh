#!/usr/bin/env bash
# bench/run.sh [MODEL...] — images/s of one training epoch (60,000 MNIST
# images, batch 128) with nnmc, and of the same model in PyTorch (when
# /usr/bin/python3 has torch) at each thread setting, one after the other;
# prints both, the ratio, the fraction of what OpenBLAS sgemm reaches on
# this machine's cores (measured first, bench/sgemm_peak.c), and the peak
# memory (max RSS) of each.
# MODEL: mlp (784-1000-300-10, RMSprop), lenet (RMSprop), mnist_cnn
# (Adadelta); default all three.  Run it on a quiet machine: `make bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${NNM_DATA:-data}
runs=${RUNS:-3}
models=${*:-mlp lenet mnist_cnn}

# FLOPs of one training step per image: forward, plus twice the forward for
# the backward pass, less the input gradient of the first layer.
flops_of() {
    case $1 in
    mlp) echo $(( 2*(784*1000 + 1000*300 + 300*10)*3 - 2*784*1000 )) ;;
    lenet) echo $(( 2*(28*28*20*25 + 14*14*50*500 + 2450*500 + 500*10)*3 - 2*28*28*20*25 )) ;;
    mnist_cnn) echo $(( 2*(26*26*32*9 + 24*24*64*288 + 9216*128 + 128*10)*3 - 2*26*26*32*9 )) ;;
    esac
}

. bench/peak.sh

for m in $models; do
    echo "== $m"
    best=0
    rss=0
    for r in $(seq "$runs"); do
        out=$( { NNM_TIMING=1 /usr/bin/time -f "maxrss %M" ./nnmc run "bench/$m.nnm" --data "$data" -q; } 2>&1 )
        ips=$(printf '%s\n' "$out" | sed -n 's/.*fit: .* (\([0-9]*\) samples\/s).*/\1/p')
        kb=$(printf '%s\n' "$out" | sed -n 's/^maxrss \([0-9]*\)$/\1/p')
        echo "nnmc run $r: $ips images/s, max RSS $((kb / 1024)) MiB"
        if [ "${ips:-0}" -gt "$best" ]; then best=$ips; rss=$((kb / 1024)); fi
    done
    flops=$(flops_of "$m")
    gf=$(awk -v i="$best" -v f="$flops" 'BEGIN { printf "%.1f", i * f / 1e9 }')
    echo "nnmc $m: $best images/s = $gf GFLOP/s ($(awk -v g="$gf" -v p="$peak" 'BEGIN { printf "%.0f", 100 * g / p }')% of sgemm's $peak GFLOP/s), max RSS $rss MiB"
    if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
        tbest=0
        cfg=
        trss=0
        for tt in 1 2; do
            for bt in 1 2; do
                for r in $(seq "$runs"); do
                    line=$(OPENBLAS_NUM_THREADS=$bt OMP_NUM_THREADS=$tt /usr/bin/python3 bench/torch_models.py "$m" "$data" "$tt")
                    ips=$(printf '%s\n' "$line" | sed -n 's/^images\/s \([0-9]*\).*/\1/p')
                    mib=$(printf '%s\n' "$line" | sed -n 's/.*max RSS \([0-9]*\) MiB.*/\1/p')
                    echo "pytorch torch_threads=$tt openblas_threads=$bt run $r: $ips images/s, max RSS $mib MiB"
                    if [ "${ips:-0}" -gt "$tbest" ]; then tbest=$ips; cfg="torch $tt, OpenBLAS $bt"; trss=$mib; fi
                done
            done
        done
        tgf=$(awk -v i="$tbest" -v f="$flops" 'BEGIN { printf "%.1f", i * f / 1e9 }')
        echo "pytorch $m best: $tbest images/s ($cfg) = $tgf GFLOP/s, max RSS $trss MiB"
        echo "ratio $m nnmc/pytorch: $(awk -v a="$best" -v b="$tbest" 'BEGIN { printf "%.2f", a / b }')"
    else
        echo "pytorch: not installed (apt-get install python3-torch) - skipped"
        tbest=0 trss=0
    fi
    # for bench/table.py: model, images/s of nnmc and PyTorch, % of sgemm, peak MiB of each, sgemm GFLOP/s
    echo "result $m $best $tbest $(awk -v g="$gf" -v p="$peak" 'BEGIN { printf "%.0f", 100 * g / p }') $rss $trss $peak"
done
