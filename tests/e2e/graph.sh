#!/usr/bin/env bash
# tests/e2e/graph.sh — functional models at run time: a graph that is a
# chain trains bit for bit as the same Sequential model; a graph with
# merges, fan-out and a shared layer gives the same figures and weights on
# one thread and on two, resumes after a kill as if never stopped, and
# predicts from its saved weights; a model used as a layer shares its weights.
source "$(dirname "$0")/lib.sh"

cat >seq.nnm <<'X'
(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train = x_train.reshape(60000, 28, 28, 1) / 255
x_test = x_test.reshape(10000, 28, 28, 1) / 255
model = Sequential()
model.add(Conv2D(8, 3, activation='relu', input_shape=(28, 28, 1)))
model.add(BatchNormalization())
model.add(MaxPooling2D())
model.add(Dropout(0.25))
model.add(Flatten())
model.add(Dense(32, activation='relu', kernel_regularizer=l2(0.001)))
model.add(Dense(10, activation='softmax'))
model.compile(loss='sparse_categorical_crossentropy', optimizer='adam', metrics=['accuracy'])
model.fit(x_train[:2000], y_train[:2000], batch_size=64, epochs=2, validation_split=0.1)
print(model.evaluate(x_test[:500], y_test[:500], verbose=0))
model.save_weights('w.npz')
X
cat >fun.nnm <<'X'
from keras.models import Model
(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train = x_train.reshape(60000, 28, 28, 1) / 255
x_test = x_test.reshape(10000, 28, 28, 1) / 255
inputs = Input(shape=(28, 28, 1))
x = Conv2D(8, 3, activation='relu')(inputs)
x = BatchNormalization()(x)
x = MaxPooling2D()(x)
x = Dropout(0.25)(x)
x = Flatten()(x)
x = Dense(32, activation='relu', kernel_regularizer=l2(0.001))(x)
outputs = Dense(10, activation='softmax')(x)
model = Model(inputs=inputs, outputs=outputs)
model.compile(loss='sparse_categorical_crossentropy', optimizer='adam', metrics=['accuracy'])
model.fit(x_train[:2000], y_train[:2000], batch_size=64, epochs=2, validation_split=0.1)
print(model.evaluate(x_test[:500], y_test[:500], verbose=0))
model.save_weights('w.npz')
X
mkdir s f
(cd s && run ../seq.nnm)
(cd f && run ../fun.nnm)
strip() { sed -E 's/ - [0-9]+s( [0-9]+[mu]?s\/step)?//' "$1"; }
if cmp -s s/w.npz f/w.npz && diff <(strip s/out) <(strip f/out) >/dev/null; then
    echo "ok graph-chain-equals-sequential (same figures, identical weights)"
else echo "FAIL graph-chain-equals-sequential"; diff <(strip s/out) <(strip f/out) | head -5; fi

cat >res.nnm <<'X'
from keras.models import Model
from keras.callbacks import CSVLogger
(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train = x_train.reshape(60000, 28, 28, 1) / 255
x_test = x_test.reshape(10000, 28, 28, 1) / 255
inp = Input(shape=(28, 28, 1))
x = Conv2D(8, 3, strides=2, padding='same', activation='relu')(inp)
y = Conv2D(8, 3, padding='same', activation='relu')(x)
y = Conv2D(8, 3, padding='same')(y)
x = Activation('relu')(add([x, y]))
x = concatenate([Conv2D(4, 1, activation='relu')(x), x])
x = Flatten()(MaxPooling2D()(x))
shared = Dense(12, activation='tanh')
h = shared(shared(Dense(12)(x)))
out = Dense(10, activation='softmax')(concatenate([h, x]))
model = Model(inp, out)
model.compile(loss='sparse_categorical_crossentropy', optimizer='adam', metrics=['accuracy'])
model.fit(x_train[:3000], y_train[:3000], batch_size=32, epochs=3, validation_split=0.1, callbacks=[CSVLogger('log.csv')])
print(model.evaluate(x_test[:500], y_test[:500], verbose=0))
model.save_weights('res.npz')
X
mkdir t1 t2
(cd t1 && "$NNMC" run ../res.nnm --data "$root/data" --threads 1 -q >out 2>err)
(cd t2 && "$NNMC" run ../res.nnm --data "$root/data" --threads 2 -q >out 2>err)
if [ -s t1/res.npz ] && cmp -s t1/res.npz t2/res.npz && cmp -s t1/out t2/out; then
    echo "ok graph-threads-1-equals-2 (figures and weights)"
else echo "FAIL graph-threads-1-equals-2"; diff t1/out t2/out | head -5; head -3 t1/err; fi

# killed at random moments, resumed: the run's weights, history and log
mkdir k
delays=""
for i in 1 2 3; do
    d=$(( (RANDOM % 15) + 3 ))
    delays="$delays $d"
    (cd k && exec timeout -s KILL "$((d / 10)).$((d % 10))" "$NNMC" run ../res.nnm --data "$root/data" --threads 1 -q \
        --checkpoint ck --resume ck >out 2>err)
done
(cd k && "$NNMC" run ../res.nnm --data "$root/data" --threads 1 -q --checkpoint ck --resume ck >out 2>err)
if cmp -s t1/res.npz k/res.npz && cmp -s t1/out k/out && cmp -s t1/log.csv k/log.csv; then
    echo "ok graph-resume-after-kills (killed after tenths:$delays)"
else echo "FAIL graph-resume-after-kills (killed after tenths:$delays)"; diff t1/out k/out | head -5; fi

# nnmc predict reads the graph's weights: its top class of the first 500
# test digits agrees with the labels as often as evaluate() said
/usr/bin/python3 - "$root/data/mnist" <<'X'
import gzip, struct, sys
d = sys.argv[1]
raw = gzip.open(d + '/t10k-images-idx3-ubyte.gz').read()
open('t500.idx', 'wb').write(struct.pack('>IIII', 0x803, 500, 28, 28) + raw[16:16 + 500 * 784])
open('labels.txt', 'w').write(' '.join(str(v) for v in gzip.open(d + '/t10k-labels-idx1-ubyte.gz').read()[8:508]) + '\n')
X
"$NNMC" predict res.nnm --weights t1/res.npz --top 1 t500.idx >pred 2>perr
right=$(awk 'NR == FNR { for (i = 1; i <= NF; i++) lab[i - 1] = $i; next }
             /^t500.idx\[/ { k = $1; sub(/^.*\[/, "", k); sub(/\].*$/, "", k); if ($2 == lab[k]) r++ } END { print r + 0 }' labels.txt pred)
acc=$(sed -n 's/^\[[^,]*, \(.*\)\]$/\1/p' t1/out)
want=$(awk -v a="$acc" 'BEGIN { printf "%d", a * 500 + 0.5 }')
[ -n "$acc" ] && [ "$right" = "$want" ] && echo "ok graph-predict ($right of 500, as evaluate says)" ||
    { echo "FAIL graph-predict ($right of 500, evaluate: $acc)"; head -3 perr; }

# a model used as a layer shares its weights (Keras's base model and the
# model built on it): training the outer model trains the base; a
# Sequential model called on an Input shares its layers too; a built
# program does the same
cat >share.nnm <<'X'
from keras.models import Model
(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train = x_train.reshape(60000, 784) / 255
x_test = x_test.reshape(10000, 784) / 255
inp = Input(shape=(784,))
base = Model(inp, Dense(64, activation='relu')(inp))
base.save_weights('base0.npz')
x = Input(shape=(784,))
full = Model(x, Dense(10, activation='softmax')(base(x)))
full.compile(loss='sparse_categorical_crossentropy', optimizer='adam', metrics=['accuracy'])
full.fit(x_train[:2000], y_train[:2000], epochs=1, verbose=0)
base.save_weights('base1.npz')
full.save_weights('full.npz')
seq = Sequential([Dense(32, activation='relu', input_shape=(784,)), Dense(10, activation='softmax')])
z = Input(shape=(784,))
twice = Model(z, seq(z))
twice.compile(loss='sparse_categorical_crossentropy', optimizer='sgd', metrics=['accuracy'])
seq.compile(loss='sparse_categorical_crossentropy', optimizer='sgd', metrics=['accuracy'])
twice.fit(x_train[:2000], y_train[:2000], epochs=1, verbose=0)
print('twice', twice.evaluate(x_test[:500], y_test[:500], verbose=0))
print('seq', seq.evaluate(x_test[:500], y_test[:500], verbose=0))
X
mkdir sh shb
(cd sh && run ../share.nnm)
/usr/bin/python3 - sh <<'X' >sh/check
import sys, zipfile
d = sys.argv[1]
b0, b1, f = (zipfile.ZipFile(d + '/' + n) for n in ('base0.npz', 'base1.npz', 'full.npz'))
print('trained' if all(b0.read(k) != b1.read(k) for k in b1.namelist()) else 'untrained',
      'shared' if all(b1.read(k) == f.read(k) for k in b1.namelist()) else 'apart')
X
expect graph-model-as-layer-shares-weights "^trained shared$" sh/check
a=$(sed -n 's/^twice //p' sh/out); b=$(sed -n 's/^seq //p' sh/out)
[ -n "$a" ] && [ "$a" = "$b" ] && echo "ok graph-sequential-as-layer-shares-weights" ||
    { echo "FAIL graph-sequential-as-layer-shares-weights ($a / $b)"; head -3 sh/err; }
"$NNMC" build share.nnm -o shb/prog >/dev/null 2>&1 && (cd shb && ./prog --data "$root/data" --threads 1 >out 2>err)
cmp -s sh/out shb/out && cmp -s sh/full.npz shb/full.npz && cmp -s sh/base1.npz shb/base1.npz &&
    echo "ok graph-shared-built-program-same" || echo "FAIL graph-shared-built-program-same"
# killed and resumed: every model's copy of the shared layers as in one run
mkdir shk
delays=""
for i in 1 2 3; do
    d=$(( (RANDOM % 10) + 2 ))
    delays="$delays $d"
    (cd shk && exec timeout -s KILL "$((d / 10)).$((d % 10))" "$NNMC" run ../share.nnm --data "$root/data" --threads 1 \
        -q --checkpoint ck --resume ck >out 2>err)
done
(cd shk && "$NNMC" run ../share.nnm --data "$root/data" --threads 1 -q --checkpoint ck --resume ck >out 2>err)
if cmp -s sh/full.npz shk/full.npz && cmp -s sh/base1.npz shk/base1.npz; then
    echo "ok graph-shared-resume-after-kills (killed after tenths:$delays)"
else echo "FAIL graph-shared-resume-after-kills (killed after tenths:$delays)"; head -3 shk/err; fi

# class_weight per output, by output name or as a list: weighing out the
# even digits of the parity output makes it answer "odd" for every digit
# (its accuracy falls to the share of odd digits); the digit output keeps
# learning; the built program trains the same
mkdir cw && cd cw || exit 1
cat >cw.nnm <<'X'
from keras.layers import Input, Dense
from keras.models import Model
(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train = x_train.reshape(60000, 784) / 255
x_test = x_test.reshape(10000, 784) / 255
inp = Input(shape=(784,))
h = Dense(32, activation='relu')(inp)
digit = Dense(10, activation='softmax', name='digit')(h)
parity = Dense(1, activation='sigmoid', name='parity')(h)
model = Model(inp, [digit, parity])
model.compile(loss=['sparse_categorical_crossentropy', 'binary_crossentropy'], optimizer='adam', metrics=['accuracy'])
model.fit(x_train[:3000], [y_train[:3000], y_train[:3000] % 2], batch_size=64, epochs=2, verbose=2,
          class_weight={'parity': {0: 0.0, 1: 1.0}})
score = model.evaluate(x_test[:1000], [y_test[:1000], y_test[:1000] % 2], verbose=0)
print('digit', score[3], 'parity', score[4])
model.save_weights('cw.npz')
X
run cw.nnm
awk '/^digit/ { exit !($2 > 0.6 && $4 > 0.45 && $4 < 0.55) }' out && echo "ok graph-class-weight-per-output" ||
    { echo "FAIL graph-class-weight-per-output"; tail -3 out; head -3 err; }
cp cw.npz dict.npz
cp out dict.out
sed -i 's/class_weight={.parity.: {0: 0.0, 1: 1.0}}/class_weight=[None, {0: 0.0, 1: 1.0}]/' cw.nnm
run cw.nnm
cmp -s cw.npz dict.npz && echo "ok graph-class-weight-list-as-dict" || echo "FAIL graph-class-weight-list-as-dict"
built_same graph-class-weight-built-program-same cw.nnm dict.out cw.npz dict.npz
cd ..
