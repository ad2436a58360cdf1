#!/usr/bin/env bash
# tests/e2e/normalize.sh — arithmetic on images: (x - mean) / std with
# per-channel constants, x / 127.5 - 1 on raw pixels, 2 * x - 1 and 1 - x,
# each checked value for value through a model that sums its input
# (predictions against numpy on the IDX file); label smoothing and the
# piecewise-linear schedule train the same in a built program.
source "$(dirname "$0")/lib.sh"

cat >norm.nnm <<'X'
(x_train, y_train), (x_test, y_test) = mnist.load_data()
raw = x_test[:16].reshape(16, 196, 4)
x = raw.astype('float32') / 255
xa = (x - (0.1, 0.2, 0.3, 0.4)) / (0.5, 0.25, 2, 4)
xb = raw / 127.5 - 1
xc = 2 * x - 1
xd = 1 - x
x -= 0.5
x *= 3
model = Sequential([Flatten(input_shape=(196, 4)), Dense(1, kernel_initializer='ones')])
np.save('plain', model.predict(raw))
np.save('a', model.predict(xa))
np.save('b', model.predict(xb))
np.save('c', model.predict(xc))
np.save('d', model.predict(xd))
np.save('e', model.predict(x))
X
if run norm.nnm; then echo "ok normalize-runs"; else echo "FAIL normalize-runs"; head -5 err; fi
/usr/bin/python3 - "$root/data/mnist/t10k-images-idx3-ubyte.gz" <<'X'
import gzip, sys
import numpy as np
with gzip.open(sys.argv[1]) as f:
    d = np.frombuffer(f.read(), np.uint8, offset=16)[:16 * 784].reshape(16, 196, 4).astype(np.float64) / 255
m, s = np.array([0.1, 0.2, 0.3, 0.4]), np.array([0.5, 0.25, 2, 4])
want = {'plain': d, 'a': (d - m) / s, 'b': d * 255 / 127.5 - 1, 'c': 2 * d - 1, 'd': 1 - d, 'e': (d - 0.5) * 3}
for k, v in want.items():
    got = np.load(k + '.npy').ravel()
    ref = v.reshape(16, -1).sum(axis=1)
    ok = np.allclose(got, ref, rtol=1e-5, atol=1e-3)
    print(('ok' if ok else 'FAIL') + ' normalize-values-' + k + ('' if ok else ': %s vs %s' % (got[:3], ref[:3])))
X

# a one-cycle schedule, label smoothing and per-channel inputs: the built
# program trains to the same figures and weights
cat >ls.nnm <<'X'
from keras.losses import CategoricalCrossentropy
from keras.optimizers.schedules import PiecewiseLinearDecay
(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train = (x_train[:512].reshape(512, 28, 28, 1) / 255 - 0.1307) / 0.3081
y_train = keras.utils.to_categorical(y_train[:512], 10)
model = Sequential([Flatten(input_shape=(28, 28, 1)), Dense(32, activation='relu'), Dense(10, activation='softmax')])
model.compile(loss=CategoricalCrossentropy(label_smoothing=0.2), metrics=['accuracy'],
              optimizer=SGD(learning_rate=PiecewiseLinearDecay([0, 8, 32], [0.0, 0.5, 0.0]), momentum=0.9, nesterov=True))
model.fit(x_train, y_train, batch_size=64, epochs=4, verbose=2)
model.save_weights('w.npz')
X
run ls.nnm
expect smoothing-trains "^Epoch 4/4" out
cp w.npz w_run.npz
"$NNMC" run ls.nnm --data "$root/data" --threads 1 -q >/dev/null 2>&1
sed -i 's/label_smoothing=0.2/label_smoothing=0.0/' ls.nnm
"$NNMC" run ls.nnm --data "$root/data" --threads 1 -q >/dev/null 2>&1
cmp -s w.npz w_run.npz && echo "FAIL smoothing-changes-training" || echo "ok smoothing-changes-training"
sed -i 's/label_smoothing=0.0/label_smoothing=0.2/' ls.nnm
built_same smoothing-built-program-same ls.nnm out w.npz w_run.npz
