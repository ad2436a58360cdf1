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
#if NNM_USE_CBLAS
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
} Gemm;

/* Columns [j0, j1) of C: each element's sum is computed exactly as in the
 * undivided product, so the split does not change any figure. */
static void gemm_cols(void *p, int64_t j0, int64_t j1)
{
    const Gemm *g = p;
    const float *b = g->tb ? g->b + j0 * g->ldb : g->b + j0;
#if NNM_USE_CBLAS
    if (!use_ref) {
        cblas_sgemm(CblasRowMajor, g->ta ? CblasTrans : CblasNoTrans, g->tb ? CblasTrans : CblasNoTrans,
                    (blasint)g->m, (blasint)(j1 - j0), (blasint)g->k, g->alpha, g->a, (blasint)g->lda,
                    b, (blasint)g->ldb, g->beta, g->c + j0, (blasint)g->ldc);
        return;
    }
#endif
    nnm_sgemm_ref(g->ta, g->tb, g->m, j1 - j0, g->k, g->alpha, g->a, g->lda, b, g->ldb, g->beta,
                  g->c + j0, g->ldc);
}

/* Rows [i0, i1) of C, for products with few columns (convolutions with few
 * filters); again each element is computed as in the whole product. */
static void gemm_rows(void *p, int64_t i0, int64_t i1)
{
    const Gemm *g = p;
    const float *a = g->ta ? g->a + i0 : g->a + i0 * g->lda;
#if NNM_USE_CBLAS
    if (!use_ref) {
        cblas_sgemm(CblasRowMajor, g->ta ? CblasTrans : CblasNoTrans, g->tb ? CblasTrans : CblasNoTrans,
                    (blasint)(i1 - i0), (blasint)g->n, (blasint)g->k, g->alpha, a, (blasint)g->lda,
                    g->b, (blasint)g->ldb, g->beta, g->c + i0 * g->ldc, (blasint)g->ldc);
        return;
    }
#endif
    nnm_sgemm_ref(g->ta, g->tb, i1 - i0, g->n, g->k, g->alpha, a, g->lda, g->b, g->ldb, g->beta,
                  g->c + i0 * g->ldc, g->ldc);
}

void nnm_sgemm(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a,
               int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc)
{
    if (m == 0 || n == 0)
        return;
    Gemm g = {ta, tb, m, n, k, lda, ldb, ldc, alpha, beta, a, b, c};
    /* Split between the threads when the product is big enough to pay for
     * the hand-over (about 10 microseconds): by columns of C when there are
     * many, else by rows. */
    int64_t flops = 2 * m * n * k;
    if (flops < 2000000 || (n < 64 && m < 64)) {
        gemm_cols(&g, 0, n);
        return;
    }
    if (n >= 128 || n >= m)
        nnm_par_for(n, 16, 64, gemm_cols, &g);
    else
        nnm_par_for(m, 16, 64, gemm_rows, &g);
}
