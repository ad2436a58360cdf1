#!/usr/bin/env bash
# tests/e2e/resume.sh — --checkpoint / --resume: runs killed with SIGKILL at
# random moments and resumed until they finish end with the weights, the
# history and the CSV log of an uninterrupted run; damaged or foreign
# checkpoints are refused and left as they are.
source "$(dirname "$0")/lib.sh"

# two fits with an evaluate between them, dropout, callbacks with state
cat >ck.nnm <<'X'
from keras.callbacks import EarlyStopping, CSVLogger, ReduceLROnPlateau
(x_train, y_train), (x_test, y_test) = mnist.load_data()
model = Sequential([Dense(64, activation='relu', input_shape=(784,)), Dropout(0.2), Dense(10, activation='softmax')])
model.compile(loss='sparse_categorical_crossentropy', optimizer='adam', metrics=['accuracy'])
h1 = model.fit(x_train[:4000], y_train[:4000], epochs=4, batch_size=32, validation_split=0.2,
               callbacks=[CSVLogger('log.csv'), ReduceLROnPlateau(monitor='loss', patience=1, min_delta=0.2)])
s = model.evaluate(x_test[:1000], y_test[:1000], verbose=0)
h2 = model.fit(x_train[4000:8000], y_train[4000:8000], epochs=5, batch_size=32, validation_split=0.2,
               callbacks=[EarlyStopping(monitor='val_loss', patience=2, restore_best_weights=True)])
print(h1.history)
print(s)
print(h2.history)
model.save_weights('final.npz')
X
mkdir ref && (cd ref && "$NNMC" run ../ck.nnm --data "$root/data" --threads 2 -q >out 2>err)
[ -s ref/final.npz ] && echo "ok resume-reference-run" || { echo "FAIL resume-reference-run"; cat ref/err; }

kill_and_resume() { # dir: four runs killed at random moments, then one to the end
    local d=$1 k delays=""
    mkdir -p "$d"
    for k in 1 2 3 4; do
        local t=$(( (RANDOM % 12) + 3 )) # tenths of a second
        delays="$delays $t"
        (cd "$d" && exec timeout -s KILL "$((t / 10)).$((t % 10))" "$NNMC" run ../ck.nnm --data "$root/data" \
            --threads 2 -q --checkpoint ck --resume ck >out 2>err)
    done
    echo "$delays" >"$d/delays"
    (cd "$d" && "$NNMC" run ../ck.nnm --data "$root/data" --threads 2 -q --checkpoint ck --resume ck >out 2>err)
}
if kill_and_resume killed 2>/dev/null; then
    if cmp -s ref/final.npz killed/final.npz && cmp -s ref/log.csv killed/log.csv && cmp -s ref/out killed/out; then
        echo "ok resume-after-kills-same-weights-history-csv"
        echo "note resume: killed after tenths of a second:$(cat killed/delays)"
    else
        echo "FAIL resume-after-kills-same-weights-history-csv (kills after tenths:$(cat killed/delays))"
        diff ref/out killed/out | head -5
    fi
else
    echo "FAIL resume-after-kills: no run finished (kills after tenths:$(cat killed/delays))"; cat killed/err
fi
# resuming a finished run's checkpoint re-runs only what follows its last fit
(cd killed && "$NNMC" run ../ck.nnm --data "$root/data" -q --resume ck >out2 2>err2)
cmp -s killed/out killed/out2 && cmp -s ref/final.npz killed/final.npz && echo "ok resume-finished-run" ||
    { echo "FAIL resume-finished-run"; head -3 killed/err2; }

# --resume without a checkpoint yet starts from the beginning
mkdir fresh && (cd fresh && "$NNMC" run ../ck.nnm --data "$root/data" -q --resume none >out 2>err)
cmp -s ref/final.npz fresh/final.npz && echo "ok resume-from-nothing" || echo "FAIL resume-from-nothing"
expect resume-from-nothing-note "no checkpoint in none yet: starting from the beginning" fresh/err

# damaged checkpoints: refused, named, left alone
cp killed/ck/checkpoint.nnmc good.nnmc
mkdir -p bad/ck
head -c 5000 good.nnmc >bad/ck/checkpoint.nnmc
cp bad/ck/checkpoint.nnmc before
(cd bad && "$NNMC" run ../ck.nnm --data "$root/data" -q --checkpoint ck --resume ck >out 2>err)
rc=$?
[ $rc = 1 ] && echo "ok resume-truncated-status" || echo "FAIL resume-truncated-status ($rc)"
expect resume-truncated-message "ck/checkpoint.nnmc: is damaged (truncated or its checksum does not match)" bad/err
cmp -s before bad/ck/checkpoint.nnmc && echo "ok resume-damaged-left-alone" || echo "FAIL resume-damaged-left-alone"
cp good.nnmc bad/ck/checkpoint.nnmc
printf '\x55' | dd of=bad/ck/checkpoint.nnmc bs=1 seek=3000 conv=notrunc 2>/dev/null
(cd bad && "$NNMC" run ../ck.nnm --data "$root/data" -q --resume ck >out 2>err)
expect resume-bad-checksum "checksum does not match" bad/err
cp good.nnmc bad/ck/checkpoint.nnmc
(cd bad && "$NNMC" run ../ck.nnm --data "$root/data" -q --resume ck --seed 5 >out 2>err)
expect resume-other-seed "was written with --seed 1, not 5" bad/err
sed 's/Dense(64/Dense(32/' ck.nnm >other.nnm
(cd bad && "$NNMC" run ../other.nnm --data "$root/data" -q --resume ck >out 2>err)
expect resume-other-program "was written by another program" bad/err
echo "not a checkpoint" >bad/ck/checkpoint.nnmc
(cd bad && "$NNMC" run ../ck.nnm --data "$root/data" -q --resume ck >out 2>err)
expect resume-not-checkpoint "is not an nnmc checkpoint" bad/err

# a built program checkpoints and resumes the same way
if "$NNMC" build ck.nnm -o prog >build.log 2>&1; then
    mkdir built
    { (cd built && timeout -s KILL 0.8 ../prog --data "$root/data" -q --checkpoint ck >/dev/null 2>&1); } 2>/dev/null
    (cd built && ../prog --data "$root/data" -q --checkpoint ck --resume ck >out 2>err)
    cmp -s ref/final.npz built/final.npz && cmp -s ref/out built/out && echo "ok resume-built-program" ||
        { echo "FAIL resume-built-program"; head -3 built/err; }
else
    echo "FAIL resume-build"; tail -3 build.log
fi
