#!/usr/bin/env bash
# tests/e2e/augment.sh — ImageDataGenerator on a slice of MNIST: the
# progress bar counts batches, steps_per_epoch, the same transforms for the
# same seed whatever the number of threads, and a built program that
# trains to the same weights.
source "$(dirname "$0")/lib.sh"

cat >aug.nnm <<'X'
from keras.preprocessing.image import ImageDataGenerator
(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train = x_train.reshape(60000, 28, 28, 1)
x_test = x_test.reshape(10000, 28, 28, 1)
model = Sequential([Conv2D(4, (3, 3), activation='relu', input_shape=(28, 28, 1)), MaxPooling2D(),
                    Flatten(), Dense(10, activation='softmax')])
model.compile(loss='sparse_categorical_crossentropy', optimizer='adam', metrics=['accuracy'])
datagen = ImageDataGenerator(rotation_range=10, width_shift_range=0.1, height_shift_range=0.1, zoom_range=0.1,
                             shear_range=5, fill_mode='constant')
datagen.fit(x_train)
model.fit(datagen.flow(x_train[:512], y_train[:512], batch_size=64), epochs=2, validation_data=(x_test[:256], y_test[:256]))
model.fit_generator(datagen.flow(x_train[:512], y_train[:512], batch_size=64), steps_per_epoch=3, epochs=1)
model.save_weights('w.npz')
X
"$NNMC" run aug.nnm --data "$root/data" --threads 2 >out 2>err
expect augment-steps-bar "^8/8 \[==============================\] - .* - loss: .* - val_acc: " out
expect augment-steps-per-epoch "^3/3 \[=" out
if grep -q "Train on" out; then echo "FAIL augment-no-train-on-line"; else echo "ok augment-no-train-on-line"; fi
cp w.npz w2.npz
"$NNMC" run aug.nnm --data "$root/data" --threads 1 -q >/dev/null 2>&1
cmp -s w.npz w2.npz && echo "ok augment-same-for-any-threads" || echo "FAIL augment-same-for-any-threads"
"$NNMC" run aug.nnm --data "$root/data" --seed 9 -q >/dev/null 2>&1
cmp -s w.npz w2.npz && echo "FAIL augment-seed-changes-transforms" || echo "ok augment-seed-changes-transforms"
built_same augment-built-program-same aug.nnm out w.npz w2.npz

# Keras 3's augmentation layers: random in training, identity in evaluate
cat >layers.nnm <<'X'
(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train = x_train.reshape(60000, 28, 28, 1)
x_test = x_test.reshape(10000, 28, 28, 1)
model = Sequential([RandomFlip('horizontal', input_shape=(28, 28, 1)), RandomRotation(0.05),
                    RandomTranslation(0.1, 0.1, fill_mode='constant'), RandomZoom((-0.1, 0.1)),
                    Conv2D(4, (3, 3), activation='relu'), Flatten(), Dense(10, activation='softmax')])
model.compile(loss='sparse_categorical_crossentropy', optimizer='adam', metrics=['accuracy'])
model.fit(x_train[:512], y_train[:512], epochs=2, batch_size=64, verbose=0)
print(model.evaluate(x_test[:300], y_test[:300], verbose=0))
print(model.evaluate(x_test[:300], y_test[:300], verbose=0))
model.save_weights('lw.npz')
X
"$NNMC" run layers.nnm --data "$root/data" --threads 2 >out 2>err
if [ "$(sed -n 1p out)" = "$(sed -n 2p out)" ] && grep -q '^\[' out; then echo "ok random-layers-identity-in-evaluate"
else echo "FAIL random-layers-identity-in-evaluate"; cat out err | head -5; fi
cp lw.npz lw2.npz
if "$NNMC" build layers.nnm -o lprog >build.log 2>&1; then
    ./lprog --data "$root/data" --threads 1 >pout 2>perr
    cmp -s out pout && cmp -s lw.npz lw2.npz && echo "ok random-layers-built-program-same" ||
        echo "FAIL random-layers-built-program-same"
else
    echo "FAIL random-layers-build"; tail -5 build.log
fi
