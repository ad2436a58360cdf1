# bench/peak.sh — sourced by bench/run.sh and bench/cifar.sh.  Sets `peak`
# to the most OpenBLAS sgemm reaches on all cores (bench/sgemm_peak.c) with
# any of the kernels it could use here: the one OPENBLAS_CORETYPE names
# when the environment sets it (some machines set it for reproducible
# figures: OPENBLAS_CORETYPE=Haswell on an AVX-512 CPU measured 232
# against 453 GFLOP/s on 2 cores), the one OpenBLAS picks for this CPU by
# itself, and on a CPU with AVX-512 its SkylakeX kernel.  Exports
# OPENBLAS_CORETYPE as the kernel that reached it (unset: OpenBLAS's own
# pick), so that PyTorch's matrix products run with the fastest kernel too.
mkdir -p build
${CC:-cc} -O2 -std=c11 -o build/sgemm_peak bench/sgemm_peak.c -lopenblas ||
    { echo "bench: OpenBLAS, the yardstick, is missing: make bench-deps" >&2; exit 1; }
peak=0
core=
for c in ${OPENBLAS_CORETYPE:-} own $(grep -qw avx512f /proc/cpuinfo && echo SkylakeX); do
    if [ "$c" = own ]; then
        p=$(env -u OPENBLAS_CORETYPE OPENBLAS_NUM_THREADS="$(nproc)" build/sgemm_peak)
    else
        p=$(OPENBLAS_CORETYPE=$c OPENBLAS_NUM_THREADS="$(nproc)" build/sgemm_peak)
    fi
    echo "OpenBLAS sgemm on $(nproc) cores, kernel $c: $p GFLOP/s (2048^3, best of 8)"
    if [ "$p" -gt "$peak" ]; then peak=$p core=$c; fi
done
if [ "$core" = own ]; then unset OPENBLAS_CORETYPE; else export OPENBLAS_CORETYPE=$core; fi
echo "sgemm peak: $peak GFLOP/s (kernel $core)"
