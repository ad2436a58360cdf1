/* runtime/blas.c — see blas.h. */
#include "blas.h"

#if NNM_USE_CBLAS
#include <cblas.h>
#endif

static int use_ref = !NNM_USE_CBLAS;

void nnm_blas_use_reference(int on) { use_ref = on || !NNM_USE_CBLAS; }

const char *nnm_blas_name(void) { return use_ref ? "reference" : "OpenBLAS"; }

void nnm_blas_set_threads(int n)
{
#if NNM_USE_CBLAS
    openblas_set_num_threads(n);
#else
    (void)n;
#endif
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

void nnm_sgemm(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a,
               int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc)
{
    if (m == 0 || n == 0)
        return;
#if NNM_USE_CBLAS
    if (!use_ref) {
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                    (blasint)m, (blasint)n, (blasint)k, alpha, a, (blasint)lda, b, (blasint)ldb,
                    beta, c, (blasint)ldc);
        return;
    }
#endif
    nnm_sgemm_ref(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
