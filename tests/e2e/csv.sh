#!/usr/bin/env bash
# tests/e2e/csv.sh — load_csv on a generated iris-like table: shapes known
# at compile time, training, a built program that reads the same split, and
# a file that changed after compiling.
source "$(dirname "$0")/lib.sh"
/usr/bin/python3 - <<'X'
import random
random.seed(1)
rows = ['sepal_length,sepal_width,petal_length,petal_width,species']
centres = {'setosa': (5.0, 3.4, 1.5, 0.2), 'versicolor': (5.9, 2.8, 4.3, 1.3), 'virginica': (6.6, 3.0, 5.5, 2.0)}
for name, c in centres.items():
    for i in range(50):
        rows.append(','.join('%.1f' % (v + random.gauss(0, 0.3)) for v in c) + ',"' + name + '"')
open('iris.csv', 'w').write('\n'.join(rows) + '\n')
X
cat >csv.nnm <<'X'
(x_train, y_train), (x_test, y_test) = load_csv('iris.csv', label_column='species', test_split=0.2, standardize=True)
print(x_train.shape, y_train.shape, x_test.shape, y_test.shape)
model = Sequential([Dense(16, activation='relu', input_shape=x_train.shape[1:]), Dense(3, activation='softmax')])
model.compile(loss='sparse_categorical_crossentropy', optimizer=Adam(lr=0.01), metrics=['accuracy'])
model.fit(x_train, y_train, epochs=30, batch_size=16, verbose=0)
print('accuracy', model.evaluate(x_test, y_test, verbose=0)[1])
model.save_weights('w.npz')
X
"$NNMC" run csv.nnm >out 2>err
grep -q "^(120, 4) (120,) (30, 4) (30,)$" out && echo "ok csv-shapes" || { echo "FAIL csv-shapes"; cat out err; }
awk '/^accuracy/ { exit !($2 >= 0.9) }' out && echo "ok csv-learns" || { echo "FAIL csv-learns"; cat out; }
if "$NNMC" build csv.nnm -o prog >build.log 2>&1; then
    cp w.npz w1.npz
    ./prog >pout 2>perr
    cmp -s out pout && cmp -s w.npz w1.npz && echo "ok csv-built-program-same" || echo "FAIL csv-built-program-same"
    head -100 iris.csv >small.csv && mv small.csv iris.csv
    ./prog >pout 2>perr
    [ $? = 1 ] && grep -q "iris.csv: has changed since the program was compiled" perr && echo "ok csv-changed-file" ||
        { echo "FAIL csv-changed-file"; cat perr; }
else
    echo "FAIL csv-build"; tail -3 build.log
fi
