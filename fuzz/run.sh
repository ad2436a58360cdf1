#!/usr/bin/env bash
# fuzz/run.sh SECONDS — fuzzes the front end with AFL++ (Debian package
# afl++) under AddressSanitizer and UBSan, seeded with every .nnm file of the
# tests and models.  Findings land in fuzz/out/default/{crashes,hangs}; copy
# each into tests/bad/ once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-1800}
command -v afl-fuzz >/dev/null || { echo "fuzz: install afl++ (apt-get install afl++)" >&2; exit 1; }
make B=build-fuzz CC=afl-clang-fast BIN=build-fuzz/nnmc \
     OPT='-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all' build-fuzz/nnmc >/dev/null
objs=$(ls build-fuzz/compiler/*.o build-fuzz/runtime/*.o build-fuzz/runtime/layers/*.o build-fuzz/parser.o build-fuzz/lexer.o build-fuzz/rt_text.o | grep -v '/main.o$')
AFL_USE_ASAN=1 afl-clang-fast -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
    -D_POSIX_C_SOURCE=200809L -Icompiler -Iruntime -Iruntime/layers -Ibuild-fuzz \
    -o build-fuzz/fuzz_frontend fuzz/fuzz_frontend.c $objs -lz -lm -lpthread -lopenblas
rm -rf build-fuzz/seeds && mkdir -p build-fuzz/seeds
i=0
for f in tests/*/*.nnm tests/bad/* models/*.nnm; do cp "$f" build-fuzz/seeds/seed$((i++)); done
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
export ASAN_OPTIONS=abort_on_error=1:symbolize=0:detect_leaks=0
afl-fuzz -i build-fuzz/seeds -o fuzz/out -V "$secs" -t 2000 -m none -x fuzz/nnm.dict -- build-fuzz/fuzz_frontend
