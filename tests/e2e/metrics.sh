#!/usr/bin/env bash
# tests/e2e/metrics.sh — compile(metrics=[...]) in the progress line, the
# history and evaluate(); `nnmc run --report`; the same in a built program.
source "$(dirname "$0")/lib.sh"

cat >metrics.nnm <<'X'
(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train = x_train.reshape(60000, 784) / 255
x_test = x_test.reshape(10000, 784) / 255
model = Sequential([Dense(32, activation='relu', input_shape=(784,)), Dense(10, activation='softmax')])
model.compile(loss='sparse_categorical_crossentropy', optimizer='adam',
              metrics=['accuracy', keras.metrics.TopKCategoricalAccuracy(k=3), 'mse', Precision(), Recall(),
                       F1Score(average='macro')])
h = model.fit(x_train[:1000], y_train[:1000], epochs=2, validation_split=0.2, verbose=2)
print(h.history['val_f1_score'])
r = model.evaluate(x_test[:500], y_test[:500], verbose=0)
print(r)
loss, acc, top3, mse, p, rc, f1 = r
print('top3 and acc', top3, acc)
X
run metrics.nnm --report
cp out metrics.out
expect metrics-progress "^ - [0-9]*s - loss: [0-9.]* - acc: [0-9.]* - top_k_categorical_accuracy: [0-9.]* - mean_squared_error: [0-9.]* - precision: [0-9.]* - recall: [0-9.]* - f1_score: [0-9.]* - val_loss: .* - val_f1_score: [0-9.]*$" out
expect metrics-history "^\[0\.[0-9]*, 0\.[0-9]*\]$" out
expect metrics-evaluate "^\[[0-9.]*, [0-9.]*, [0-9.]*, [0-9.]*, [0-9.]*, [0-9.]*, [0-9.]*\]$" out
if awk '/^top3 and acc/ { exit !($4 >= $5 && $4 > 0.5) }' out; then echo "ok metrics-top3"; else echo "FAIL metrics-top3"; grep top3 out; fi
expect report-confusion "^Confusion matrix (rows: true class, columns: predicted class)$" out
expect report-header "precision    recall  f1-score   support$" out
expect report-macro "^   macro avg " out
expect report-support "^weighted avg .* 500$" out
# the report's rows sum to the samples evaluated
rows=$(awk '/^Confusion matrix/ { on = 1; getline; next } on && NF == 11 { for (i = 2; i <= 11; i++) s += $i } on && NF == 0 { on = 0 } END { print s }' out)
[ "$rows" = 500 ] && echo "ok report-counts" || echo "FAIL report-counts ($rows)"

# CIFAR-10's class names in the report
if [ -s "$root/data/cifar-10-batches-bin/test_batch.bin" ]; then
    cat >cifar.nnm <<'X'
(x_train, y_train), (x_test, y_test) = cifar10.load_data(classes=[3, 5])
model = Sequential([Flatten(input_shape=(32, 32, 3)), Dense(1, activation='sigmoid')])
model.compile(loss='binary_crossentropy', optimizer='adam', metrics=['acc', 'auc'])
model.evaluate(x_test[:200], y_test[:200], verbose=0)
X
    run cifar.nnm --report
    expect report-class-names "^ *dog " out
else
    echo "SKIP report-class-names: no CIFAR-10 in data/"
fi

# the built program prints the same figures
built_same metrics-built-program-same metrics.nnm metrics.out - - --report

# --plot: the history after every epoch and the confusion matrix, as SVG
"$NNMC" run metrics.nnm --data "$root/data" --threads 1 -q --plot pics >/dev/null 2>err
if [ -s pics/fit1.svg ] && [ -s pics/confusion1.svg ]; then echo "ok plot-files"; else echo "FAIL plot-files"; ls pics; cat err; fi
# 7 panels (loss and 6 metrics), each with a training and a validation line
[ "$(grep -c '<polyline' pics/fit1.svg)" = 14 ] && echo "ok plot-history-series" || echo "FAIL plot-history-series"
[ "$(grep -c '<rect x=' pics/confusion1.svg)" -ge 100 ] && echo "ok plot-confusion-cells" || echo "FAIL plot-confusion-cells"
if /usr/bin/python3 -c 'import sys, xml.dom.minidom as m; [m.parse(f) for f in sys.argv[1:]]' pics/*.svg 2>/dev/null; then
    echo "ok plot-well-formed-xml"; else echo "FAIL plot-well-formed-xml"; fi
