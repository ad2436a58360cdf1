# tests/e2e/lib.sh — sourced by the e2e tests: finds the repository and the
# binary, checks that MNIST is there, and makes a temporary directory.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NNMC=${NNMC:-./nnmc}
case $NNMC in /*) ;; *) NNMC=$root/$NNMC ;; esac
if [ ! -s "$root/data/mnist/train-images-idx3-ubyte.gz" ]; then
    echo "FAIL $(basename "$0"): no MNIST in data/ (run 'make data')"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
