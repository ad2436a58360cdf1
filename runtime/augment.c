/* runtime/augment.c — see augment.h.  The transform is keras_preprocessing's
 * (Keras 2.2): draws in the order rotation, height shift, width shift,
 * shear, zoom (rows, columns), horizontal flip, vertical flip; the matrices
 * compose as rotation · shift · shear · zoom about the centre (h/2 + 0.5,
 * w/2 + 0.5), and pixels are sampled as scipy.ndimage.affine_transform does
 * with order=1 (bilinear). */
#include "augment.h"

#include <math.h>
#include <string.h>

void nnm_augment_rng(NnmRng *r, uint64_t seed, int epoch, int64_t index)
{
    nnm_rng_seed(r, seed, RNG_AUGMENT + ((uint64_t)(uint32_t)epoch << 36) + ((uint64_t)index << 4));
}

static double uniform(NnmRng *r, double lo, double hi)
{
    return lo + (hi - lo) * ((double)(nnm_rng_next(r) >> 11) * (1.0 / 9007199254740992.0));
}

/* a shift range: a fraction of the size below 1, else pixels (whole
 * pixels in (-r, r) when r is an integer, as Keras does) */
static double shift(NnmRng *r, double range, int64_t size)
{
    if (range <= 0)
        return 0;
    if (range < 1)
        return uniform(r, -range, range) * (double)size;
    if (range == floor(range))
        return (double)((int64_t)nnm_rng_below(r, (uint64_t)(2 * range - 1)) - (int64_t)range + 1);
    return uniform(r, -range, range);
}

static void mul3(double a[9], const double b[9])
{
    double c[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            c[3 * i + j] = a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j];
    memcpy(a, c, sizeof c);
}

void nnm_augment_image(const NnmAugment *a, const float *src, float *dst, int64_t h, int64_t w, int64_t c,
                       NnmRng *rng)
{
    const double deg = 3.14159265358979323846 / 180;
    double theta = a->rotation > 0 ? uniform(rng, -a->rotation, a->rotation) * deg : 0;
    double tx = shift(rng, a->height_shift, h), ty = shift(rng, a->width_shift, w);
    double sh = a->shear > 0 ? uniform(rng, -a->shear, a->shear) * deg : 0;
    double zx = 1, zy = 1;
    if (a->zoom[0] != 1 || a->zoom[1] != 1) {
        zx = uniform(rng, a->zoom[0], a->zoom[1]);
        zy = uniform(rng, a->zoom[0], a->zoom[1]);
    }
    int hflip = a->hflip && uniform(rng, 0, 1) < 0.5, vflip = a->vflip && uniform(rng, 0, 1) < 0.5;
    double t[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    if (theta != 0) {
        const double r[9] = {cos(theta), -sin(theta), 0, sin(theta), cos(theta), 0, 0, 0, 1};
        memcpy(t, r, sizeof t);
    }
    if (tx != 0 || ty != 0) {
        const double s[9] = {1, 0, tx, 0, 1, ty, 0, 0, 1};
        mul3(t, s);
    }
    if (sh != 0) {
        const double s[9] = {1, -sin(sh), 0, 0, cos(sh), 0, 0, 0, 1};
        mul3(t, s);
    }
    if (zx != 1 || zy != 1) {
        const double z[9] = {zx, 0, 0, 0, zy, 0, 0, 0, 1};
        mul3(t, z);
    }
    double ox = (double)h / 2 + 0.5, oy = (double)w / 2 + 0.5;
    double m[9] = {1, 0, ox, 0, 1, oy, 0, 0, 1};
    const double reset[9] = {1, 0, -ox, 0, 1, -oy, 0, 0, 1};
    mul3(m, t);
    mul3(m, reset);
    const double aff[6] = {m[0], m[1], m[2], m[3], m[4], m[5]};
    nnm_affine_image(src, dst, h, w, c, aff, a->fill, (float)a->cval, hflip, vflip);
}

/* index i of a line of n pixels under the fill mode; -1: the constant */
static int64_t edge(int64_t i, int64_t n, int fill)
{
    if (i >= 0 && i < n)
        return i;
    switch (fill) {
    case FILL_NEAREST:
        return i < 0 ? 0 : n - 1;
    case FILL_REFLECT: { /* d c b a | a b c d | d c b a */
        int64_t k = i % (2 * n);
        k = k < 0 ? k + 2 * n : k;
        return k < n ? k : 2 * n - 1 - k;
    }
    case FILL_WRAP: {
        int64_t k = i % n;
        return k < 0 ? k + n : k;
    }
    default:
        return -1;
    }
}

/* The four source pixels (offsets into the image, -1 for the constant)
 * and their bilinear weights for output pixel (i, j); 0 when the whole
 * pixel is the fill (a coordinate that is not a number). */
static int taps(int64_t i, int64_t j, int64_t h, int64_t w, int64_t c, const double m[6], int fill, int64_t at[4],
                float wt[4])
{
    double y = m[0] * (double)i + m[1] * (double)j + m[2];
    double x = m[3] * (double)i + m[4] * (double)j + m[5];
    double yf = floor(y), xf = floor(x);
    if (!(fabs(yf) < 1e9 && fabs(xf) < 1e9))
        return 0;
    int64_t y0 = (int64_t)yf, x0 = (int64_t)xf;
    float fy = (float)(y - yf), fx = (float)(x - xf);
    wt[0] = (1 - fy) * (1 - fx), wt[1] = (1 - fy) * fx, wt[2] = fy * (1 - fx), wt[3] = fy * fx;
    if (y0 >= 0 && y0 + 1 < h && x0 >= 0 && x0 + 1 < w) {
        at[0] = (y0 * w + x0) * c;
        at[1] = at[0] + c;
        at[2] = at[0] + w * c;
        at[3] = at[2] + c;
    } else {
        for (int q = 0; q < 4; q++) {
            int64_t yy = edge(y0 + (q >> 1), h, fill), xx = edge(x0 + (q & 1), w, fill);
            at[q] = yy < 0 || xx < 0 ? -1 : (yy * w + xx) * c;
        }
    }
    return 1;
}

static int is_identity(const double m[6])
{
    return m[0] == 1 && m[1] == 0 && m[2] == 0 && m[3] == 0 && m[4] == 1 && m[5] == 0;
}

void nnm_affine_image(const float *src, float *dst, int64_t h, int64_t w, int64_t c, const double m[6], int fill,
                      float cval, int hflip, int vflip)
{
    int identity = is_identity(m);
    for (int64_t i = 0; i < h; i++) {
        float *row = dst + (vflip ? h - 1 - i : i) * w * c;
        for (int64_t j = 0; j < w; j++) {
            float *out = row + (hflip ? w - 1 - j : j) * c;
            if (identity) {
                memcpy(out, src + (i * w + j) * c, (size_t)c * sizeof *out);
                continue;
            }
            int64_t at[4];
            float wt[4];
            if (!taps(i, j, h, w, c, m, fill, at, wt)) {
                for (int64_t k = 0; k < c; k++)
                    out[k] = fill == FILL_CONSTANT ? cval : src[k];
                continue;
            }
            for (int64_t k = 0; k < c; k++) {
                float v = 0;
                for (int q = 0; q < 4; q++)
                    v += wt[q] * (at[q] < 0 ? cval : src[at[q] + k]);
                out[k] = v;
            }
        }
    }
}

void nnm_affine_image_back(const float *dy, float *dx, int64_t h, int64_t w, int64_t c, const double m[6], int fill,
                           int hflip, int vflip)
{
    int identity = is_identity(m);
    for (int64_t i = 0; i < h; i++) {
        const float *row = dy + (vflip ? h - 1 - i : i) * w * c;
        for (int64_t j = 0; j < w; j++) {
            const float *g = row + (hflip ? w - 1 - j : j) * c;
            if (identity) {
                for (int64_t k = 0; k < c; k++)
                    dx[(i * w + j) * c + k] += g[k];
                continue;
            }
            int64_t at[4];
            float wt[4];
            if (!taps(i, j, h, w, c, m, fill, at, wt)) {
                if (fill != FILL_CONSTANT)
                    for (int64_t k = 0; k < c; k++)
                        dx[k] += g[k];
                continue;
            }
            for (int q = 0; q < 4; q++)
                if (at[q] >= 0)
                    for (int64_t k = 0; k < c; k++)
                        dx[at[q] + k] += wt[q] * g[k];
        }
    }
}
