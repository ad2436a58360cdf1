#!/usr/bin/env bash
# tests/files.sh — damaged files of every kind nnmc reads besides model
# files, through the fuzzing harness fuzz/fuzz_files.c ($FUZZ_FILES, built
# by `make test`): checkpoints (with a valid checksum, so the fields behind
# it are tried), .npz weights, PNG/PGM/IDX images, CSV, IDX and CIFAR data.
# Each seed, then each of its truncations and byte changes, must end in
# status 0 with no sanitizer report (a reader's error is fine; a crash is
# not); and checkpoints whose fields lie are refused by name.
root=$(cd "$(dirname "$0")/.." && pwd)
h=${FUZZ_FILES:-}
if [ -z "$h" ]; then echo "SKIP files.sh: FUZZ_FILES not set (make test sets it)"; exit 0; fi
case $h in /*) ;; *) h=$root/$h ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export FUZZ_WORK=$tmp/work
mkdir "$tmp/seeds" "$tmp/cases"
if FUZZ_VERBOSE=1 "$h" --seeds "$tmp/seeds" >"$tmp/out" 2>&1 && [ "$(ls "$tmp/seeds" | wc -l)" -ge 14 ]; then
    echo "ok files-seeds"
else
    echo "FAIL files-seeds"; head -5 "$tmp/out"; exit 0
fi

# a seed must reach its reader's success path: predictions printed, history restored
replay() { FUZZ_VERBOSE=1 timeout 60 "$h" "$1" >"$tmp/out" 2>&1; }
replay "$tmp/seeds/checkpoint"
if grep -q '^\[.*, .*, .*\]$' "$tmp/out"; then echo "ok files-checkpoint-seed-resumes"; else echo "FAIL files-checkpoint-seed-resumes"; head -5 "$tmp/out"; fi
for s in png pgm npz idx-image; do
    replay "$tmp/seeds/$s"
    if grep -q '%)' "$tmp/out"; then echo "ok files-seed-$s-predicts"; else echo "FAIL files-seed-$s-predicts"; head -5 "$tmp/out"; fi
done

# the kinds that go beyond one reader: a deflated .npz predicts; MNIST
# images of the wrong size are refused by name; a FIFO is refused, not waited on
replay "$tmp/seeds/npz-deflated"
if grep -q '%)' "$tmp/out"; then echo "ok files-seed-npz-deflated-predicts"; else echo "FAIL files-seed-npz-deflated-predicts"; head -5 "$tmp/out"; fi
replay "$tmp/seeds/mnist-28"
if [ ! -s "$tmp/out" ]; then echo "ok files-seed-mnist-28-trains"; else echo "FAIL files-seed-mnist-28-trains"; head -5 "$tmp/out"; fi
replay "$tmp/seeds/mnist-32"
if grep -q 'train-images-idx3-ubyte.gz: its samples have 1024 values' "$tmp/out"; then echo "ok files-seed-mnist-32-refused"
else echo "FAIL files-seed-mnist-32-refused"; head -5 "$tmp/out"; fi
replay "$tmp/seeds/special"
if grep -q 'is a FIFO' "$tmp/out"; then echo "ok files-seed-special-refused"; else echo "FAIL files-seed-special-refused"; head -5 "$tmp/out"; fi

# deterministic damage: truncations and changed bytes of every seed
/usr/bin/python3 - "$tmp/seeds" "$tmp/cases" <<'X'
import os, random, sys
src, dst = sys.argv[1], sys.argv[2]
rnd = random.Random(5)
for name in sorted(os.listdir(src)):
    b = open(os.path.join(src, name), 'rb').read()
    for k in range(12):
        c = bytearray(b)
        if k < 4:
            c = c[:1 + rnd.randrange(len(c) - 1)]
        else:
            for _ in range(1 + k // 4):
                i = 1 + rnd.randrange(len(c) - 1)
                c[i] = rnd.choice([0, 0xff, 0x7f, 0x80, c[i] ^ (1 << rnd.randrange(8))])
        open(os.path.join(dst, '%s-%02d' % (name, k)), 'wb').write(bytes(c))
X
n=0 crashed=0
for f in "$tmp"/cases/*; do
    n=$((n + 1))
    timeout 60 "$h" "$f" >/dev/null 2>"$tmp/err"
    rc=$?
    if [ $rc -ne 0 ] || [ -s "$tmp/err" ]; then
        crashed=$((crashed + 1))
        echo "FAIL files-damaged ${f##*/} (exit $rc)"; head -5 "$tmp/err"
    fi
done
[ $crashed -eq 0 ] && echo "ok files-damaged ($n damaged files, clean ends)"

# inputs that once crashed a reader (fuzz findings: the first byte picks the
# reader, as in fuzz/fuzz_files.c; checkpoints fit the harness's own program)
for f in "$root"/tests/files/*; do
    [ -e "$f" ] || continue
    timeout 60 "$h" "$f" >/dev/null 2>"$tmp/err"
    rc=$?
    if [ $rc -eq 0 ] && [ ! -s "$tmp/err" ]; then echo "ok files-found-${f##*/}"
    else echo "FAIL files-found-${f##*/} (exit $rc)"; head -5 "$tmp/err"; fi
done

# checkpoints that lie behind a valid checksum: the sample order is not a
# permutation, a CSV column count no run has, a negative counter
lie() { # name offset-finder
    /usr/bin/python3 - "$tmp/seeds/checkpoint" "$tmp/lie" "$1" <<'X'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
what = sys.argv[3]
body = b[1:-4]
# the fit's order: n (int64) then n int64 forming a permutation of 0..n-1
for at in range(0, len(body) - 8, 1):
    n = struct.unpack_from('<q', body, at)[0]
    if 4 <= n <= 64 and at + 8 + 8 * n <= len(body):
        v = struct.unpack_from('<%dq' % n, body, at + 8)
        if sorted(v) == list(range(n)):
            break
else:
    sys.exit('no sample order found')
order_at = 1 + at + 8
end = order_at + 8 * n
if what == 'order':
    struct.pack_into('<q', b, order_at, struct.unpack_from('<q', b, order_at + 8)[0])
elif what == 'csvkeys':  # the last callback's (CSVLogger's) column count: the body's last int64
    struct.pack_into('<q', b, len(b) - 4 - 8, 1 << 40)
elif what == 'wait':     # the first callback's wait, after n, the order, ncallbacks and best
    struct.pack_into('<q', b, end + 8 + 8, -3)
open(sys.argv[2], 'wb').write(bytes(b))
X
}
for what in order csvkeys wait; do
    if ! lie $what; then echo "FAIL files-checkpoint-lie-$what: could not make it"; continue; fi
    FUZZ_VERBOSE=1 timeout 60 "$h" "$tmp/lie" >"$tmp/out" 2>&1
    if grep -q "checkpoint.nnmc: does not fit this program" "$tmp/out"; then echo "ok files-checkpoint-lie-$what"
    else echo "FAIL files-checkpoint-lie-$what"; head -5 "$tmp/out"; fi
done
