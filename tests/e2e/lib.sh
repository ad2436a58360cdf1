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

# run FILE.nnm [OPTION...]: nnmc run on one thread (so figures do not depend
# on the machine), output in ./out and ./err.
run() { "$NNMC" run "$@" --data "$root/data" --threads 1 >out 2>err; }
# expect NAME PATTERN FILE / absent NAME PATTERN FILE: one ok/FAIL line each.
expect() {
    if grep -q -- "$2" "$3"; then echo "ok $1"; else echo "FAIL $1: no '$2' in $3:"; head -5 "$3"; fi
}
absent() {
    if grep -q -- "$2" "$3"; then echo "FAIL $1: '$2' in $3"; else echo "ok $1"; fi
}
# untimed FILE: FILE without the per-epoch and per-step times, which differ
# from run to run.
untimed() { sed -E 's/ - [0-9]+s( [0-9]+[mu]?s\/step)?//' "$1"; }
# built_same NAME FILE.nnm REF_OUT WEIGHTS REF_WEIGHTS [ARG...]: builds FILE
# into ./prog, runs it on one thread with ARGs, and checks that it prints
# REF_OUT (times aside) and writes WEIGHTS byte-identical to REF_WEIGHTS
# (WEIGHTS "-": output only). One ok/FAIL line: NAME.
built_same() {
    local name=$1 src=$2 ref=$3 w=$4 wref=$5
    shift 5
    if ! "$NNMC" build "$src" -o prog >build.log 2>&1; then
        echo "FAIL $name: build failed"; tail -5 build.log; return
    fi
    ./prog --data "$root/data" --threads 1 "$@" >pout 2>perr
    if [ "$(untimed "$ref")" = "$(untimed pout)" ] && { [ "$w" = - ] || cmp -s "$w" "$wref"; }; then echo "ok $name"
    else echo "FAIL $name"; diff <(untimed "$ref") <(untimed pout) | head -5; fi
}
