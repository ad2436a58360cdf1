#!/usr/bin/env bash
# tests/e2e/callbacks.sh — fit() around the epochs, on small slices of
# MNIST: each callback's behaviour and Keras 2.2 message, the history, the
# NaN guard, class_weight, initial_epoch, learning-rate schedules, and the
# same behaviour in a program built by `nnmc build`.
source "$(dirname "$0")/lib.sh"

# EarlyStopping on a loss that can never improve by min_delta=10: the first
# epoch sets the best, the next two do not improve, so it stops after epoch
# 3 and puts back the weights of epoch 1 (which ModelCheckpoint saved).
cat >early.nnm <<'X'
from keras.callbacks import EarlyStopping, ModelCheckpoint, CSVLogger
(x_train, y_train), (x_test, y_test) = mnist.load_data()
model = Sequential([Dense(16, activation='relu', input_shape=(784,), kernel_regularizer=regularizers.l2(0.001),
                          bias_regularizer='l1', activity_regularizer=L1L2(l1=1e-4, l2=1e-4)),
                    Dense(10, activation='softmax')])
model.compile(loss='sparse_categorical_crossentropy', optimizer='sgd', metrics=['accuracy'])
stop = EarlyStopping(monitor='loss', min_delta=10, patience=2, verbose=1, restore_best_weights=True)
save = ModelCheckpoint('ep{epoch:02d}-{val_loss:.2f}.npz', verbose=1)
best = ModelCheckpoint('best.npz', monitor='val_accuracy', save_best_only=True, verbose=1)
h = model.fit(x_train[:600], y_train[:600], epochs=10, batch_size=50, validation_split=0.5,
              callbacks=[stop, save, best, CSVLogger('log.csv')])
model.save_weights('final.npz')
print(h.history)
X
run early.nnm
expect early-stop-message "^Epoch 00003: early stopping$" out
expect early-stop-restore "^Restoring model weights from the end of the best epoch$" out
absent early-stop-no-epoch-4 "^Epoch 4/10" out
expect history-dict-order "^{'val_loss': \[.*\], 'val_acc': \[.*\], 'loss': \[[^,]*, [^,]*, [^,]*\], 'acc': \[.*\]}$" out
expect checkpoint-message "^Epoch 00001: saving model to ep01-[0-9.]*.npz$" out
expect checkpoint-best-first "^Epoch 00001: val_accuracy improved from -inf to [0-9.]*, saving model to best.npz$" out
n=$(ls ep0*.npz 2>/dev/null | wc -l)
[ "$n" = 3 ] && echo "ok checkpoint-every-epoch" || echo "FAIL checkpoint-every-epoch ($n files)"
if cmp -s final.npz ep01-*.npz; then echo "ok restore-best-weights-exact"; else echo "FAIL restore-best-weights-exact"; fi
if [ "$(head -1 log.csv)" = $'epoch,acc,loss,val_acc,val_loss\r' ] && [ "$(wc -l <log.csv)" = 4 ] &&
    [ "$(sed -n '4s/,.*//p' log.csv)" = 2 ]; then echo "ok csv-logger"; else echo "FAIL csv-logger"; cat -A log.csv; fi
# the checkpoints' names carry the validation loss of their epoch
v=$(sed -n '2p' log.csv | tr -d '\r' | awk -F, '{ printf "%.2f", $5 }')
[ -e "ep01-$v.npz" ] && echo "ok checkpoint-name-fields" || echo "FAIL checkpoint-name-fields (want ep01-$v.npz)"

# the same file built into a program: same output, same files
if "$NNMC" build early.nnm -o early_prog >build.log 2>&1; then
    mkdir prog && (cd prog && ../early_prog --data "$root/data" --threads 1 >out 2>err)
    strip_time() { sed -E 's/ - [0-9]+s [0-9]+[mu]?s\/step//' "$1"; }
    if [ "$(strip_time out)" = "$(strip_time prog/out)" ] && cmp -s log.csv prog/log.csv &&
        cmp -s final.npz prog/final.npz && cmp -s best.npz prog/best.npz; then echo "ok callbacks-built-program-same"
    else echo "FAIL callbacks-built-program-same"; diff <(strip_time out) <(strip_time prog/out) | head; fi
else
    echo "FAIL callbacks-build"; tail -5 build.log
fi

# CSVLogger(append=True) adds rows under the existing header
cat >append.nnm <<'X'
(x_train, y_train), (x_test, y_test) = mnist.load_data()
model = Sequential([Dense(10, activation='softmax', input_shape=(784,))])
model.compile(loss='sparse_categorical_crossentropy', optimizer='sgd')
model.fit(x_train[:100], y_train[:100], epochs=2, verbose=0, callbacks=[CSVLogger('log2.csv', separator=';', append=True)])
X
run append.nnm
run append.nnm
if [ "$(grep -c '^epoch;loss' log2.csv)" = 1 ] && [ "$(wc -l <log2.csv)" = 5 ]; then echo "ok csv-append"
else echo "FAIL csv-append"; cat log2.csv; fi

# ReduceLROnPlateau: halves lr=0.1 (float32) after each epoch without
# improvement; the printed rate is Keras's double of the float32 one
cat >plateau.nnm <<'X'
(x_train, y_train), (x_test, y_test) = mnist.load_data()
model = Sequential([Dense(10, activation='softmax', input_shape=(784,))])
model.compile(loss='sparse_categorical_crossentropy', optimizer=SGD(lr=0.1), metrics=['acc'])
r = ReduceLROnPlateau(monitor='loss', min_delta=10, patience=1, factor=0.5, verbose=1)
h = model.fit(x_train[:200], y_train[:200], epochs=3, verbose=0, callbacks=[r])
print(h.history['lr'])
X
run plateau.nnm
expect plateau-message "^Epoch 00002: ReduceLROnPlateau reducing learning rate to 0.05000000074505806.$" out
expect plateau-second "^Epoch 00003: ReduceLROnPlateau reducing learning rate to 0.02500000037252903.$" out
expect plateau-history-lr "^\[0.1, 0.1, 0.05\]$" out

# LearningRateScheduler with a named schedule, and initial_epoch
cat >sched.nnm <<'X'
from keras.callbacks import LearningRateScheduler
(x_train, y_train), (x_test, y_test) = mnist.load_data()
model = Sequential([Dense(10, activation='softmax', input_shape=(784,))])
model.compile(loss='sparse_categorical_crossentropy', optimizer='sgd')
s = LearningRateScheduler(StepDecay(0.1, drop=0.5, epochs_drop=2), verbose=1)
h = model.fit(x_train[:200], y_train[:200], epochs=5, initial_epoch=2, callbacks=[s])
print(h.history['lr'])
X
run sched.nnm
expect initial-epoch "^Epoch 3/5$" out
absent initial-epoch-skips "^Epoch 2/5$" out
expect scheduler-message "^Epoch 00003: LearningRateScheduler setting learning rate to 0.05.$" out
expect scheduler-history "^\[0.05, 0.05, 0.025\]$" out

# an optimizer whose learning rate is a schedule (counted in updates)
cat >optsched.nnm <<'X'
from keras.optimizers.schedules import PiecewiseConstantDecay
(x_train, y_train), (x_test, y_test) = mnist.load_data()
model = Sequential([Dense(10, activation='softmax', input_shape=(784,))])
model.compile(loss='sparse_categorical_crossentropy', optimizer=SGD(learning_rate=PiecewiseConstantDecay([2], [0.1, 0.0])))
h = model.fit(x_train[:300], y_train[:300], epochs=1, batch_size=100, verbose=0)
model.save_weights('a.npz')
model.fit(x_train[:300], y_train[:300], epochs=1, batch_size=100, verbose=0)
model.save_weights('b.npz')
X
run optsched.nnm
# after 3 updates the rate is 0: the second fit changes nothing
cmp -s a.npz b.npz && echo "ok optimizer-schedule" || echo "FAIL optimizer-schedule"

# class_weight: weights of 2 for every class double the loss of the first batch
cat >weights.nnm <<'X'
(x_train, y_train), (x_test, y_test) = mnist.load_data()
model = Sequential([Dense(10, activation='softmax', input_shape=(784,))])
model.compile(loss='sparse_categorical_crossentropy', optimizer='sgd')
model.save_weights('init.npz')
a = model.fit(x_train[:32], y_train[:32], batch_size=32, verbose=0, shuffle=False)
model.load_weights('init.npz')
b = model.fit(x_train[:32], y_train[:32], batch_size=32, verbose=0, shuffle=False,
              class_weight={0: 2, 1: 2, 2: 2, 3: 2, 4: 2, 5: 2, 6: 2, 7: 2, 8: 2, 9: 2})
print(a.history['loss'][0], b.history['loss'][0])
X
run weights.nnm
if awk 'NF == 2 { exit !($2 == 2 * $1 && $1 > 0) }' out; then echo "ok class-weight-doubles-loss"
else echo "FAIL class-weight-doubles-loss"; cat out err; fi

# a loss that overflows: nnmc stops with the epoch and batch (status 1);
# with TerminateOnNaN it stops training as Keras does and goes on
cat >nan.nnm <<'X'
(x_train, y_train), (x_test, y_test) = mnist.load_data()
y = to_categorical(y_train[:640], 10)
model = Sequential([Dense(10, input_shape=(784,))])
model.compile(loss='mse', optimizer=SGD(lr=100.0))
model.fit(x_train[:640], y, epochs=2, batch_size=32)
print('after fit')
X
run nan.nnm
rc=$?
[ $rc = 1 ] && echo "ok nan-status" || echo "FAIL nan-status ($rc)"
expect nan-message "nan.nnm:5: the loss became [a-z]* in epoch 1, batch [0-9]*; training stopped" err
absent nan-stops-the-file "after fit" out
sed -i 's/batch_size=32)/batch_size=32, callbacks=[TerminateOnNaN()])/' nan.nnm
run nan.nnm
rc=$?
[ $rc = 0 ] && echo "ok terminate-on-nan-status" || echo "FAIL terminate-on-nan-status ($rc)"
expect terminate-on-nan-message "^Batch [0-9]*: Invalid loss, terminating training$" out
expect terminate-on-nan-goes-on "^after fit$" out
absent terminate-on-nan-one-epoch "^Epoch 2/2" out

# regularizers add their penalty to the reported loss: the same model and
# weights, with and without l2 on the kernel
cat >reg.nnm <<'X'
(x_train, y_train), (x_test, y_test) = mnist.load_data()
a = Sequential([Dense(10, activation='softmax', input_shape=(784,))])
a.compile(loss='sparse_categorical_crossentropy', optimizer='sgd')
a.save_weights('w.npz')
b = Sequential([Dense(10, activation='softmax', input_shape=(784,), kernel_regularizer=l2(0.5))])
b.compile(loss='sparse_categorical_crossentropy', optimizer='sgd')
b.load_weights('w.npz')
print(a.evaluate(x_test[:100], y_test[:100], verbose=0), b.evaluate(x_test[:100], y_test[:100], verbose=0))
X
run reg.nnm
if awk 'NF == 2 { exit !($2 > $1 + 1) }' out; then echo "ok regularizer-in-loss"; else echo "FAIL regularizer-in-loss"; cat out err; fi
