#!/usr/bin/env bash
# tests/e2e/predict.sh — nnmc predict on PNG, PGM and IDX images made from
# the MNIST test set (and a CIFAR-10 PPM): the same pixels give the same
# answer in every format and size; class names; bad images and weights.
source "$(dirname "$0")/lib.sh"

cat >pm.nnm <<'X'
(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train = x_train.reshape(60000, 784)
model = Sequential([Dense(64, activation='relu', input_shape=(784,)), Dense(10, activation='softmax')])
model.compile(loss='sparse_categorical_crossentropy', optimizer='adam')
model.fit(x_train[:10000], y_train[:10000], epochs=2, verbose=0)
model.save_weights('pm.npz')
X
"$NNMC" run pm.nnm --data "$root/data" -q >/dev/null 2>err || { echo "FAIL predict-train"; cat err; }
# test images as IDX, PGM, PNG (grey 28x28) and PNG (RGB 56x56), written with Python's standard library
/usr/bin/python3 - "$root/data/mnist" <<'X'
import gzip, struct, sys, zlib
d = sys.argv[1]
raw = gzip.open(d + '/t10k-images-idx3-ubyte.gz').read()
lab = gzip.open(d + '/t10k-labels-idx1-ubyte.gz').read()[8:]
n = 100
open('t100.idx', 'wb').write(struct.pack('>IIII', 0x803, n, 28, 28) + raw[16:16 + n * 784])
open('labels.txt', 'w').write(' '.join(str(v) for v in lab[:n]) + '\n')
img = raw[16:16 + 784]
open('d0.pgm', 'wb').write(b'P5\n# first test digit\n28 28\n255\n' + img)
open('d0.txt.pgm', 'w').write('P2\n28 28\n255\n' + ' '.join(str(v) for v in img) + '\n')
def png(path, w, h, rows, colour):
    def chunk(t, b):
        c = struct.pack('>I', len(b)) + t + b
        return c + struct.pack('>I', zlib.crc32(t + b) & 0xffffffff)
    out = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2 if colour else 0, 0, 0, 0))
    out += chunk(b'IDAT', zlib.compress(b''.join(b'\x00' + r for r in rows))) + chunk(b'IEND', b'')
    open(path, 'wb').write(out)
png('d0.png', 28, 28, [img[r * 28:(r + 1) * 28] for r in range(28)], False)
png('d0big.png', 56, 56, [bytes(v for x in range(56) for v in (img[(y // 2) * 28 + x // 2],) * 3) for y in range(56)], True)
X
"$NNMC" predict pm.nnm --weights pm.npz --top 3 d0.png d0.pgm d0.txt.pgm d0big.png t100.idx >out 2>err
rc=$?
[ $rc = 0 ] && echo "ok predict-status" || { echo "FAIL predict-status ($rc)"; cat err; }
expect predict-format "^d0.png: 7 ([0-9.]*%), [0-9] ([0-9.]*%), [0-9] ([0-9.]*%)$" out
first=$(sed -n 's/^d0.png: //p' out)
same=1
for f in d0.pgm d0.txt.pgm d0big.png 't100.idx\[0\]'; do
    [ "$(sed -n "s/^$f: //p" out)" = "$first" ] || same=0
done
[ $same = 1 ] && echo "ok predict-same-in-every-format" || { echo "FAIL predict-same-in-every-format"; head -6 out; }
right=$(awk 'NR == FNR { for (i = 1; i <= NF; i++) lab[i - 1] = $i; next }
             /^t100.idx\[/ { k = $1; sub(/^.*\[/, "", k); sub(/\].*$/, "", k); if ($2 == lab[k]) r++ } END { print r + 0 }' labels.txt out)
[ "$right" -ge 85 ] && echo "ok predict-idx-accuracy" || echo "FAIL predict-idx-accuracy ($right of 100)"
echo "note predict: $right of 100 MNIST test digits right with a 2-epoch MLP"

# errors: named files, status 1; usage, status 2
printf 'P5\n28 28\n255\nshort' >short.pgm
echo "not an image" >text.png
for f in short.pgm text.png missing.png; do
    "$NNMC" predict pm.nnm --weights pm.npz $f >out 2>err
    rc=$?
    if [ $rc = 1 ] && grep -q "$f" err; then echo "ok predict-bad-$f"; else echo "FAIL predict-bad-$f ($rc)"; cat err; fi
done
sed 's/Dense(64/Dense(32/' pm.nnm >other.nnm
"$NNMC" predict other.nnm --weights pm.npz d0.png >out 2>err
[ $? = 1 ] && grep -q "pm.npz: array 'dense_1/kernel:0' has shape" err && echo "ok predict-wrong-weights" ||
    { echo "FAIL predict-wrong-weights"; cat err; }
"$NNMC" predict pm.nnm --weights pm.npz --top 0 d0.png >out 2>err
[ $? = 2 ] && echo "ok predict-bad-top" || echo "FAIL predict-bad-top"
"$NNMC" predict pm.nnm d0.png >out 2>err
[ $? = 2 ] && echo "ok predict-needs-weights" || echo "FAIL predict-needs-weights"

# CIFAR-10's class names, on a PPM of the first test image
if [ -s "$root/data/cifar-10-batches-bin/test_batch.bin" ]; then
    cat >cifar.nnm <<'X'
(x_train, y_train), (x_test, y_test) = cifar10.load_data()
model = Sequential([Flatten(input_shape=(32, 32, 3)), Dense(10, activation='softmax')])
model.compile(loss='sparse_categorical_crossentropy', optimizer='adam')
model.fit(x_train[:2000], y_train[:2000], epochs=1, verbose=0)
model.save_weights('c.npz')
X
    "$NNMC" run cifar.nnm --data "$root/data" -q >/dev/null 2>&1
    /usr/bin/python3 - "$root/data/cifar-10-batches-bin/test_batch.bin" <<'X'
import sys
r = open(sys.argv[1], 'rb').read(3073)
px = bytes(r[1 + c * 1024 + i] for i in range(1024) for c in range(3))
open('c0.ppm', 'wb').write(b'P6\n32 32\n255\n' + px)
X
    "$NNMC" predict cifar.nnm --weights c.npz --top 2 c0.ppm >out 2>err
    expect predict-cifar-names "^c0.ppm: [a-z]* ([0-9.]*%), [a-z]* ([0-9.]*%)$" out
    grep -qE "airplane|automobile|bird|cat|deer|dog|frog|horse|ship|truck" out && echo "ok predict-cifar-class" ||
        echo "FAIL predict-cifar-class"
else
    echo "SKIP predict-cifar-names: no CIFAR-10 in data/"
fi

# the images are scaled as the training data was: the file's (x - mean) / std
# too, so that every top class equals the argmax of model.predict()
cat >pn.nnm <<'X'
(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train = (x_train.reshape(60000, 784) / 255 - 0.5) / 0.05
x_test = (x_test.reshape(10000, 784) / 255 - 0.5) / 0.05
model = Sequential([Dense(64, activation='relu', input_shape=(784,)), Dense(10, activation='softmax')])
model.compile(loss='sparse_categorical_crossentropy', optimizer='sgd')
model.fit(x_train[:2000], y_train[:2000], epochs=1, verbose=0)
model.save_weights('pn.npz')
np.save('pn', model.predict(x_test[:100]))
X
"$NNMC" run pn.nnm --data "$root/data" -q >/dev/null 2>err || { echo "FAIL predict-normalised-train"; cat err; }
"$NNMC" predict pn.nnm --weights pn.npz --top 1 t100.idx >out 2>err
/usr/bin/python3 - <<'X'
import numpy as np, re
want = np.load('pn.npy').argmax(axis=1)
got = [int(re.match(r'.*\]: (\d+) ', l).group(1)) for l in open('out')]
ok = len(got) == 100 and all(g == w for g, w in zip(got, want))
print('ok predict-normalised-as-trained' if ok else 'FAIL predict-normalised-as-trained: %s vs %s' % (got[:10], list(want[:10])))
X

# a model with two outputs: one line per image and output, named
cat >mo.nnm <<'X'
from keras.layers import Input, Dense
from keras.models import Model
(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train = x_train.reshape(60000, 784) / 255
inp = Input(shape=(784,))
h = Dense(64, activation='relu')(inp)
digit = Dense(10, activation='softmax', name='digit')(h)
parity = Dense(1, activation='sigmoid', name='parity')(h)
model = Model(inp, [digit, parity])
model.compile(loss=['sparse_categorical_crossentropy', 'binary_crossentropy'], optimizer='adam')
model.fit(x_train[:6000], [y_train[:6000], y_train[:6000] % 2], batch_size=64, epochs=1, verbose=0)
model.save_weights('mo.npz')
X
"$NNMC" run mo.nnm --data "$root/data" -q >/dev/null 2>err || { echo "FAIL predict-two-outputs-train"; cat err; }
"$NNMC" predict mo.nnm --weights mo.npz --top 1 t100.idx >out 2>err
n_digit=$(grep -c '^t100.idx\[[0-9]*\] \[digit\]: [0-9] ' out)
n_parity=$(grep -c '^t100.idx\[[0-9]*\] \[parity\]: [01] ' out)
[ "$n_digit" = 100 ] && [ "$n_parity" = 100 ] && echo "ok predict-two-outputs" ||
    { echo "FAIL predict-two-outputs ($n_digit, $n_parity)"; head -4 out err; }
right=$(awk 'NR == FNR { for (i = 1; i <= NF; i++) lab[i - 1] = $i; next }
             /\[parity\]/ { k = $1; sub(/^.*\[/, "", k); sub(/\].*$/, "", k); if ($3 == lab[k] % 2) r++ } END { print r + 0 }' labels.txt out)
[ "$right" -ge 80 ] && echo "ok predict-two-outputs-parity" || echo "FAIL predict-two-outputs-parity ($right of 100)"
