#!/usr/bin/env bash
# fuzz/run.sh SECONDS [frontend|files] — fuzzes nnmc with AFL++ (Debian
# package afl++) under AddressSanitizer and UBSan, in persistent mode:
#   frontend  model files (fuzz_frontend.c), seeded with every .nnm file of
#             the tests and models
#   files     checkpoints, .npz weights, images, CSV, IDX and CIFAR files
#             (fuzz_files.c), seeded with valid files the harness writes
# Findings land in fuzz/out/TARGET/default/{crashes,hangs}; replay one with
# build-fuzz/fuzz_TARGET FILE (FUZZ_VERBOSE=1 shows messages) and add it to
# the tests once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-1800}
target=${2:-frontend}
case $target in frontend | files) ;; *) echo "fuzz: no target '$target' (frontend, files)" >&2; exit 2 ;; esac
command -v afl-fuzz >/dev/null || { echo "fuzz: install afl++ (apt-get install afl++)" >&2; exit 1; }
make B=build-fuzz CC=afl-clang-fast BIN=build-fuzz/nnmc \
     OPT='-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all' "build-fuzz/fuzz_$target" >/dev/null
seeds=build-fuzz/seeds-$target
rm -rf "$seeds" && mkdir -p "$seeds"
if [ "$target" = frontend ]; then
    i=0
    for f in tests/*/*.nnm tests/bad/* models/*.nnm; do cp "$f" "$seeds/seed$((i++))"; done
else
    ASAN_OPTIONS=detect_leaks=0 FUZZ_WORK="$PWD/build-fuzz/work-seeds" "build-fuzz/fuzz_$target" --seeds "$seeds" >/dev/null
    for f in tests/files/*; do [ -f "$f" ] && cp "$f" "$seeds/kept-${f##*/}"; done
fi
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
# a run that goes above 500 MB of memory is a finding too (ASan aborts it):
# AFL++'s own -m cannot limit a sanitized binary, whose shadow memory is vast
export ASAN_OPTIONS=abort_on_error=1:symbolize=0:detect_leaks=0:rss_limit_mb=500:malloc_limit_mb=500
export FUZZ_WORK=$PWD/build-fuzz/work-$target
dict=()
[ "$target" = frontend ] && dict=(-x fuzz/nnm.dict)
mkdir -p fuzz/out
afl-fuzz -i "$seeds" -o "fuzz/out/$target" -V "$secs" -t 2000 -m none "${dict[@]}" -- "build-fuzz/fuzz_$target"
