/* bench/sgemm_peak.c — what OpenBLAS's sgemm reaches on this machine: the
 * best of several 2048x2048x2048 products, in GFLOP/s, with the number of
 * threads OpenBLAS is given (OPENBLAS_NUM_THREADS).  bench/run.sh states
 * nnmc's speed as a fraction of this figure. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(void)
{
    const int n = 2048, reps = 8;
    float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n), *c = malloc(sizeof(float) * n * n);
    if (!a || !b || !c)
        return 1;
    for (int i = 0; i < n * n; i++) {
        a[i] = (float)(i % 17) * 0.01f;
        b[i] = (float)(i % 13) * 0.01f;
    }
    double best = 0;
    for (int r = 0; r < reps; r++) {
        double t = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        t = now() - t;
        double gf = 2.0 * n * n * (double)n / t / 1e9;
        if (gf > best)
            best = gf;
    }
    printf("%.0f\n", best);
    free(a);
    free(b);
    free(c);
    return 0;
}
