/* runtime/spatial.c — kernels on channels-last images: im2col/col2im for
 * convolutions, pooling, padding/cropping and upsampling.  Each splits its
 * work between the threads by output rows or by whole images, so that no
 * two threads ever add into the same value. */
#include "isa.h"
#include "kernels.h"
#include "parallel.h"
#include "util.h"

#include <math.h>
#include <string.h>

/* ---- windows over images ------------------------------------------------ */

typedef struct {
    const NnmWindow *g;
    const float *in;
    float *out;
    int32_t *arg;
    const int32_t *carg;
    float *clear;      /* col2im: the columns, to be left all zero (or NULL) */
} WinJob;

/* The output columns [lo, hi) whose whole kernel row falls inside the image
 * as one run of kw*c values (none with dilation): there, no bounds checks.
 * next_edge() steps through the others. */
static void inner_columns(const NnmWindow *g, int64_t *lo, int64_t *hi)
{
    int64_t a = (g->pl + g->sw - 1) / g->sw, last = g->w - 1 + g->pl - (g->kw - 1) * g->dw;
    int64_t b = last < 0 ? 0 : last / g->sw + 1;
    *lo = g->dw != 1 ? g->ow : NNM_MIN(a, g->ow);
    *hi = NNM_MAX(*lo, NNM_MIN(b, g->ow));
}

static inline int64_t next_edge(int64_t ox, int64_t lo, int64_t hi) { return ox == lo ? hi : ox; }

/* Short copies: kernel rows are often a few floats, for which a call to
 * memcpy costs more than the copy.  Constant-size memcpy compiles to plain
 * moves; a plain loop would not do, as compilers turn it back into a call. */
static inline void copy_floats(float *restrict d, const float *restrict s, int64_t n)
{
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        memcpy(d + i, s + i, 8 * sizeof *d);
    if (i + 4 <= n) {
        memcpy(d + i, s + i, 4 * sizeof *d);
        i += 4;
    }
    if (i + 2 <= n) {
        memcpy(d + i, s + i, 2 * sizeof *d);
        i += 2;
    }
    if (i < n)
        d[i] = s[i];
}

/* n runs of `span` floats, from s every `sstep` floats to d every `dstep`.
 * Small spans (a 5x5 kernel on one channel: 5 floats) get a loop of their
 * own, in which the copy's size is a constant. */
NNM_ISA_INLINE void copy_runs(float *d, int64_t dstep, const float *s, int64_t sstep, int64_t span, int64_t n)
{
#define RUNS_OF(N)                                                                                 \
    case N:                                                                                        \
        for (int64_t i = 0; i < n; i++)                                                            \
            copy_floats(d + i * dstep, s + i * sstep, N);                                          \
        return;
    switch (span) {
        RUNS_OF(1)
        RUNS_OF(2)
        RUNS_OF(3)
        RUNS_OF(4)
        RUNS_OF(5)
        RUNS_OF(6)
        RUNS_OF(7)
        RUNS_OF(8)
    default:
        for (int64_t i = 0; i < n; i++)
            copy_floats(d + i * dstep, s + i * sstep, span);
    }
#undef RUNS_OF
}

static inline void zero_floats(float *d, int64_t n)
{
    static const float zeros[8];
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        memcpy(d + i, zeros, sizeof zeros);
    for (; i < n; i++)
        d[i] = 0.0f;
}

static inline void add_floats(float *restrict d, const float *restrict s, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        d[i] += s[i];
}

/* add_floats, then s's values zeroed; s == NULL: nothing */
static inline void add_clear(float *restrict d, float *restrict s, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        d[i] += s[i];
        s[i] = 0.0f;
    }
}

/* rows of col for output rows [r0, r1) of the batch (r = b*oh + oy),
 * kernel row by kernel row so that the source row is read in order.  The
 * geometry is copied to locals: the copies' stores could otherwise alias it,
 * and it would be reloaded after each one. */
NNM_ISA_KERNEL(im2col_rows, (void *p, int64_t r0, int64_t r1), (p, r0, r1))
{
    const WinJob *j = p;
    const NnmWindow g = *j->g;
    const float *const in = j->in;
    float *const col = j->out;
    const int64_t c = g.c, k = g.kh * g.kw * c, span = g.kw * c;
    int64_t lo, hi;
    inner_columns(&g, &lo, &hi);
    for (int64_t r = r0; r < r1; r++) {
        const int64_t b = r / g.oh, oy = r % g.oh;
        const float *img = in + b * g.h * g.w * c;
        float *out = col + r * g.ow * k;
        for (int64_t ky = 0; ky < g.kh; ky++) {
            const int64_t iy = oy * g.sh - g.pt + ky * g.dh;
            float *d = out + ky * span;
            if (iy < 0 || iy >= g.h) {
                for (int64_t ox = 0; ox < g.ow; ox++)
                    zero_floats(d + ox * k, span);
                continue;
            }
            const float *src = img + iy * g.w * c;
            /* the inner columns: one run of kw*c values each */
            copy_runs(d + lo * k, k, src + (lo * g.sw - g.pl) * c, g.sw * c, span, hi - lo);
            for (int64_t ox = next_edge(0, lo, hi); ox < g.ow; ox = next_edge(ox + 1, lo, hi))
                for (int64_t kx = 0; kx < g.kw; kx++) {
                    const int64_t ix = ox * g.sw - g.pl + kx * g.dw;
                    float *dk = d + ox * k + kx * c;
                    if (ix < 0 || ix >= g.w)
                        zero_floats(dk, c);
                    else
                        copy_floats(dk, src + ix * c, c);
                }
        }
    }
}

void nnm_im2col(const NnmWindow *g, int64_t batch, const float *x, float *col)
{
    WinJob j = {g, x, col, NULL, NULL, NULL};
    nnm_par_for(batch * g->oh, 1, 2, im2col_rows, &j);
}

/* images [b0, b1): each thread owns whole images, so sums never race.
 * With j->clear (the same memory as j->in), every value of the columns is
 * zeroed once it has been used, those that fall in the padding too. */
NNM_ISA_KERNEL(col2im_images, (void *p, int64_t b0, int64_t b1), (p, b0, b1))
{
    const WinJob *j = p;
    const NnmWindow g = *j->g;
    const float *const col = j->in;
    float *const dx = j->out, *const clear = j->clear;
    const int64_t c = g.c, k = g.kh * g.kw * c, span = g.kw * c, isz = g.h * g.w * c;
    int64_t lo, hi;
    inner_columns(&g, &lo, &hi);
    memset(dx + b0 * isz, 0, (size_t)((b1 - b0) * isz) * sizeof(float));
    for (int64_t b = b0; b < b1; b++)
        for (int64_t oy = 0; oy < g.oh; oy++) {
            const int64_t row = (b * g.oh + oy) * g.ow * k;
            for (int64_t ky = 0; ky < g.kh; ky++) {
                const int64_t iy = oy * g.sh - g.pt + ky * g.dh, at = row + ky * span;
                if (iy < 0 || iy >= g.h) {
                    if (clear)
                        for (int64_t ox = 0; ox < g.ow; ox++)
                            zero_floats(clear + at + ox * k, span);
                    continue;
                }
                float *dst = dx + b * isz + iy * g.w * c;
                for (int64_t ox = lo; ox < hi; ox++) {
                    float *d = dst + (ox * g.sw - g.pl) * c;
                    if (clear)
                        add_clear(d, clear + at + ox * k, span);
                    else
                        add_floats(d, col + at + ox * k, span);
                }
                for (int64_t ox = next_edge(0, lo, hi); ox < g.ow; ox = next_edge(ox + 1, lo, hi))
                    for (int64_t kx = 0; kx < g.kw; kx++) {
                        const int64_t ix = ox * g.sw - g.pl + kx * g.dw, from = at + ox * k + kx * c;
                        if (ix >= 0 && ix < g.w && clear)
                            add_clear(dst + ix * c, clear + from, c);
                        else if (ix >= 0 && ix < g.w)
                            add_floats(dst + ix * c, col + from, c);
                        else if (clear)
                            zero_floats(clear + from, c);
                    }
            }
        }
}

void nnm_col2im(const NnmWindow *g, int64_t batch, const float *col, float *dx)
{
    WinJob j = {g, col, dx, NULL, NULL, NULL};
    nnm_par_for(batch, 1, 2, col2im_images, &j);
}

void nnm_col2im_clear(const NnmWindow *g, int64_t batch, float *col, float *dx)
{
    WinJob j = {g, col, dx, NULL, NULL, col};
    nnm_par_for(batch, 1, 2, col2im_images, &j);
}

/* the kernel rows [*a, *b) of output row o that fall inside the input */
static inline void clip_window(int64_t o, int64_t stride, int64_t pad, int64_t kernel, int64_t size,
                               int64_t *a, int64_t *b)
{
    int64_t i0 = o * stride - pad;
    *a = i0 < 0 ? -i0 : 0;
    *b = i0 + kernel > size ? size - i0 : kernel;
}

/* The first cell of the window initialises y and arg; later ones replace
 * them where strictly greater (ties keep the first).  restrict and no
 * branches: the channel loop vectorises. */
static inline void max_cell(float *restrict y, int32_t *restrict arg, const float *restrict x, int32_t at,
                            int64_t c, int first)
{
    if (first) {
        for (int64_t q = 0; q < c; q++) {
            y[q] = x[q];
            arg[q] = at + (int32_t)q;
        }
        return;
    }
    for (int64_t q = 0; q < c; q++) {
        const float v = x[q], m = y[q];
        const int32_t keep = -(int32_t)!(v > m); /* all ones where y stays */
        y[q] = v > m ? v : m;
        arg[q] = (arg[q] & keep) | ((at + (int32_t)q) & ~keep);
    }
}

/* not an NNM_ISA_KERNEL: its AVX2 and AVX-512 versions measured slower
 * (bench/kernels.c: 1.09x and 1.3x the baseline's time on LeNet's first pool) */
static void maxpool_rows(void *p, int64_t r0, int64_t r1)
{
    const WinJob *j = p;
    const NnmWindow g = *j->g;
    const int64_t C = g.c;
    for (int64_t r = r0; r < r1; r++) {
        const int64_t b = r / g.oh, oy = r % g.oh;
        const float *img = j->in + b * g.h * g.w * C;
        int64_t ky0, ky1;
        clip_window(oy, g.sh, g.pt, g.kh, g.h, &ky0, &ky1);
        for (int64_t ox = 0; ox < g.ow; ox++) {
            float *y = j->out + (r * g.ow + ox) * C;
            int32_t *arg = j->arg + (r * g.ow + ox) * C;
            int64_t kx0, kx1;
            clip_window(ox, g.sw, g.pl, g.kw, g.w, &kx0, &kx1);
            for (int64_t ky = ky0; ky < ky1; ky++)
                for (int64_t kx = kx0; kx < kx1; kx++) {
                    const int32_t at = (int32_t)(((oy * g.sh - g.pt + ky) * g.w + ox * g.sw - g.pl + kx) * C);
                    max_cell(y, arg, img + at, at, C, ky == ky0 && kx == kx0);
                }
        }
    }
}

void nnm_maxpool(const NnmWindow *g, int64_t batch, const float *x, float *y, int32_t *arg)
{
    WinJob j = {g, x, y, arg, NULL, NULL};
    nnm_par_for(batch * g->oh, 1, 2, maxpool_rows, &j);
}

NNM_ISA_KERNEL(maxpool_back_images, (void *p, int64_t b0, int64_t b1), (p, b0, b1))
{
    const WinJob *j = p;
    const NnmWindow *g = j->g;
    const int64_t isz = g->h * g->w * g->c, osz = g->oh * g->ow * g->c;
    memset(j->out + b0 * isz, 0, (size_t)((b1 - b0) * isz) * sizeof(float));
    for (int64_t b = b0; b < b1; b++)
        for (int64_t i = 0; i < osz; i++)
            j->out[b * isz + j->carg[b * osz + i]] += j->in[b * osz + i];
}

void nnm_maxpool_back(const NnmWindow *g, int64_t batch, const float *dy, const int32_t *arg, float *dx)
{
    WinJob j = {g, dy, dx, NULL, arg, NULL};
    nnm_par_for(batch, 1, 2, maxpool_back_images, &j);
}


/* Average pooling: padded cells are not counted (TensorFlow). */
NNM_ISA_KERNEL(avgpool_rows, (void *p, int64_t r0, int64_t r1), (p, r0, r1))
{
    const WinJob *j = p;
    const NnmWindow *g = j->g;
    const int64_t C = g->c;
    for (int64_t r = r0; r < r1; r++) {
        int64_t b = r / g->oh, oy = r % g->oh;
        const float *img = j->in + b * g->h * g->w * C;
        for (int64_t ox = 0; ox < g->ow; ox++) {
            float *y = j->out + (r * g->ow + ox) * C;
            memset(y, 0, (size_t)C * sizeof *y);
            int64_t count = 0;
            for (int64_t ky = 0; ky < g->kh; ky++) {
                int64_t iy = oy * g->sh - g->pt + ky;
                if (iy < 0 || iy >= g->h)
                    continue;
                for (int64_t kx = 0; kx < g->kw; kx++) {
                    int64_t ix = ox * g->sw - g->pl + kx;
                    if (ix < 0 || ix >= g->w)
                        continue;
                    const float *x = img + (iy * g->w + ix) * C;
                    for (int64_t c = 0; c < C; c++)
                        y[c] += x[c];
                    count++;
                }
            }
            float inv = 1.0f / (float)count;
            for (int64_t c = 0; c < C; c++)
                y[c] *= inv;
        }
    }
}

void nnm_avgpool(const NnmWindow *g, int64_t batch, const float *x, float *y)
{
    WinJob j = {g, x, y, NULL, NULL, NULL};
    nnm_par_for(batch * g->oh, 1, 2, avgpool_rows, &j);
}

NNM_ISA_KERNEL(avgpool_back_images, (void *p, int64_t b0, int64_t b1), (p, b0, b1))
{
    const WinJob *j = p;
    const NnmWindow *g = j->g;
    const int64_t C = g->c, isz = g->h * g->w * C;
    memset(j->out + b0 * isz, 0, (size_t)((b1 - b0) * isz) * sizeof(float));
    for (int64_t b = b0; b < b1; b++)
        for (int64_t oy = 0; oy < g->oh; oy++)
            for (int64_t ox = 0; ox < g->ow; ox++) {
                int64_t y0 = oy * g->sh - g->pt, x0 = ox * g->sw - g->pl;
                int64_t ya = y0 < 0 ? 0 : y0, yb = y0 + g->kh > g->h ? g->h : y0 + g->kh;
                int64_t xa = x0 < 0 ? 0 : x0, xb = x0 + g->kw > g->w ? g->w : x0 + g->kw;
                float inv = 1.0f / (float)((yb - ya) * (xb - xa));
                const float *dy = j->in + ((b * g->oh + oy) * g->ow + ox) * C;
                for (int64_t iy = ya; iy < yb; iy++)
                    for (int64_t ix = xa; ix < xb; ix++) {
                        float *dx = j->out + b * isz + (iy * g->w + ix) * C;
                        for (int64_t c = 0; c < C; c++)
                            dx[c] += dy[c] * inv;
                    }
            }
}

void nnm_avgpool_back(const NnmWindow *g, int64_t batch, const float *dy, float *dx)
{
    WinJob j = {g, dy, dx, NULL, NULL, NULL};
    nnm_par_for(batch, 1, 2, avgpool_back_images, &j);
}

void nnm_copy_window(int64_t batch, const float *src, int64_t sh, int64_t sw, float *dst, int64_t dh,
                     int64_t dw, int64_t c, int64_t oy, int64_t ox)
{
    memset(dst, 0, (size_t)(batch * dh * dw * c) * sizeof *dst);
    for (int64_t b = 0; b < batch; b++)
        for (int64_t y = 0; y < sh; y++) {
            int64_t ty = y + oy;
            if (ty < 0 || ty >= dh)
                continue;
            int64_t x0 = ox < 0 ? -ox : 0, x1 = sw + ox > dw ? dw - ox : sw;
            if (x1 <= x0)
                continue;
            memcpy(dst + ((b * dh + ty) * dw + x0 + ox) * c, src + ((b * sh + y) * sw + x0) * c,
                   (size_t)((x1 - x0) * c) * sizeof *dst);
        }
}

void nnm_upsample(int64_t batch, int64_t h, int64_t w, int64_t c, int64_t fy, int64_t fx, const float *x,
                  float *y, int back)
{
    int64_t ow = w * fx, oh = h * fy;
    if (back)
        memset(y, 0, (size_t)(batch * h * w * c) * sizeof *y);
    for (int64_t b = 0; b < batch; b++)
        for (int64_t oy = 0; oy < oh; oy++)
            for (int64_t ox = 0; ox < ow; ox++) {
                const int64_t big = ((b * oh + oy) * ow + ox) * c, small = ((b * h + oy / fy) * w + ox / fx) * c;
                for (int64_t k = 0; k < c; k++) {
                    if (back)
                        y[small + k] += x[big + k]; /* here x is dy (big), y is dx (small) */
                    else
                        y[big + k] = x[small + k];
                }
            }
}
