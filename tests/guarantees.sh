#!/usr/bin/env bash
# tests/guarantees.sh — what docs/guarantees.md promises, one class of
# defect at a time: bad input of any kind ends in a clear error naming the
# file (exit status 1), never a crash, a hang, memory exhausted or a user's
# file destroyed; outputs go whole to regular files and in place to devices
# and pipes; a killed run resumes to the log an uninterrupted one writes.
# The inputs are made here (python3 for the binary ones).
root=$(cd "$(dirname "$0")/.." && pwd)
NNMC=${NNMC:-./nnmc}
case $NNMC in /*) ;; *) NNMC=$root/$NNMC ;; esac
PY=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
DATA=$root/data
export DATA
[ -s "$DATA/mnist/train-images-idx3-ubyte.gz" ] || { echo "FAIL guarantees: no MNIST in data/ (run 'make data')"; exit 0; }

# t NAME STATUS COMMAND...: exit status STATUS within 60 s; output in out, err
t() {
    local name=$1 want=$2
    shift 2
    timeout 60 "$@" >out 2>err
    local rc=$?
    if [ $rc -eq "$want" ]; then echo "ok $name"; else echo "FAIL $name: exit $rc, expected $want"; head -5 err; fi
}
has() { # NAME FILE PATTERN
    if grep -q -- "$3" "$2"; then echo "ok $1"; else echo "FAIL $1: no '$3' in $2"; head -5 "$2"; fi
}
yes_() { # NAME COMMAND...: the command succeeds
    local name=$1
    shift
    if "$@"; then echo "ok $name"; else echo "FAIL $name"; fi
}
# a sanitizer report is a crash, whatever the exit status
clean() { if grep -q "Sanitizer\|runtime error:" err; then echo "FAIL $1: sanitizer report"; head -5 err; else echo "ok $1"; fi; }

# the smallest model on MNIST: a softmax regression
model() { # FILE [EXTRA-LINES]
    cat >"$1" <<EOF
(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train = x_train.reshape(60000, 784) / 255
x_test = x_test.reshape(10000, 784) / 255
y_train = keras.utils.to_categorical(y_train, 10)
y_test = keras.utils.to_categorical(y_test, 10)
model = Sequential()
model.add(Dense(10, activation='softmax', input_shape=(784,)))
model.compile(loss='categorical_crossentropy', optimizer=SGD(lr=0.1), metrics=['accuracy'])
$2
EOF
}
# nnmc run, one thread, quiet (a script, so that timeout can ./run it)
printf '#!/bin/sh\nexec "%s" run "$@" --threads 1 -q\n' "$NNMC" >run && chmod +x run

# IDX data sets of any image size: DIR/mnist/ with N training images of HxW
$PY - <<'X'
import gzip, os, struct
def idx(path, magic, dims, body):
    with gzip.open(path, 'wb', compresslevel=1) as f:
        f.write(struct.pack('>I', magic) + b''.join(struct.pack('>I', d) for d in dims) + body)
for name, h, w in (('d32', 32, 32), ('d20', 20, 20), ('d28', 28, 28)):
    os.makedirs(name + '/mnist')
    for part, n in (('train', 300), ('t10k', 100)):
        idx('%s/mnist/%s-images-idx3-ubyte.gz' % (name, part), 0x803, (n, h, w), bytes(i % 251 for i in range(n * h * w)))
        idx('%s/mnist/%s-labels-idx1-ubyte.gz' % (name, part), 0x801, (n,), bytes(i % 10 if name != 'd28' else 0 for i in range(n)))
X

# ---- 1. data that does not hold what the model was compiled for -------------
model m.nnm "model.fit(x_train[:200], y_train[:200], epochs=1)
model.evaluate(x_test, y_test)"
for d in d32 d20; do
    t "per-sample-$d" 1 "$NNMC" run m.nnm --data $d --threads 1 -q
    has "per-sample-$d-named" err "$d/mnist/train-images-idx3-ubyte.gz: its samples have"
    clean "per-sample-$d-clean"
done
model ev.nnm "model.evaluate(x_test, y_test)"
t per-sample-evaluate 1 "$NNMC" run ev.nnm --data d32 --threads 1 -q
has per-sample-evaluate-named err "t10k-images-idx3-ubyte.gz: its samples have 1024 values"
model vd.nnm "model.fit(x_train[:10], y_train[:10], epochs=1, validation_data=(x_test, y_test))"
mkdir -p mix/mnist && cp $DATA/mnist/train-* mix/mnist/ && cp d32/mnist/t10k-* mix/mnist/
t per-sample-validation 1 "$NNMC" run vd.nnm --data mix --threads 1 -q
has per-sample-validation-named err "t10k-images-idx3-ubyte.gz: its samples have 1024 values"
if [ -n "${GUARANTEES_BUILD:-1}" ] && "$NNMC" build m.nnm -o prog >build.log 2>&1; then
    t per-sample-built-program 1 ./prog --data d32 --threads 1 -q
    has per-sample-built-program-named err "train-images-idx3-ubyte.gz: its samples have 1024 values"
else
    echo "FAIL per-sample-built-program: nnmc build failed"; tail -3 build.log
fi

# ---- 2. outputs: devices and pipes written in place, never replaced ----------
# On device nodes of its own where it may make them (as root), so that a
# regression replaces those, not the system's /dev/null.  Standard output
# goes by /proc/self/fd/1, one of the names nnmc treats as standard output
# with /dev/stdout, which a regression could not replace.
model o.nnm
if mknod null c 1 3 2>/dev/null && mknod full c 1 7 && : >null 2>/dev/null; then
    DEVNULL=$tmp/null DEVFULL=$tmp/full
else
    echo "SKIP guarantees-devices: cannot make device nodes here (not root, or /tmp is nodev)"
    DEVNULL= DEVFULL=
fi
dev() { [ -z "$DEVNULL" ] || "$@"; } # only with device nodes of this test's own
dev t emit-dev-null 0 "$NNMC" emit o.nnm -o $DEVNULL
dev yes_ dev-null-still-a-device test -c $DEVNULL
dev t dot-dev-null 0 "$NNMC" dot o.nnm -o $DEVNULL
dev yes_ dev-null-still-a-device-2 test -c $DEVNULL
dev t emit-dev-full 1 "$NNMC" emit o.nnm -o $DEVFULL
dev has emit-dev-full-says err "full: cannot write"
dev yes_ dev-full-still-a-device test -c $DEVFULL
dev t dot-dev-full 1 "$NNMC" dot o.nnm -o $DEVFULL
t emit-stdout-dash 0 "$NNMC" emit o.nnm -o -
has emit-stdout-dash-text out "Generated by nnmc"
t dot-stdout 0 "$NNMC" dot o.nnm -o /proc/self/fd/1
has dot-stdout-text out "digraph"
"$NNMC" dot o.nnm -o /proc/self/fd/1 >redir.dot 2>err
has dot-stdout-redirected redir.dot "digraph"
mkdir adir
t emit-to-directory 1 "$NNMC" emit o.nnm -o adir
has emit-to-directory-says err "adir: is a directory"
mkfifo pipe
t emit-to-fifo-no-reader 1 "$NNMC" emit o.nnm -o pipe
has emit-to-fifo-says err "pipe: cannot write: no process reads it"
(cat pipe >from-pipe &) ; sleep 0.2
t emit-to-fifo-reader 0 "$NNMC" emit o.nnm -o pipe
sleep 0.3
has emit-to-fifo-delivered from-pipe "Generated by nnmc"
yes_ fifo-still-a-fifo test -p pipe
dev ln -s $DEVNULL null.npz
dev ln -s $DEVFULL full.npz
echo old >real.npz && ln -s real.npz link.npz
model sv.nnm "model.save_weights('null.npz')
model.save_weights('link.npz')"
t save-weights-symlink-dev-null 0 ./run sv.nnm --data $DATA
dev yes_ save-weights-link-kept test -L null.npz -a -c $DEVNULL
yes_ save-weights-through-link test -L link.npz -a -s real.npz -a "$(head -c 2 real.npz)" = PK
model sf.nnm "model.save_weights('full.npz')"
dev t save-weights-dev-full 1 ./run sf.nnm --data $DATA
dev has save-weights-dev-full-says err "full.npz: cannot write"
model cl.nnm "model.fit(x_train[:100], y_train[:100], epochs=1, callbacks=[CSVLogger('$DEVNULL')])"
dev t csvlogger-dev-null 0 ./run cl.nnm --data $DATA
dev yes_ csvlogger-dev-null-device test -c $DEVNULL
# every writer, not only emit's: a directory or a FIFO nobody reads where
# CSVLogger, --checkpoint, --plot and np.save write is an error, and stays
model cd.nnm "model.fit(x_train[:100], y_train[:100], epochs=1, callbacks=[CSVLogger('adir')])"
t csvlogger-directory 1 ./run cd.nnm --data $DATA
has csvlogger-directory-says err "adir: is a directory"
model cf.nnm "model.fit(x_train[:100], y_train[:100], epochs=1, callbacks=[CSVLogger('pipe')])"
t csvlogger-fifo-no-reader 1 ./run cf.nnm --data $DATA
has csvlogger-fifo-says err "pipe: cannot write: no process reads it"
mkdir -p ckd/checkpoint.nnmc pld && mkfifo pld/fit1.svg
model fo.nnm "model.fit(x_train[:100], y_train[:100], epochs=1)"
t checkpoint-over-directory 1 ./run fo.nnm --data $DATA --checkpoint ckd
has checkpoint-over-directory-says err "ckd/checkpoint.nnmc: is a directory"
t plot-over-fifo 1 ./run fo.nnm --data $DATA --plot pld
has plot-over-fifo-says err "pld/fit1.svg: cannot write: no process reads it"
yes_ writers-left-them test -d ckd/checkpoint.nnmc -a -p pld/fit1.svg -a -d adir -a -p pipe
mkfifo np.npy
model npf.nnm "p = model.predict(x_test[:10])
np.save('np.npy', p)"
t np-save-fifo-no-reader 1 ./run npf.nnm --data $DATA
has np-save-fifo-says err "np.npy: cannot write: no process reads it"
# a full disk: a small tmpfs, where root may mount one
mkdir small
if mount -t tmpfs -o size=64k tmpfs small 2>/dev/null; then
    head -c 60000 /dev/zero >small/filler
    t emit-enospc 1 "$NNMC" emit o.nnm -o small/o.c
    has emit-enospc-says err "small/o.c: cannot write: No space left on device"
    yes_ emit-enospc-no-leftovers test -z "$(ls small | grep -v filler)"
    umount small
else
    echo "note guarantees: cannot mount a tmpfs here; the ENOSPC case is tested through /dev/full only"
fi
# names near NAME_MAX: the temporary name is cut to fit
long=$(printf 'n%.0s' $(seq 250)).c
t emit-long-name 0 "$NNMC" emit o.nnm -o "$long"
yes_ emit-long-name-written test -s "$long"
yes_ emit-long-name-no-leftovers test "$(ls | grep -c '\.tmp\.')" = 0

# ---- 3. no file the program reads is overwritten; no two writers of one file ----
model self.nnm "model.fit(x_train[:100], y_train[:100], epochs=1, callbacks=[CSVLogger('self.nnm')])"
cp self.nnm self.orig
t writer-over-source 1 "$NNMC" check self.nnm
has writer-over-source-says err "self.nnm:9:.*'self.nnm' is the program's own source"
t writer-over-source-run 1 ./run self.nnm --data $DATA
yes_ source-unchanged cmp -s self.nnm self.orig
cat >two.nnm <<'EOF'
a = Sequential()
a.add(Dense(10, input_shape=(4,)))
b = Sequential()
b.add(Dense(3, input_shape=(4,)))
a.save_weights('w.npz')
b.save_weights('w.npz')
EOF
t two-writers 1 "$NNMC" check two.nnm
has two-writers-says err "two.nnm:6:16: error: 'w.npz' is the weights save_weights() writes"
model lw.nnm "model.load_weights('mine.npz')
model.save_weights('mine.npz')"
t load-then-overwrite 1 "$NNMC" check lw.nnm
has load-then-overwrite-says err "the program would overwrite a file it reads"
model sl.nnm "model.save_weights('own.npz')
model.load_weights('own.npz')
model.save_weights('own.npz')"
t save-load-save-own-file 0 "$NNMC" check sl.nnm
model mc.nnm "model.fit(x_train[:100], y_train[:100], epochs=1, callbacks=[ModelCheckpoint('mc{epoch}.nnm')])"
cp mc.nnm mc1.nnm
t checkpoint-pattern-over-source 1 "$NNMC" check mc.nnm
has checkpoint-pattern-over-source-says err "'mc{epoch}.nnm' may be the program's own source"
model np.nnm "p = model.predict(x_test[:10])
np.save('np.nnm', p)"
t np-save-suffix-not-source 0 "$NNMC" check np.nnm
printf 'a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n9,1,x\n' >t.csv
cat >csvself.nnm <<'EOF'
(x_train, y_train), (x_test, y_test) = load_csv('t.csv', label_column='label')
model = Sequential()
model.add(Dense(2, activation='softmax', input_shape=(2,)))
model.compile(loss='sparse_categorical_crossentropy', optimizer='sgd')
model.fit(x_train, y_train, epochs=1, callbacks=[CSVLogger('t.csv')])
EOF
t writer-over-csv-data 1 "$NNMC" check csvself.nnm
has writer-over-csv-data-says err "'t.csv' is the load_csv() data"
# what only the ./run knows: --plot, --checkpoint, --data
model pl.nnm "model.fit(x_train[:100], y_train[:100], epochs=1, callbacks=[CSVLogger('pics/fit1.svg')])"
t plot-vs-writer 1 ./run pl.nnm --data $DATA --plot pics
has plot-vs-writer-says err "pics/fit1.svg: a file the program writes (line 9) is also a picture of --plot"
mkdir -p dcopy && cp -r $DATA/mnist dcopy/
model dl.nnm "model.fit(x_train[:100], y_train[:100], epochs=1, callbacks=[CSVLogger('dcopy/mnist/t10k-labels-idx1-ubyte.gz')])"
cp dcopy/mnist/t10k-labels-idx1-ubyte.gz labels.orig
t writer-over-data 1 ./run dl.nnm --data dcopy
has writer-over-data-says err "would overwrite a data file"
yes_ data-unchanged cmp -s labels.orig dcopy/mnist/t10k-labels-idx1-ubyte.gz
t bad-file-makes-no-plot-dir 1 "$NNMC" run missing.nnm --plot newplots
yes_ no-plot-dir-made test ! -e newplots

# ---- 4. memory: bounded by what is needed, or refused with the file named ----
{ echo "a = 'x'"; for i in $(seq 60); do echo "a = a + a"; done; echo "print(a)"; } >dbl.nnm
t string-doubling 1 "$NNMC" check dbl.nnm
has string-doubling-says err "string too long"
{ echo "a = 'x'"; for i in $(seq 23); do echo "a = a + a"; done; for i in $(seq 40); do echo "b$i = a + a"; done; } >many.nnm
t many-long-strings 1 "$NNMC" check many.nnm
has many-long-strings-says err "too many long strings"
cat >zero.nnm <<'EOF'
(x_train, y_train), (x_test, y_test) = load_csv('/dev/zero')
EOF
t load-csv-dev-zero 1 "$NNMC" check zero.nnm
has load-csv-dev-zero-says err "/dev/zero: is a character device"
model pw.nnm "model.save_weights('pw.npz')"
./run pw.nnm --data $DATA
printf 'P2\n2 2\n255\n0 255 255 0\n' >img.pgm
t predict-weights-dev-zero 1 "$NNMC" predict pw.nnm --weights /dev/zero img.pgm
has predict-weights-dev-zero-says err "/dev/zero: is a character device"
mkdir zck && ln -s /dev/zero zck/checkpoint.nnmc
model ck.nnm "model.fit(x_train[:100], y_train[:100], epochs=2)"
t resume-dev-zero 1 ./run ck.nnm --data $DATA --resume zck
has resume-dev-zero-says err "zck/checkpoint.nnmc: is a character device"
# an .npz member that declares 2 GB for a (784, 10) array
$PY - <<'X'
import struct, zlib
data = zlib.compressobj(9, zlib.DEFLATED, -15).compress(b'\0' * (1 << 20))
name = b'dense_1/kernel:0.npy'
lh = struct.pack('<IHHHHHIIIHH', 0x04034b50, 20, 0, 8, 0, 0x21, 0, len(data), 2 << 30, len(name), 0)
cd = struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 20, 20, 0, 8, 0, 0x21, 0, len(data), 2 << 30, len(name), 0, 0, 0, 0, 0, 0)
end = struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, 1, 1, len(cd) + len(name), len(lh) + len(name) + len(data), 0)
open('bomb.npz', 'wb').write(lh + name + data + cd + name + end)
X
t npz-declared-size 1 "$NNMC" predict pw.nnm --weights bomb.npz img.pgm
has npz-declared-size-says err "bomb.npz: array 'dense_1/kernel:0' declares 2147483648 bytes, more than its shape needs"
# a 300 KB PNG of 16384x16384 pixels, with 400 MiB to spend
$PY - <<'X'
import struct, zlib
chunk = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
c = zlib.compressobj(9)
row = b'\0' * 16385
body = b''.join(c.compress(row) for _ in range(16384)) + c.flush()
open('huge.png', 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 16384, 16384, 8, 0, 0, 0, 0))
                             + chunk(b'IDAT', body) + chunk(b'IEND', b''))
X
t png-declared-size 1 env NNM_MEMORY_MB=400 "$NNMC" predict pw.nnm --weights pw.npz huge.png
has png-declared-size-says err "huge.png: its size needs more memory than this process may allocate"
# an IDX file whose header honestly declares 3,000,000 images, under a 3 GiB limit
$PY - <<'X'
import os, struct, zlib
os.makedirs('big/mnist')
def gz(path, head, zeros):
    c = zlib.compressobj(1, zlib.DEFLATED, 31)
    with open(path, 'wb') as f:
        f.write(c.compress(head))
        chunk = b'\0' * (1 << 24)
        while zeros > 0:
            f.write(c.compress(chunk[:min(zeros, len(chunk))]))
            zeros -= len(chunk)
        f.write(c.flush())
n = 3000000
gz('big/mnist/train-images-idx3-ubyte.gz', struct.pack('>IIII', 0x803, n, 28, 28), n * 784)
gz('big/mnist/train-labels-idx1-ubyte.gz', struct.pack('>II', 0x801, n), n)
for f in ('t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'):
    os.symlink(os.path.join(os.environ.get('DATA', ''), 'mnist', f), 'big/mnist/' + f)
X
if [ -z "${ASAN_OPTIONS:-}" ]; then # a sanitizer reserves more address space than any such limit
    model bg.nnm "model.fit(x_train[:100], y_train[:100], epochs=1)"
    t idx-declared-size 1 bash -c "ulimit -v 2097152; exec \"$NNMC\" run bg.nnm --data big --threads 1 -q"
    has idx-declared-size-says err "big/mnist/train-images-idx3-ubyte.gz: its header declares 3000000 images of 28x28"
fi
# a CSV line of 200,001 columns: linear, not quadratic
$PY -c "
n = 200001
open('wide.csv', 'w').write(','.join('c%d' % i for i in range(n)) + '\n' + ','.join('1' for i in range(n)) + '\n' + ','.join('0' for i in range(n)) + '\n')"
printf "(x_train, y_train), (x_test, y_test) = load_csv('wide.csv', test_split=0.5)\n" >wide.nnm
start=$(date +%s)
t csv-wide 0 "$NNMC" check wide.nnm
yes_ csv-wide-fast test $(( $(date +%s) - start )) -lt 20
# 20 models of 2 GB each: the whole program is checked, not each model
{ for i in $(seq 20); do echo "m$i = Sequential()"; echo "m$i.add(Dense(10000, input_shape=(10000,)))"; \
  echo "m$i.compile(loss='mse', optimizer='sgd')"; done; } >models20.nnm
t program-memory 1 "$NNMC" check models20.nnm
has program-memory-says err "the program needs .* GiB in all"

# ---- 5. FIFOs are refused, never waited on ---------------------------------
mkfifo f.nnm f.csv f.npz f.png
t fifo-model 1 "$NNMC" check f.nnm
has fifo-model-says err "f.nnm: is a FIFO"
printf "(x_train, y_train), (x_test, y_test) = load_csv('f.csv')\n" >fc.nnm
t fifo-csv 1 "$NNMC" check fc.nnm
has fifo-csv-says err "f.csv: is a FIFO"
t fifo-weights 1 "$NNMC" predict pw.nnm --weights f.npz img.pgm
t fifo-image 1 "$NNMC" predict pw.nnm --weights pw.npz f.png
has fifo-image-says err "f.png: is a FIFO"
mkdir -p fifod/mnist fck && cp $DATA/mnist/t* fifod/mnist/ && rm fifod/mnist/train-images-idx3-ubyte.gz && mkfifo fifod/mnist/train-images-idx3-ubyte.gz
t fifo-data 1 ./run m.nnm --data fifod
has fifo-data-says err "train-images-idx3-ubyte.gz: is a FIFO"
mkfifo fck/checkpoint.nnmc
t fifo-checkpoint 1 ./run ck.nnm --data $DATA --resume fck
has fifo-checkpoint-says err "fck/checkpoint.nnmc: is a FIFO"
t stdin-model 0 bash -c "cat o.nnm | \"$NNMC\" check -"

# ---- 6. a kill between a CSV row and its checkpoint --------------------------
model kl.nnm "model.fit(x_train[:300], y_train[:300], epochs=3, callbacks=[CSVLogger('log.csv', append=True)])"
printf 'earlier,rows\r\n1,2\r\n' >log.csv && cp log.csv log0.csv
./run kl.nnm --data $DATA && cp log.csv want.csv && cp log0.csv log.csv
for k in 1 2 3; do
    rm -rf kck
    # killed at the k-th commit of an output: the fit's first checkpoint, or
    # right after an epoch's row is in the log and before its checkpoint is
    NNM_FAULT=out-rename:$k ./run kl.nnm --data $DATA --checkpoint kck >/dev/null 2>&1
    ./run kl.nnm --data $DATA --checkpoint kck --resume kck >/dev/null 2>err
    if cmp -s log.csv want.csv; then echo "ok csv-log-after-kill-$k"; else echo "FAIL csv-log-after-kill-$k"; diff want.csv log.csv | head -5; fi
    yes_ csv-log-after-kill-$k-no-leftovers test "$(ls kck | grep -c '\.tmp\.')" = 0
    cp log0.csv log.csv
done

# ---- 7. results that were silently wrong ---------------------------------
# a 16-bit PNG is the same picture as its 8-bit version
$PY - <<'X'
import struct, zlib
def png(path, depth, rows):
    raw = b''.join(b'\0' + r for r in rows)
    chunk = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    ihdr = struct.pack('>IIBBBBB', 28, 28, depth, 0, 0, 0, 0)
    open(path, 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))
v = [[(3 * i + 7 * j) % 256 for j in range(28)] for i in range(28)]
png('g8.png', 8, [bytes(r) for r in v])
png('g16.png', 16, [b''.join(struct.pack('>H', x * 257) for x in r) for r in v])
X
"$NNMC" predict pw.nnm --weights pw.npz --top 10 g8.png >p8 2>&1
"$NNMC" predict pw.nnm --weights pw.npz --top 10 g16.png >p16 2>&1
if [ "$(sed 's/^[^:]*://' p8)" = "$(sed 's/^[^:]*://' p16)" ] && grep -q '%' p8; then echo "ok png-16-bit-not-brightened"
else echo "FAIL png-16-bit-not-brightened"; cat p8 p16 | head -4; fi
# .npy headers as Python writes them in any spacing
$PY - <<'X'
import struct, zipfile
def npy(shape, header):
    h = header % (shape,)
    h = h + ' ' * ((64 - (10 + len(h) + 1) % 64) % 64) + '\n'
    n = 1
    for d in shape: n *= d
    return b'\x93NUMPY\x01\x00' + struct.pack('<H', len(h)) + h.encode() + b'\0' * (4 * n)
for name, hdr in (('nospace', "{'descr':'<f4','fortran_order':False,'shape':%s}"),
                  ('fortran', "{'descr':'<f4','fortran_order':True,'shape':%s}"),
                  ('dquote', '{"shape": %s, "fortran_order": False, "descr": "<f4", }')):
    with zipfile.ZipFile(name + '.npz', 'w') as z:
        z.writestr('dense_1/kernel:0.npy', npy((784, 10), hdr))
        z.writestr('dense_1/bias:0.npy', npy((10,), hdr))
X
t npy-header-no-spaces 0 "$NNMC" predict pw.nnm --weights nospace.npz img.pgm
t npy-header-double-quotes 0 "$NNMC" predict pw.nnm --weights dquote.npz img.pgm
t npy-fortran-order 1 "$NNMC" predict pw.nnm --weights fortran.npz img.pgm
has npy-fortran-order-says err "is in Fortran order"
model e0.nnm "model.fit(x_train[:0], y_train[:0], epochs=1)"
t fit-no-samples 1 "$NNMC" check e0.nnm
has fit-no-samples-says err "the array has no samples"
cat >cls.nnm <<'EOF'
(x_train, y_train), (x_test, y_test) = mnist.load_data(classes=[3, 4])
x_train = x_train.reshape(-1, 784) / 255
y_train = keras.utils.to_categorical(y_train, 2)
model = Sequential()
model.add(Dense(2, activation='softmax', input_shape=(784,)))
model.compile(loss='categorical_crossentropy', optimizer='sgd', metrics=['accuracy'])
model.fit(x_train, y_train, epochs=1)
EOF
t classes-no-samples 1 ./run cls.nnm --data d28
has classes-no-samples-says err "the array has no samples (none of the data set's samples is of the classes= chosen)"
model nan.nnm "model.compile(loss='categorical_crossentropy', optimizer=SGD(lr=1e38), metrics=['accuracy'])
model.fit(x_train[:640], y_train[:640], epochs=2, validation_data=(x_test[:100], y_test[:100]),
          callbacks=[TerminateOnNaN(), CSVLogger('nan.csv'), ModelCheckpoint('w-{loss:.2f}.npz')])"
t terminate-on-nan 0 ./run nan.nnm --data $DATA
if tail -1 nan.csv | grep -q ',NA,NA' && ! grep -q 'val.*0\.0\r' nan.csv; then echo "ok terminate-on-nan-csv-na"; else echo "FAIL terminate-on-nan-csv-na"; cat nan.csv; fi
if [ -e w-nan.npz ] && [ ! -e w--nan.npz ]; then echo "ok model-checkpoint-nan-name"; else echo "FAIL model-checkpoint-nan-name: $(ls w-*.npz)"; fi
printf "print('a\\\\0b')\n" >nul.nnm
t string-nul 1 "$NNMC" check nul.nnm
has string-nul-says err "a NUL character in a string"
deep=$tmp
while [ ${#deep} -lt 1300 ]; do deep=$deep/dddddddddddddddddddddddddddddddddddddddd; done
mkdir -p "$deep" && ln -s $DATA/mnist "$deep/mnist"
model short.nnm "model.fit(x_train[:100], y_train[:100], epochs=1)"
t long-data-path 0 ./run short.nnm --data "$deep"

# ---- 8. messages that say what is wrong --------------------------------------
t directory-as-image 1 "$NNMC" predict pw.nnm --weights pw.npz adir
has directory-as-image-says err "adir: is a directory"
t directory-as-weights 1 "$NNMC" predict pw.nnm --weights adir img.pgm
has directory-as-weights-says err "adir: is a directory"
mkdir -p ddir/mnist && cp $DATA/mnist/t* ddir/mnist/ && rm ddir/mnist/train-images-idx3-ubyte.gz && mkdir ddir/mnist/train-images-idx3-ubyte.gz
t directory-as-idx 1 ./run m.nnm --data ddir
has directory-as-idx-says err "train-images-idx3-ubyte.gz: is a directory"
printf 'a,b,label\n1,2,"one\nline"\n3,4,two\n5,6,"one\nline"\n7,8,two\n9,1,two\n' >q.csv
printf "(x_train, y_train), (x_test, y_test) = load_csv('q.csv', label_column='label')\nprint(x_train.shape)\n" >q.nnm
t csv-quoted-newline 0 "$NNMC" check q.nnm

# ---- 9. small ones -----------------------------------------------------------
printf "print('\\\\x')\n" >x.nnm
t escape-x-truncated 1 "$NNMC" check x.nnm
has escape-x-truncated-says err "truncated \\\\xXX escape"
printf 'a,b,label\n0x10,2,x\n3,4,y\n0x1p3,6,x\n7,8,y\n' >hex.csv
printf "(x_train, y_train), (x_test, y_test) = load_csv('hex.csv', label_column='label')\n" >hex.nnm
t csv-hex-not-a-number 1 "$NNMC" check hex.nnm
has csv-hex-not-a-number-says err "('0x10') is not a number"
t version-extra 2 "$NNMC" --version extra
t run-help 0 "$NNMC" run --help
has run-help-text out "options of run"
# a checkpoint that claims 2^63-1 updates, behind a valid checksum
model it.nnm "model.fit(x_train[:100], y_train[:100], epochs=2)"
./run it.nnm --data $DATA --checkpoint ick --epochs 1
$PY - <<'X'
import struct, zlib
b = bytearray(open('ick/checkpoint.nnmc', 'rb').read())
nparams = struct.unpack_from('<q', b, 84)[0]
at = 84 + 8 + 4 * nparams + 32
assert struct.unpack_from('<q', b, at)[0] == 1  # the optimizer's state is there
struct.pack_into('<q', b, at + 8, (1 << 63) - 1)
b[-4:] = struct.pack('<I', zlib.crc32(bytes(b[:-4])) & 0xffffffff)
open('ick/checkpoint.nnmc', 'wb').write(bytes(b))
X
t checkpoint-iterations-forged 1 ./run it.nnm --data $DATA --resume ick
has checkpoint-iterations-forged-says err "ick/checkpoint.nnmc.*does not fit this program"
clean checkpoint-iterations-forged-clean
# SIGTERM and SIGINT during a write remove the temporary file; a SIGKILL's is
# removed at the next write of the same target
for sig in 15 2; do
    NNM_FAULT=out-rename NNM_FAULT_SIGNAL=$sig "$NNMC" emit o.nnm -o sig$sig.c >/dev/null 2>&1
    rc=$?
    if [ $rc -eq $((128 + sig)) ] && [ ! -e sig$sig.c ] && [ "$(ls | grep -c "^sig$sig.c.tmp")" = 0 ]; then echo "ok signal-$sig-no-leftovers"
    else echo "FAIL signal-$sig-no-leftovers: exit $rc, $(ls | grep "^sig$sig")"; fi
done
NNM_FAULT=out-rename "$NNMC" emit o.nnm -o k.c >/dev/null 2>&1
yes_ sigkill-leaves-temporary test "$(ls | grep -c '^k.c.tmp')" = 1
t sigkill-next-write 0 "$NNMC" emit o.nnm -o k.c
yes_ sigkill-temporary-swept test "$(ls | grep -c '^k.c.tmp')" = 0
