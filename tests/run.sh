#!/usr/bin/env bash
# tests/run.sh NNMC UNIT — runs every test suite; the last line is
# "N passed, N failed".  UPDATE=1 rewrites the golden files instead of
# comparing (review the diff before committing).
#
#   tests/lex/*.nnm     + .tokens   `nnmc tokens`
#   tests/parse/*.nnm   + .ast      `nnmc ast`
#   tests/ir/*.nnm      + .ir       `nnmc ir`: the IR with every attribute
#   tests/check/*.nnm   + .out      `nnmc check` stdout: shapes, parameter counts
#   tests/diag/*.nnm    + .err      `nnmc check` exact stderr, exit status 1
#   tests/bad/*                     must fail cleanly: status 1, no crash, no hang
#   tests/cli.sh                    command-line behaviour
#   tests/files.sh                  damaged checkpoints, weights, images, data (FUZZ_FILES)
#   tests/guarantees.sh             docs/guarantees.md: bad input, outputs, kills (needs `make data`)
#   tests/isa.sh                    every --isa gives the same figures and weights
#   UNIT (tests/unit/*.c)           gradients, optimizers, kernels, IDX, npz
#   tests/e2e/*.sh                  training on MNIST (needs `make data`)
set -u
NNMC=${1:-./nnmc}
UNIT=${2:-}
cd "$(dirname "$0")/.."
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
export NNMC
# nnmc build's compiled runtime (compiler/rtcache.c): one cache for the run,
# starting empty, never the user's
NNMC_CACHE=$(mktemp -d /tmp/nnmc_cache.XXXXXX)
export NNMC_CACHE
trap 'rm -rf "$NNMC_CACHE"' EXIT
# The stored training figures (tests/models/*.run) are exact to the last
# digit on any machine: every matrix product is nnmc's own (runtime/gemm.c),
# whose bits no CPU or library choice changes.

golden() { # suite command ext
    local dir=$1 cmd=$2 ext=$3 src want got
    for src in tests/$dir/*.nnm; do
        [ -e "$src" ] || continue
        want=${src%.nnm}.$ext
        if [ "$ext" = err ]; then
            got=$(timeout 20 "$NNMC" $cmd "$src" 2>&1 >/dev/null; echo "exit $?")
        else
            got=$(timeout 20 "$NNMC" $cmd "$src" 2>&1; echo "exit $?")
        fi
        if [ "${UPDATE:-0}" = 1 ]; then printf '%s\n' "$got" >"$want"; ok; continue; fi
        if [ -e "$want" ] && printf '%s\n' "$got" | diff -u "$want" - >/tmp/nnm_diff.$$; then ok
        else bad "$src"; head -20 /tmp/nnm_diff.$$; fi
    done
}

golden lex tokens tokens
golden parse ast ast
golden ir ir ir
golden check check out
golden diag check err

# broken input of every kind: a clean error (status 1), never a signal or a hang
for f in tests/bad/*; do
    [ -e "$f" ] || continue
    timeout 20 "$NNMC" check "$f" >/dev/null 2>/tmp/nnm_err.$$
    rc=$?
    if [ $rc -eq 1 ] && grep -q "error" /tmp/nnm_err.$$; then ok
    else bad "$f (exit $rc)"; head -5 /tmp/nnm_err.$$; fi
done

if [ -n "$UNIT" ]; then
    out=$("$UNIT" 2>&1)
    rc=$?
    n_ok=$(printf '%s\n' "$out" | sed -n 's/^unit: \([0-9]*\) checks passed, \([0-9]*\) failed$/\1/p')
    n_bad=$(printf '%s\n' "$out" | sed -n 's/^unit: \([0-9]*\) checks passed, \([0-9]*\) failed$/\2/p')
    if [ $rc -eq 0 ] && [ -n "$n_ok" ] && [ "$n_bad" = 0 ]; then pass=$((pass + n_ok))
    else fail=$((fail + ${n_bad:-1})); printf '%s\n' "$out" | grep -v '^ok' | tail -30; fi
fi

for t in tests/cli.sh tests/files.sh tests/guarantees.sh tests/models.sh tests/emit.sh tests/isa.sh tests/e2e/*.sh; do
    [ "${t##*/}" = lib.sh ] && continue
    [ -e "$t" ] || continue
    out=$(bash "$t" 2>&1)
    rc=$?
    p=$(printf '%s\n' "$out" | grep -c '^ok ')
    f=$(printf '%s\n' "$out" | grep -c '^FAIL ')
    pass=$((pass + p))
    fail=$((fail + f))
    printf '%s\n' "$out" | grep -E '^(FAIL|SKIP|note)' || true
    if [ $rc -ne 0 ] && [ "$f" = 0 ]; then bad "$t exited with $rc"; printf '%s\n' "$out" | tail -5; fi
done

rm -f /tmp/nnm_diff.$$ /tmp/nnm_err.$$
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
