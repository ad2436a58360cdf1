/* runtime/gemm.c — nnmc's own matrix product (gemm.h).
 *
 * Each ISA level has its own tile: MR rows of A by NR columns of B held in
 * registers (AVX-512: 8 x 32 in 16 of its 32 registers; AVX2: 6 x 16 in 12
 * of 16; baseline and predict-only code: 4 x 8).  MR is also the number of
 * row pointers the loop keeps: more than 8 run out of general registers
 * (12 x 32 measured 15-25% slower).  A tile walks all of k,
 * block by block, one broadcast of A's value times NR values of B per fused
 * multiply-add; B's panels are laid out in the order the tile reads them.
 * Only the blocking differs between versions: each entry's chain of fmaf
 * over k, and so its bits, are the same in all. */
#include "gemm.h"
#include "isa.h"
#include "kernels.h"
#include "parallel.h"
#include "util.h"

#include <math.h>
#include <string.h>
#if NNM_ISA_DISPATCH
#include <immintrin.h>
#endif

typedef struct {
    int64_t m, n, kc, nblocks, ldc;
    int accumulate;
    NnmGemmRows rows;
    const void *ctx;
    const float *pb;
    float *c;
    float *work;
    const NnmGemmDone *done;
} GemmCall;

/* Rows are handed to the caller in runs of at least this many values of
 * C: few enough calls, while the rows are still in L1/L2. */
#define DONE_FLOATS 4096

/* the pointer table (nblocks * MR_MAX row pointers) first, then the
 * callback's scratch, in whole cache lines */
static int64_t table_floats(int64_t nblocks)
{
    int64_t bytes = nblocks * NNM_GEMM_MR_MAX * (int64_t)sizeof(const float *);
    return (bytes + 63) / 64 * 16;
}

int64_t nnm_gemm_work_size(int64_t kc, int64_t nblocks) { return table_floats(nblocks) + nblocks * NNM_GEMM_MR_MAX * kc; }

/* the tile's rows written out, so that its accumulators stay in registers */
#define UNROLLED _Pragma("GCC unroll 16")

/* TILE_BODY(MR, NR): the micro-kernel of one level, the body of a
 * function of its own (tile_*) so that the compiler gives its loop all the
 * general registers (the MR row pointers, B's) instead of sharing them with
 * the tile walk: acc[MR][NR] += rows rp[i][0, kc) times the packed panel
 * bk (kc rows of NR). */
#define TILE_BODY(MR, NR)                                                                          \
    do {                                                                                           \
        float acc[MR][NR];                                                                         \
        memcpy(acc, accp, sizeof acc);                                                             \
        const float *row[MR];                                                                      \
        for (int i = 0; i < MR; i++)                                                               \
            row[i] = rp[i];                                                                        \
        for (int64_t r = 0; r < kc; r++, bk += NR)                                                 \
            UNROLLED for (int i = 0; i < MR; i++) {                                                \
                const float av = row[i][r];                                                        \
                for (int j = 0; j < NR; j++)                                                       \
                    acc[i][j] = fmaf(av, bk[j], acc[i][j]);                                        \
            }                                                                                      \
        memcpy(accp, acc, sizeof acc);                                                             \
    } while (0)

/* GEMM_BODY(MR, NR, TILE): the body of the product for
 * one level, as a statement.  Rows past m repeat row i0 (their results are
 * dropped); columns past n meet the zero padding of B's last panel.  The
 * tiles go row panel by row panel, or, when B is the larger matrix (n > m:
 * a weight gradient), column panel by column panel, so that the panel
 * every tile of the pass reads stays in cache; the order changes no bit. */
#define GEMM_BODY(MR, NR, TILE)                                                                    \
    do {                                                                                           \
        const float **ptr = (const float **)(void *)g->work;                                       \
        float *scratch = g->work + table_floats(g->nblocks);                                       \
        const int64_t kc = g->kc, nb = g->nblocks, k = kc * nb;                                    \
        const int64_t ni = (g->m + MR - 1) / MR, nj = (g->n + NR - 1) / NR;                        \
        const int by_columns = g->n > g->m;                                                        \
        int64_t have = -1, flushed = 0;                                                            \
        for (int64_t t = 0; t < ni * nj; t++) {                                                    \
            const int64_t ti = by_columns ? t % ni : t / nj, tj = by_columns ? t / ni : t % nj;    \
            const int64_t i0 = ti * MR, j0 = tj * NR;                                              \
            const int mr = (int)NNM_MIN(MR, g->m - i0), nr = (int)NNM_MIN(NR, g->n - j0);          \
            if (ti != have) {                                                                      \
                for (int64_t b = 0; b < nb; b++) {                                                 \
                    g->rows(g->ctx, i0, mr, b, ptr + b * MR, scratch + b * MR * kc);               \
                    for (int i = mr; i < MR; i++)                                                  \
                        ptr[b * MR + i] = ptr[b * MR];                                             \
                }                                                                                  \
                have = ti;                                                                         \
            }                                                                                      \
            float *c = g->c + i0 * g->ldc + j0;                                                    \
            _Alignas(64) float acc[MR][NR];                                                        \
            memset(acc, 0, sizeof acc);                                                            \
            if (g->accumulate)                                                                     \
                for (int i = 0; i < mr; i++)                                                       \
                    for (int j = 0; j < NR; j++)                                                   \
                        if (j < nr)                                                                \
                            acc[i][j] = c[i * g->ldc + j];                                         \
            for (int64_t b = 0; b < nb; b++)                                                       \
                TILE(ptr + b * MR, g->pb + j0 * k + b * kc * NR, kc, acc);                         \
            /* whole rows in vector stores, part rows by masked stores      \
             * where the level has them (no call per row, whatever the      \
             * tuning: -march=native made memcpy of a row a call) */         \
            if (nr == NR)                                                                          \
                UNROLLED for (int i = 0; i < MR; i++) {                                            \
                    if (i < mr)                                                                    \
                        UNROLLED for (int j = 0; j < NR; j++)                                      \
                            c[i * g->ldc + j] = acc[i][j];                                         \
                }                                                                                  \
            else                                                                                   \
                UNROLLED for (int i = 0; i < MR; i++) {                                            \
                    if (i < mr)                                                                    \
                        for (int j = 0; j < NR; j++)                                               \
                            if (j < nr)                                                            \
                                c[i * g->ldc + j] = acc[i][j];                                     \
                }                                                                                  \
            if (g->done && !by_columns && tj == nj - 1 &&                                          \
                ((i0 + mr - flushed) * g->n >= DONE_FLOATS || i0 + mr == g->m)) {                  \
                g->done->fn(g->done->ctx, flushed, i0 + mr - flushed);                             \
                flushed = i0 + mr;                                                                 \
            }                                                                                      \
        }                                                                                          \
        if (g->done && by_columns)                                                                 \
            g->done->fn(g->done->ctx, 0, g->m);                                                    \
    } while (0)

__attribute__((noinline)) static void tile_small(const float *const *rp, const float *bk, int64_t kc, float (*accp)[8])
{
    TILE_BODY(4, 8);
}

static void gemm_small(const GemmCall *g)
{
    GEMM_BODY(4, 8, tile_small);
}

#if NNM_ISA_DISPATCH
/* AVX2 has 16 vector registers: the 12 accumulators, B's two vectors and
 * one broadcast.  From TILE_BODY, gcc 12 keeps the 12 accumulators in arrays
 * it stores back at every step of k (half the speed), so this tile
 * names each register; _mm256_fmadd_ps is fmaf in each lane, the same bits. */
#define AVX2_ROW(i)                                                                                \
    v = _mm256_broadcast_ss(r##i + r);                                                             \
    c##i##0 = _mm256_fmadd_ps(v, b0, c##i##0);                                                     \
    c##i##1 = _mm256_fmadd_ps(v, b1, c##i##1)
#define AVX2_LOAD(i) __m256 c##i##0 = _mm256_loadu_ps(accp[i]), c##i##1 = _mm256_loadu_ps(accp[i] + 8); const float *r##i = rp[i]
#define AVX2_STORE(i) _mm256_storeu_ps(accp[i], c##i##0), _mm256_storeu_ps(accp[i] + 8, c##i##1)
__attribute__((noinline, target("avx2,fma"))) static void tile_avx2(const float *const *rp, const float *bk, int64_t kc,
                                                                     float (*accp)[16])
{
    AVX2_LOAD(0); AVX2_LOAD(1); AVX2_LOAD(2); AVX2_LOAD(3); AVX2_LOAD(4); AVX2_LOAD(5);
    for (int64_t r = 0; r < kc; r++, bk += 16) {
        const __m256 b0 = _mm256_loadu_ps(bk), b1 = _mm256_loadu_ps(bk + 8);
        __m256 v;
        AVX2_ROW(0); AVX2_ROW(1); AVX2_ROW(2); AVX2_ROW(3); AVX2_ROW(4); AVX2_ROW(5);
    }
    AVX2_STORE(0); AVX2_STORE(1); AVX2_STORE(2); AVX2_STORE(3); AVX2_STORE(4); AVX2_STORE(5);
}

__attribute__((target("avx2,fma"))) static void gemm_avx2(const GemmCall *g)
{
    GEMM_BODY(6, 16, tile_avx2);
}

__attribute__((noinline, target(NNM_ISA_AVX512_TARGET ",fma"))) static void tile_avx512(const float *const *rp, const float *bk,
                                                                                        int64_t kc, float (*accp)[32])
{
    TILE_BODY(8, 32);
}

__attribute__((target(NNM_ISA_AVX512_TARGET ",fma"))) static void gemm_avx512(const GemmCall *g)
{
    GEMM_BODY(8, 32, tile_avx512);
}
#endif

/* the tile width of the active version */
static int64_t panel_width(void)
{
#if NNM_ISA_DISPATCH
    if (nnm_isa_active == NNM_ISA_AVX512)
        return 32;
    if (nnm_isa_active == NNM_ISA_AVX2)
        return 16;
#endif
    return 8;
}

void nnm_gemm_matrix_rows(const void *ctx, int64_t i0, int mr, int64_t kb, const float **ptr, float *scratch)
{
    const NnmGemmMatrix *m = ctx;
    (void)scratch;
    for (int i = 0; i < mr; i++)
        ptr[i] = m->a + (i0 + i) * m->lda + kb * m->kc;
}

int64_t nnm_gemm_packed_size(int64_t k, int64_t n) { return k * ((n + NNM_GEMM_NR_MAX - 1) / NNM_GEMM_NR_MAX * NNM_GEMM_NR_MAX); }

void nnm_gemm_pack_b(int64_t k, int64_t n, const float *b, int64_t ldb, int trans, float *dst)
{
    const int64_t nr = panel_width();
    for (int64_t j0 = 0; j0 < n; j0 += nr) {
        const int64_t w = NNM_MIN(nr, n - j0);
        float *p = dst + j0 * k;
        for (int64_t r = 0; r < k; r++, p += nr) {
            if (trans)
                for (int64_t j = 0; j < w; j++)
                    p[j] = b[(j0 + j) * ldb + r];
            else if (w == 32) /* constant sizes: moves, not a call */
                memcpy(p, b + r * ldb + j0, 32 * sizeof *p);
            else if (w == 16)
                memcpy(p, b + r * ldb + j0, 16 * sizeof *p);
            else if (w == 8)
                memcpy(p, b + r * ldb + j0, 8 * sizeof *p);
            else
                memcpy(p, b + r * ldb + j0, (size_t)w * sizeof *p);
            for (int64_t j = w; j < nr; j++)
                p[j] = 0.0f;
        }
    }
}

void nnm_gemm(int64_t m, int64_t n, int64_t kc, int64_t nblocks, NnmGemmRows rows, const void *ctx,
              const float *packed_b, int accumulate, float *c, int64_t ldc, float *work, const NnmGemmDone *done)
{
    const GemmCall g = {m, n, kc, nblocks, ldc, accumulate, rows, ctx, packed_b, c, work, done};
#if NNM_ISA_DISPATCH
    if (nnm_isa_active == NNM_ISA_AVX512) {
        gemm_avx512(&g);
        return;
    }
    if (nnm_isa_active == NNM_ISA_AVX2) {
        gemm_avx2(&g);
        return;
    }
#endif
    gemm_small(&g);
}

/* == whole stored products (nnm_matmul) == */

_Static_assert(NNM_GEMM_MATRIX_WORK >= (NNM_GEMM_MR_MAX * sizeof(const float *) + 63) / 64 * 16,
               "NNM_GEMM_MATRIX_WORK holds nnm_gemm's pointer table");

/* The blocks of B a thread packs and multiplies at a time: KC rows (A's
 * rows' block stays in L1, B's panel in L2) by NC columns (a whole number
 * of every level's panels); C is revisited once per block of k. */
#define MATMUL_KC 512
#define MATMUL_NC 256
/* rows of C per part when C is split by rows: whole tiles of every level */
#define MATMUL_ROWS 48

typedef struct {
    int ta, tb, accumulate, by_rows;
    int64_t m, n, k, lda, ldb, ldc, nr, stride;
    const float *a, *b;
    float *at, *c, *ws;
} Matmul;

int64_t nnm_matmul_workspace(int64_t m, int64_t n, int64_t k)
{
    (void)m;
    return nnm_gemm_packed_size(NNM_MIN(k, MATMUL_KC), NNM_MIN(n, MATMUL_NC));
}

int64_t nnm_matmul_shared_size(int trans_a, int64_t m, int64_t k) { return trans_a ? m * k : 0; }

/* A's rows [i0, i1): its columns turned 8 x 8 blocks at a time */
static void matmul_transpose_a(void *p, int64_t i0, int64_t i1)
{
    const Matmul *g = p;
    nnm_transpose_strided(g->k, i1 - i0, g->a + i0, g->lda, g->at + i0 * g->k, g->k);
}

/* C's rows [i0, i1) by columns [j0, j1): B's blocks packed into this
 * thread's workspace and multiplied, block of k after block of k */
static void matmul_block(const Matmul *g, int64_t i0, int64_t i1, int64_t j0, int64_t j1)
{
    float *pb = g->ws + nnm_par_self() * g->stride;
    const float *a = g->ta ? g->at : g->a;
    const int64_t lda = g->ta ? g->k : g->lda;
    _Alignas(64) float work[NNM_GEMM_MATRIX_WORK];
    for (int64_t jb = j0; jb < j1; jb += MATMUL_NC) {
        const int64_t w = NNM_MIN(MATMUL_NC, j1 - jb);
        for (int64_t r0 = 0; r0 < g->k; r0 += MATMUL_KC) {
            const int64_t kc = NNM_MIN(MATMUL_KC, g->k - r0);
            nnm_gemm_pack_b(kc, w, g->tb ? g->b + jb * g->ldb + r0 : g->b + r0 * g->ldb + jb, g->ldb, g->tb, pb);
            const NnmGemmMatrix am = {a + i0 * lda + r0, lda, kc};
            nnm_gemm(i1 - i0, w, kc, 1, nnm_gemm_matrix_rows, &am, pb, g->accumulate || r0 > 0,
                     g->c + i0 * g->ldc + jb, g->ldc, work, NULL);
        }
    }
}

static void matmul_parts(void *p, int64_t p0, int64_t p1)
{
    const Matmul *g = p;
    if (g->by_rows)
        matmul_block(g, p0 * MATMUL_ROWS, NNM_MIN(p1 * MATMUL_ROWS, g->m), 0, g->n);
    else
        matmul_block(g, 0, g->m, p0 * g->nr, NNM_MIN(p1 * g->nr, g->n));
}

void nnm_matmul(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                const float *b, int64_t ldb, int accumulate, float *c, int64_t ldc, float *shared,
                float *workspace, int64_t stride)
{
    if (m <= 0 || n <= 0)
        return;
    if (k <= 0) { /* empty sums */
        if (!accumulate)
            for (int64_t i = 0; i < m; i++)
                memset(c + i * ldc, 0, (size_t)n * sizeof *c);
        return;
    }
    Matmul g = {trans_a, trans_b, accumulate, 0, m, n, k, lda, ldb, ldc, panel_width(), stride, a, b, shared, c, workspace};
    /* about 1 MFLOP is worth another thread's start */
    const int64_t split = 2 * m * n * k >= 2000000 ? 2 : INT64_MAX;
    if (trans_a)
        nnm_par_for(m, 8, m * k >= 65536 ? 2 : INT64_MAX, matmul_transpose_a, &g);
    /* split by columns, each thread packing only its own columns of B; by
     * rows when there are too few panels to go round (each thread then
     * packs all of B, which is narrow) */
    const int64_t panels = (n + g.nr - 1) / g.nr;
    g.by_rows = panels < 2 * nnm_par_threads() && m >= 2 * MATMUL_ROWS;
    nnm_par_for(g.by_rows ? (m + MATMUL_ROWS - 1) / MATMUL_ROWS : panels, 1, split, matmul_parts, &g);
}
