#!/usr/bin/env bash
# bench/cifar.sh MODEL [LIMIT] — training images/s of a CIFAR-10 model of
# models/ with nnmc and of its PyTorch twin (when /usr/bin/python3 has
# torch) at each thread setting, one after the other, over one epoch of the
# first LIMIT training images.  Prints both, the ratio, the fraction of
# OpenBLAS sgemm's speed on this machine (bench/sgemm_peak.c, measured
# first) and the peak memory of each.  Run it on a quiet machine.
#   resnet9  models/resnet9_cifar.nnm, batch 256, augmentation on, twin
#            bench/resnet9_torch.py; LIMIT default 12800 (50 steps)
#   vgg_bn   models/cifar10_vgg_bn.nnm, batch 64, Adam, twin
#            bench/torch_models.py vgg_bn; LIMIT default 6400 (100 steps)
set -euo pipefail
cd "$(dirname "$0")/.."
data=${NNM_DATA:-data}
model=${1:?usage: bench/cifar.sh resnet9|vgg_bn [LIMIT]}
# FLOPs per image of one training step: the forward pass (convolutions and
# Dense layers), three times over for forward and backward, less the first
# conv's input gradient, which is not computed
case $model in
resnet9)
    file=resnet9_cifar limit=${2:-12800} batch=256
    first=$(( 2*9*32*32*3*32 ))
    fwd=$(( 2*9*(32*32*3*32 + 32*32*32*64 + 2*16*16*64*64 + 16*16*64*128 + 8*8*128*256 + 2*4*4*256*256) + 2*256*10 ))
    torch_run() { /usr/bin/python3 bench/resnet9_torch.py "$data" "$1" 1 "$limit" | tail -1; } ;;
vgg_bn)
    file=cifar10_vgg_bn limit=${2:-6400} batch=64
    first=$(( 2*9*32*32*3*32 ))
    fwd=$(( 2*9*(32*32*3*32 + 32*32*32*32 + 16*16*32*64 + 16*16*64*64 + 8*8*64*128 + 8*8*128*128) + 2*(2048*128 + 128*10) ))
    torch_run() { /usr/bin/python3 bench/torch_models.py vgg_bn "$data" "$1" "$limit" | tail -1; } ;;
*) echo "bench/cifar.sh: unknown model '$model' (resnet9 or vgg_bn)" >&2; exit 2 ;;
esac
flops=$(( 3*fwd - first ))

. bench/peak.sh
echo "$file: $(awk -v f="$fwd" 'BEGIN { printf "%.0f", f / 1e6 }') MFLOP per image forward, $limit images, batch $batch"

# in a directory of its own: the model file saves its weights
here=$(pwd)
case $data in /*) ;; *) data=$here/$data ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$( { cd "$tmp" && NNM_TIMING=1 /usr/bin/time -f "maxrss %M" "$here/nnmc" run "$here/models/$file.nnm" \
         --data "$data" --epochs 1 --max-samples "$limit" -q; } 2>&1 )
ips=$(printf '%s\n' "$out" | sed -n 's/.*fit: .* (\([0-9]*\) samples\/s).*/\1/p')
kb=$(printf '%s\n' "$out" | sed -n 's/^maxrss \([0-9]*\)$/\1/p')
[ -n "$ips" ] || { printf '%s\n' "$out" | tail -5; exit 1; }
gf=$(awk -v i="$ips" -v f="$flops" 'BEGIN { printf "%.1f", i * f / 1e9 }')
echo "nnmc: $ips images/s = $gf GFLOP/s ($(awk -v g="$gf" -v p="$peak" 'BEGIN { printf "%.0f", 100 * g / p }')% of sgemm), max RSS $((kb / 1024)) MiB"

if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    echo "pytorch: not installed (make bench-deps) - skipped"
    echo "result $model $ips 0 $(awk -v g="$gf" -v p="$peak" 'BEGIN { printf "%.0f", 100 * g / p }') $((kb / 1024)) 0 $peak"
    exit 0
fi
tbest=0
cfg=
trss=0
for tt in 1 2; do
    line=$(OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=$tt torch_run "$tt")
    tips=$(printf '%s\n' "$line" | sed -n 's/^images\/s \([0-9]*\).*/\1/p')
    mib=$(printf '%s\n' "$line" | sed -n 's/.*max RSS \([0-9]*\) MiB.*/\1/p')
    echo "pytorch threads=$tt: $tips images/s, max RSS $mib MiB"
    if [ "${tips:-0}" -gt "$tbest" ]; then tbest=$tips; cfg="threads $tt"; trss=$mib; fi
done
tgf=$(awk -v i="$tbest" -v f="$flops" 'BEGIN { printf "%.1f", i * f / 1e9 }')
echo "pytorch best: $tbest images/s ($cfg) = $tgf GFLOP/s, max RSS $trss MiB"
echo "ratio $file nnmc/pytorch: $(awk -v a="$ips" -v b="$tbest" 'BEGIN { printf "%.2f", a / b }')"
# for bench/table.py: model, images/s of nnmc and PyTorch, % of sgemm, peak MiB of each, sgemm GFLOP/s
echo "result $model $ips $tbest $(awk -v g="$gf" -v p="$peak" 'BEGIN { printf "%.0f", 100 * g / p }') $((kb / 1024)) $trss $peak"
