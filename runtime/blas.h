/* runtime/blas.h — the one door to BLAS.
 *
 * Row-major C = alpha * op(A) * op(B) + beta * C, op = transpose when the
 * flag is set; A is MxK after op, B is KxN after op.  With NNM_USE_CBLAS
 * the work goes to OpenBLAS; the reference loop is always compiled and is
 * used when nnm_blas_use_reference(1) was called (tests compare the two)
 * or when nnmc is built with BLAS=ref. */
#ifndef NNM_BLAS_H
#define NNM_BLAS_H
#include <stdint.h>

void nnm_sgemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
               const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
               int64_t ldc);
void nnm_sgemm_ref(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                   const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                   int64_t ldc);
void nnm_blas_use_reference(int on);
void nnm_blas_set_threads(int n);
const char *nnm_blas_name(void);
#endif
