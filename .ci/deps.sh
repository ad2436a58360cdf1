#!/usr/bin/env bash
# .ci/deps.sh — installs what building and testing nnmc needs on Debian,
# only when it is missing (so it is fast on a prepared machine).
set -euo pipefail

missing=()
command -v flex  >/dev/null || missing+=(flex)
command -v bison >/dev/null || missing+=(bison)
command -v cc    >/dev/null || missing+=(gcc)
command -v make  >/dev/null || missing+=(make)
# emitted C is tested with clang as well as gcc (tests/emit.sh)
command -v clang >/dev/null || missing+=(clang)
[ -e /usr/include/zlib.h ] || missing+=(zlib1g-dev)
# nnmc predict reads PNG images
[ -e /usr/include/png.h ] || missing+=(libpng-dev)
# tests cross-check values against numpy (Debian's, in /usr/bin/python3)
/usr/bin/python3 -c 'import numpy' 2>/dev/null || missing+=(python3-numpy)
# make bench compares against PyTorch and measures OpenBLAS's sgemm as the
# machine's yardstick (nnmc itself needs no BLAS): NNM_DEPS_BENCH=1 (make
# bench-deps) installs both
if [ "${NNM_DEPS_BENCH:-0}" = 1 ]; then
    /usr/bin/python3 -c 'import torch' 2>/dev/null || missing+=(python3-torch)
    # any one of the places Debian's multiarch layout may put them
    any() { for f in "$@"; do [ -e "$f" ] && return 0; done; return 1; }
    if ! any /usr/include/*/cblas.h /usr/include/cblas.h || ! any /usr/lib/*/libopenblas.so /usr/lib/libopenblas.so; then
        missing+=(libopenblas-dev)
    fi
fi
if [ "${NNM_DEPS_OPTIONAL:-1}" = 1 ]; then
    # only the Fashion-MNIST data set; everything works without it
    [ -d /usr/share/datasets/fashion-mnist ] || missing+=(dataset-fashion-mnist)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
SUDO=
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "deps: need root (or sudo) to apt-get install ${missing[*]}" >&2; exit 1; }
    SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Fashion-MNIST is optional: do not fail the set-up if that package is unavailable
required=()
for p in "${missing[@]}"; do [ "$p" = dataset-fashion-mnist ] || required+=("$p"); done
[ ${#required[@]} -eq 0 ] || $SUDO apt-get install -y -qq "${required[@]}" >/dev/null
if [[ " ${missing[*]} " == *" dataset-fashion-mnist "* ]]; then
    $SUDO apt-get install -y -qq dataset-fashion-mnist >/dev/null || echo "deps: dataset-fashion-mnist not installed (optional)"
fi
