/* runtime/gemm.h — nnmc's own matrix product: every matrix product of
 * training and inference, so that no BLAS library's choice of kernel
 * changes a figure.  nnm_gemm serves products whose left matrix is never
 * stored (a convolution's columns are read straight from the image, row
 * pointer by row pointer, instead of being copied out by im2col);
 * nnm_matmul, at the end, those whose matrices are.
 *
 * C[m, n] = A[m, k] B[k, n], row-major C.  B is packed once
 * (nnm_gemm_pack_b) and may serve any number of products.  A is read as
 * rows cut into nblocks equal blocks of kc columns (k = nblocks * kc); a
 * callback says where each row's block lies.
 *
 * The figures: every C[i][j] is one chain of fused multiply-adds (fmaf,
 * one rounding each) over k = 0, 1, ..., k - 1 starting from zero.  Neither
 * the tile sizes, nor the ISA version (isa.h: each level has its own tile),
 * nor the thread that runs it changes a bit, and predict-only code made of
 * the same source computes the same. */
#ifndef NNM_GEMM_H
#define NNM_GEMM_H
#include <stdint.h>

/* The widest tile of any version: rows of A, columns of B. */
#define NNM_GEMM_MR_MAX 8
#define NNM_GEMM_NR_MAX 32

/* Where rows [i0, i0 + mr) of A hold their block kb: ptr[i] (i < mr) points
 * at kc floats, in A itself or in scratch (mr * kc floats the callback may
 * fill, for rows that need it). */
typedef void (*NnmGemmRows)(const void *ctx, int64_t i0, int mr, int64_t kb, const float **ptr, float *scratch);

/* A stored as a matrix: row i's block kb at a + i * lda + kb * kc. */
typedef struct {
    const float *a;
    int64_t lda, kc;
} NnmGemmMatrix;
/* the NnmGemmRows of an NnmGemmMatrix (ctx) */
void nnm_gemm_matrix_rows(const void *ctx, int64_t i0, int mr, int64_t kb, const float **ptr, float *scratch);

/* Floats the packed B takes: k rows of n padded to whole panels. */
int64_t nnm_gemm_packed_size(int64_t k, int64_t n);
/* Packs B[k, n] (b[r * ldb + j]; with trans, b[j * ldb + r]) for the ISA
 * version now active (isa.h): products must run under the same version. */
void nnm_gemm_pack_b(int64_t k, int64_t n, const float *b, int64_t ldb, int trans, float *dst);
/* Floats of the per-call work buffer nnm_gemm needs for this k. */
int64_t nnm_gemm_work_size(int64_t kc, int64_t nblocks);
/* C[i * ldc + j] = sum over r of A[i, r] B[r, j], for i < m, j < n, on the
 * calling thread; work: nnm_gemm_work_size floats.  With accumulate, each
 * chain starts from C's value instead of zero: products over consecutive
 * ranges of k made this way equal the product over their union, bit for
 * bit. */
/* What a product's caller does with rows of C as soon as they are final,
 * while they are still in cache (a bias, an activation): fn(ctx, i0, n)
 * for rows [i0, i0 + n), called in row order, covering [0, m) once. */
typedef struct {
    void (*fn)(const void *ctx, int64_t i0, int64_t n);
    const void *ctx;
} NnmGemmDone;
void nnm_gemm(int64_t m, int64_t n, int64_t kc, int64_t nblocks, NnmGemmRows rows, const void *ctx,
              const float *packed_b, int accumulate, float *c, int64_t ldc, float *work, const NnmGemmDone *done);
/* Floats of work nnm_gemm needs with nnm_gemm_matrix_rows and nblocks 1
 * (the pointer table only: matrix rows need no scratch). */
#define NNM_GEMM_MATRIX_WORK 16

/* The whole product for a caller whose matrices are stored, on every
 * thread (nnm_par_for; inline inside a range):
 * C[m, n] = op(A) op(B), plus C's values with accumulate, where op(A) is
 * A[m, k] (a[i * lda + r]) or, with trans_a, A[k, m] transposed
 * (a[r * lda + i]); op(B) likewise.  The figures are nnm_gemm's: one fmaf
 * chain per element, the same bits for any number of threads, any ISA
 * level and any machine.
 * Each thread packs the blocks of B it multiplies (at most 512 rows by 256
 * columns at a time) in its own workspace: workspace + nnm_par_self() *
 * stride, nnm_matmul_workspace floats; shared (nnm_matmul_shared_size
 * floats, the call's alone) holds A transposed when trans_a. */
int64_t nnm_matmul_workspace(int64_t m, int64_t n, int64_t k);
int64_t nnm_matmul_shared_size(int trans_a, int64_t m, int64_t k);
void nnm_matmul(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                const float *b, int64_t ldb, int accumulate, float *c, int64_t ldc, float *shared,
                float *workspace, int64_t stride);
#endif
