/* runtime/blas.c — see blas.h. */
#include "blas.h"
#include "parallel.h"

#ifndef NNM_USE_CBLAS
#define NNM_USE_CBLAS 0 /* make BLAS=ref: no OpenBLAS at all */
#endif

#if NNM_USE_CBLAS
#include <cblas.h>
#endif

static int use_ref = !NNM_USE_CBLAS;

void nnm_blas_use_reference(int on) { use_ref = on || !NNM_USE_CBLAS; }

const char *nnm_blas_name(void) { return use_ref ? "reference" : "OpenBLAS"; }

void nnm_blas_set_threads(int n)
{
#if NNM_USE_CBLAS && defined(OPENBLAS_VERSION)
    /* OpenBLAS stays single-threaded: nnmc's own threads split the work */
    openblas_set_num_threads(1);
#endif
    nnm_par_init(n);
}

void nnm_sgemm_ref(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a,
                   int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc)
{
    for (int64_t i = 0; i < m; i++) {
        float *ci = c + i * ldc;
        for (int64_t j = 0; j < n; j++)
            ci[j] = beta == 0.0f ? 0.0f : beta * ci[j];
        for (int64_t p = 0; p < k; p++) {
            float av = alpha * (ta ? a[p * lda + i] : a[i * lda + p]);
            if (tb)
                for (int64_t j = 0; j < n; j++)
                    ci[j] += av * b[j * ldb + p];
            else {
                const float *bp = b + p * ldb;
                for (int64_t j = 0; j < n; j++)
                    ci[j] += av * bp[j];
            }
        }
    }
}

typedef struct {
    int ta, tb;
    int64_t m, n, k, lda, ldb, ldc;
    float alpha, beta;
    const float *a, *b;
    float *c;
    int by_rows;       /* split C by rows rather than by columns */
    int64_t chunk;     /* rows or columns per part (a multiple of 16) */
    int64_t extent;    /* m or n: the dimension that is split */
} Gemm;

/* One undivided BLAS call for the block of C at rows [i0, i1), columns
 * [j0, j1). */
static void gemm_block(const Gemm *g, int64_t i0, int64_t i1, int64_t j0, int64_t j1)
{
    const float *a = g->ta ? g->a + i0 : g->a + i0 * g->lda;
    const float *b = g->tb ? g->b + j0 * g->ldb : g->b + j0;
    float *c = g->c + i0 * g->ldc + j0;
#if NNM_USE_CBLAS
    if (!use_ref) {
        cblas_sgemm(CblasRowMajor, g->ta ? CblasTrans : CblasNoTrans, g->tb ? CblasTrans : CblasNoTrans,
                    (int)(i1 - i0), (int)(j1 - j0), (int)g->k, g->alpha, a, (int)g->lda,
                    b, (int)g->ldb, g->beta, c, (int)g->ldc);
        return;
    }
#else
    (void)use_ref;
#endif
    nnm_sgemm_ref(g->ta, g->tb, i1 - i0, j1 - j0, g->k, g->alpha, a, g->lda, b, g->ldb, g->beta, c,
                  g->ldc);
}

/* Parts [p0, p1) of the product, in order. */
static void gemm_parts(void *p, int64_t p0, int64_t p1)
{
    const Gemm *g = p;
    for (int64_t part = p0; part < p1; part++) {
        int64_t lo = part * g->chunk, hi = lo + g->chunk < g->extent ? lo + g->chunk : g->extent;
        if (g->by_rows)
            gemm_block(g, lo, hi, 0, g->n);
        else
            gemm_block(g, 0, g->m, lo, hi);
    }
}

/* How many parts a product is cut into.  It depends on the shape alone,
 * never on the number of threads: an optimized BLAS does not promise that
 * an element of C comes out the same when it is computed inside a block of
 * another size (OpenBLAS's Haswell/Zen kernels do differ in the last bit),
 * so the blocks must be the same whether one thread or eight compute them.
 * A part is worth handing to another thread from about 1 MFLOP (some 10
 * microseconds); parts narrower than 64 lose more to packing than they gain. */
static int64_t gemm_part_count(int64_t flops, int64_t extent)
{
    int64_t parts = 1;
    while (parts < 8 && flops / (2 * parts) >= 1000000 && extent / (2 * parts) >= 64)
        parts *= 2;
    return parts;
}

void nnm_sgemm(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a,
               int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc)
{
    if (m == 0 || n == 0)
        return;
    Gemm g = {ta, tb, m, n, k, lda, ldb, ldc, alpha, beta, a, b, c, 0, n, n};
    /* Split by columns of C when there are many, else by rows (convolutions
     * with few filters). */
    if (!(n >= 128 || n >= m)) {
        g.by_rows = 1;
        g.extent = m;
    }
    int64_t parts = gemm_part_count(2 * m * n * k, g.extent);
    g.chunk = (g.extent + parts - 1) / parts;
    g.chunk = (g.chunk + 15) / 16 * 16;
    parts = (g.extent + g.chunk - 1) / g.chunk;
    nnm_par_for(parts, 1, 2, gemm_parts, &g);
}
