#!/usr/bin/env bash
# tests/e2e/features.sh — run-time behaviour on small slices of MNIST:
# history and print, load_weights before fit, predict, classes= with a
# run-time sample count, Fashion-MNIST, and bad data / weight files.
source "$(dirname "$0")/lib.sh"

cat >history.nnm <<'X'
(x_train, y_train), (x_test, y_test) = mnist.load_data()
model = Sequential([Dense(32, activation='relu', input_shape=(784,)), Dense(10, activation='softmax')])
model.compile(loss='categorical_crossentropy', optimizer='adam', metrics=['accuracy'])
model.save_weights('init.npz')
s0 = model.evaluate(x_test[:500], y_test[:500], verbose=0)
h = model.fit(x_train[:1000], y_train[:1000], epochs=2, verbose=1, validation_split=0.2)
print('loss', h.history['loss'])
print('val_acc', h.history['val_acc'])
model.load_weights('init.npz')
s1 = model.evaluate(x_test[:500], y_test[:500], verbose=1)
print('same before and after reload:', s0, s1)
p = model.predict(x_test[:100])
print('score', s1[1], (1, 'two', 3.5, None, True))
X
run history.nnm
expect train-on "Train on 800 samples, validate on 200 samples" out
expect epoch-line "^800/800 \[==============================\] - .* - loss: .* - acc: .* - val_loss: .* - val_acc: " out
expect history-list "^loss \[[0-9.e-]*, [0-9.e-]*\]$" out
expect history-val "^val_acc \[" out
same=$(sed -n 's/^same before and after reload: \(\[.*\]\) \(\[.*\]\)$/\1|\2/p' out)
if [ -n "$same" ] && [ "${same%%|*}" = "${same##*|}" ]; then
    echo "ok load-weights-before-fit-restores"; else echo "FAIL load-weights-before-fit-restores"; grep same out; fi
expect evaluate-bar "^500/500 \[==============================\] - [0-9]*s [0-9]*[mu]*s/step - loss: [0-9.]* - acc: [0-9.]*$" out
expect print-repr "(1, 'two', 3.5, None, True)" out

cat >classes.nnm <<'X'
(x_train, y_train), (x_test, y_test) = mnist.load_data(classes=[2, 3])
x_train = x_train.reshape(12000, 784)
model = Sequential([Dense(1, activation='sigmoid', input_shape=(784,))])
model.compile(loss='binary_crossentropy', optimizer='sgd')
model.fit(x_train, y_train)
X
run classes.nnm
[ $? -eq 1 ] && echo "ok classes-count-checked" || echo "FAIL classes-count-checked"
expect classes-count-message "reshaped for 12000 samples, but the data has 12089" err

if [ -e "$root/data/fashion-mnist/t10k-images-idx3-ubyte.gz" ] || [ -e /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]; then
    cat >fashion.nnm <<'X'
(x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
model = Sequential([Flatten(input_shape=(28, 28)), Dense(10, activation='softmax')])
model.compile(loss='sparse_categorical_crossentropy', optimizer='adam', metrics=['accuracy'])
model.fit(x_train[:2000], y_train[:2000], epochs=3, verbose=0)
print('fashion', model.evaluate(x_test, y_test, verbose=0)[1])
X
    run fashion.nnm
    if awk '/^fashion/ { exit !($2 > 0.6) }' out; then echo "ok fashion-mnist"; else echo "FAIL fashion-mnist"; cat out err; fi
else
    echo "SKIP fashion-mnist: dataset-fashion-mnist is not installed"
fi

if [ -s "$root/data/cifar-10-batches-bin/test_batch.bin" ]; then
    cat >cifar.nnm <<'X'
(x_train, y_train), (x_test, y_test) = cifar10.load_data()
print(x_train.shape, y_train.shape, x_test.shape, y_test.shape)
model = Sequential([Flatten(input_shape=(32, 32, 3)), Dense(10, activation='softmax')])
model.compile(loss='categorical_crossentropy', optimizer='adam', metrics=['accuracy'])
model.fit(x_train[:5000], keras.utils.to_categorical(y_train[:5000], 10), epochs=2, verbose=0)
print('cifar', model.evaluate(x_test, keras.utils.to_categorical(y_test, 10), verbose=0)[1])
X
    run cifar.nnm
    expect cifar-shapes "^(50000, 32, 32, 3) (50000, 1) (10000, 32, 32, 3) (10000, 1)$" out
    if awk '/^cifar/ { exit !($2 > 0.2) }' out; then echo "ok cifar10-learns"; else echo "FAIL cifar10-learns"; cat out err; fi
else
    echo "SKIP cifar10: no data/cifar-10-batches-bin (make data needs ../shared/data/cifar-10)"
fi

# bad data: a truncated image file, named in the message
mkdir -p bad/mnist
cp "$root"/data/mnist/*.gz bad/mnist/
gzip -dc "$root/data/mnist/train-images-idx3-ubyte.gz" | head -c 100000 | gzip -1 >bad/mnist/train-images-idx3-ubyte.gz
"$NNMC" run history.nnm --data bad >out 2>err
[ $? -eq 1 ] && echo "ok truncated-data-status" || echo "FAIL truncated-data-status"
expect truncated-data-named "bad/mnist/train-images-idx3-ubyte.gz: truncated" err

# bad weights: another model's file
cat >wrong.nnm <<'X'
model = Sequential([Dense(16, input_shape=(784,)), Dense(10)])
model.load_weights('init.npz')
X
run wrong.nnm
[ $? -eq 1 ] && echo "ok wrong-weights-status" || echo "FAIL wrong-weights-status"
expect wrong-weights-named "init.npz: array 'dense_1/kernel:0' has shape (784, 32) but the model needs (784, 16)" err
run nothere.nnm
expect missing-model-file "nothere.nnm: cannot open" err

# on a terminal the bar is redrawn in place, with an ETA
if command -v script >/dev/null; then
    cat >tty.nnm <<'X'
(x_train, y_train), (x_test, y_test) = mnist.load_data()
model = Sequential([Dense(256, activation='relu', input_shape=(784,)), Dense(10, activation='softmax')])
model.compile(loss='categorical_crossentropy', optimizer='sgd', metrics=['accuracy'])
model.fit(x_train[:30000], y_train[:30000], batch_size=16, epochs=1)
X
    script -qec "$NNMC run tty.nnm --data $root/data --threads 1" /dev/null >out 2>&1
    if grep -q $'\r' out && grep -q "ETA: " out; then echo "ok tty-progress-redrawn"; else echo "FAIL tty-progress-redrawn"; head -c 300 out; fi
    n=$(grep -c "30000/30000" out)
    [ "$n" = 1 ] && echo "ok tty-one-final-line" || echo "FAIL tty-one-final-line ($n)"
fi

# np.random.seed(N) in the file is the run's seed unless --seed is given
cat >seed.nnm <<'X'
import numpy as np
np.random.seed(1337)
(x_train, y_train), (x_test, y_test) = mnist.load_data()
m = Sequential([Dense(10, activation='softmax', input_shape=(784,))])
m.compile(loss='categorical_crossentropy', optimizer='sgd', metrics=['accuracy'])
m.fit(x_train[:500], y_train[:500], verbose=0)
print(m.evaluate(x_test[:500], y_test[:500], verbose=0))
X
a=$("$NNMC" run seed.nnm --data "$root/data")
b=$("$NNMC" run seed.nnm --data "$root/data" --seed 1337)
c=$("$NNMC" run seed.nnm --data "$root/data" --seed 2)
if [ "$a" = "$b" ] && [ "$a" != "$c" ]; then echo "ok file-seed"; else echo "FAIL file-seed ($a / $b / $c)"; fi
