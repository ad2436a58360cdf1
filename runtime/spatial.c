/* runtime/spatial.c — kernels on channels-last images: im2col/col2im for
 * convolutions, pooling, padding/cropping and upsampling.  Each splits its
 * work between the threads by output rows or by whole images, so that no
 * two threads ever add into the same value. */
#include "kernels.h"
#include "parallel.h"

#include <math.h>
#include <string.h>

/* ---- windows over images ------------------------------------------------ */

typedef struct {
    const NnmWindow *g;
    const float *in;
    float *out;
    int32_t *arg;
    const int32_t *carg;
} WinJob;

/* rows of col for output rows [r0, r1) of the batch (r = b*oh + oy) */
static void im2col_rows(void *p, int64_t r0, int64_t r1)
{
    const WinJob *j = p;
    const NnmWindow *g = j->g;
    const int64_t c = g->c, k = g->kh * g->kw * c, span = g->kw * c;
    for (int64_t r = r0; r < r1; r++) {
        int64_t b = r / g->oh, oy = r % g->oh;
        const float *img = j->in + b * g->h * g->w * c;
        for (int64_t ox = 0; ox < g->ow; ox++) {
            float *row = j->out + (r * g->ow + ox) * k;
            const int64_t ix0 = ox * g->sw - g->pl;
            /* without dilation, a kernel row inside the image is one run of kw*c values */
            const int whole = g->dw == 1 && ix0 >= 0 && ix0 + g->kw <= g->w;
            for (int64_t ky = 0; ky < g->kh; ky++) {
                int64_t iy = oy * g->sh - g->pt + ky * g->dh;
                float *dst = row + ky * span;
                if (iy < 0 || iy >= g->h) {
                    memset(dst, 0, (size_t)span * sizeof *dst);
                    continue;
                }
                const float *src = img + iy * g->w * c;
                if (whole) {
                    memcpy(dst, src + ix0 * c, (size_t)span * sizeof *dst);
                    continue;
                }
                for (int64_t kx = 0; kx < g->kw; kx++) {
                    int64_t ix = ix0 + kx * g->dw;
                    float *d = dst + kx * c;
                    if (ix < 0 || ix >= g->w)
                        for (int64_t q = 0; q < c; q++)
                            d[q] = 0.0f;
                    else
                        for (int64_t q = 0; q < c; q++)
                            d[q] = src[ix * c + q];
                }
            }
        }
    }
}

void nnm_im2col(const NnmWindow *g, int64_t batch, const float *x, float *col)
{
    WinJob j = {g, x, col, NULL, NULL};
    nnm_par_for(batch * g->oh, 1, 2, im2col_rows, &j);
}

/* images [b0, b1): each thread owns whole images, so sums never race */
static void col2im_images(void *p, int64_t b0, int64_t b1)
{
    const WinJob *j = p;
    const NnmWindow *g = j->g;
    const int64_t k = g->kh * g->kw * g->c, isz = g->h * g->w * g->c;
    memset(j->out + b0 * isz, 0, (size_t)((b1 - b0) * isz) * sizeof(float));
    for (int64_t b = b0; b < b1; b++) {
        float *img = j->out + b * isz;
        for (int64_t oy = 0; oy < g->oh; oy++)
            for (int64_t ox = 0; ox < g->ow; ox++) {
                const float *row = j->in + ((b * g->oh + oy) * g->ow + ox) * k;
                for (int64_t ky = 0; ky < g->kh; ky++) {
                    int64_t iy = oy * g->sh - g->pt + ky * g->dh;
                    if (iy < 0 || iy >= g->h)
                        continue;
                    for (int64_t kx = 0; kx < g->kw; kx++) {
                        int64_t ix = ox * g->sw - g->pl + kx * g->dw;
                        if (ix < 0 || ix >= g->w)
                            continue;
                        const float *src = row + (ky * g->kw + kx) * g->c;
                        float *dst = img + (iy * g->w + ix) * g->c;
                        for (int64_t c = 0; c < g->c; c++)
                            dst[c] += src[c];
                    }
                }
            }
    }
}

void nnm_col2im(const NnmWindow *g, int64_t batch, const float *col, float *dx)
{
    WinJob j = {g, col, dx, NULL, NULL};
    nnm_par_for(batch, 1, 2, col2im_images, &j);
}

static void maxpool_rows(void *p, int64_t r0, int64_t r1)
{
    const WinJob *j = p;
    const NnmWindow *g = j->g;
    const int64_t C = g->c;
    for (int64_t r = r0; r < r1; r++) {
        int64_t b = r / g->oh, oy = r % g->oh;
        const int64_t base = b * g->h * g->w * C;
        for (int64_t ox = 0; ox < g->ow; ox++) {
            float *restrict y = j->out + (r * g->ow + ox) * C;
            int32_t *restrict arg = j->arg + (r * g->ow + ox) * C;
            int first = 1;
            for (int64_t ky = 0; ky < g->kh; ky++) {
                int64_t iy = oy * g->sh - g->pt + ky;
                if (iy < 0 || iy >= g->h)
                    continue;
                for (int64_t kx = 0; kx < g->kw; kx++) {
                    int64_t ix = ox * g->sw - g->pl + kx;
                    if (ix < 0 || ix >= g->w)
                        continue;
                    const int32_t at = (int32_t)((iy * g->w + ix) * C);
                    const float *restrict x = j->in + base + at;
                    if (first) {
                        for (int64_t c = 0; c < C; c++) {
                            y[c] = x[c];
                            arg[c] = at + (int32_t)c;
                        }
                        first = 0;
                        continue;
                    }
                    /* branch-free, so the loop vectorises; ties keep the first cell */
                    for (int64_t c = 0; c < C; c++) {
                        int better = x[c] > y[c];
                        y[c] = better ? x[c] : y[c];
                        arg[c] = better ? at + (int32_t)c : arg[c];
                    }
                }
            }
        }
    }
}

void nnm_maxpool(const NnmWindow *g, int64_t batch, const float *x, float *y, int32_t *arg)
{
    WinJob j = {g, x, y, arg, NULL};
    nnm_par_for(batch * g->oh, 1, 2, maxpool_rows, &j);
}

static void maxpool_back_images(void *p, int64_t b0, int64_t b1)
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
    WinJob j = {g, dy, dx, NULL, arg};
    nnm_par_for(batch, 1, 2, maxpool_back_images, &j);
}


/* Average pooling: padded cells are not counted (TensorFlow). */
static void avgpool_rows(void *p, int64_t r0, int64_t r1)
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
    WinJob j = {g, x, y, NULL, NULL};
    nnm_par_for(batch * g->oh, 1, 2, avgpool_rows, &j);
}

static void avgpool_back_images(void *p, int64_t b0, int64_t b1)
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
    WinJob j = {g, dy, dx, NULL, NULL};
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
