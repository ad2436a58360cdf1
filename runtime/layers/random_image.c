/* runtime/layers/random_image.c — Keras 3's augmentation layers, active
 * only while training (identity in evaluate and predict):
 *   RandomFlip(mode)                        left-right and/or up-down, each with p = 1/2
 *   RandomRotation(factor)                  by factor x 2π radians, about the centre
 *   RandomTranslation(height_factor, width_factor)  by fractions of the size
 *   RandomZoom(height_factor, width_factor) out (> 0) or in (< 0); width follows height when None
 * Factors are f (for [-f, f]) or (lower, upper).  Each image's transform is
 * drawn from the run's dropout stream and kept in the scratch, so the
 * backward pass (runtime/augment.c's adjoint) uses the very same map. */
#include <math.h>
#include <stddef.h>
#include <string.h>
#include "augment.h"
#include "layer.h"

#define PER_IMAGE 8 /* scratch floats per sample: the 2x3 map, then the two flips */

static const char *const random_flip_modes[] = {"horizontal_and_vertical", "horizontal", "vertical", NULL};
static const char *const random_fill_modes[] = {"nearest", "constant", "reflect", "wrap", NULL}; /* FILL_* order */
static const char *const random_interpolations[] = {"bilinear", NULL};

typedef struct {
    double height[2]; /* [lower, upper]: RandomRotation's factor (turns), or the height_factor */
    double width[2];  /* the width_factor; RandomZoom: NaN for None (as the height) */
    int mode;         /* RandomFlip: 1 horizontal, 2 vertical, 3 both (0 until inferred) */
    int fill;         /* FILL_* */
    double fill_value; /* of fill_mode='constant' */
} RandomImageAttr;

#define FILL_ARGS                                                                                  \
    {.name = "fill_mode", .type = ARG_CHOICE, ATTR(RandomImageAttr, fill), .positional = 1,   \
     .choices = random_fill_modes},                                                                       \
    {.name = "interpolation", .type = ARG_CHOICE, .positional = 1, .choices = random_interpolations},     \
    {.name = "seed", .type = ARG_IGNORED, .positional = 1},                                        \
    {.name = "fill_value", .type = ARG_FLOAT, ATTR(RandomImageAttr, fill_value), .positional = 1, \
     .min = -1e30, .max = 1e30}

static const ArgSpec flip_args[] = {
    {.name = "mode", .type = ARG_CHOICE, ATTR(RandomImageAttr, mode), .positional = 1, .choices = random_flip_modes},
    {.name = "seed", .type = ARG_IGNORED, .positional = 1},
    {0},
};
static const ArgSpec rotation_args[] = {
    {.name = "factor", .type = ARG_RANGE, ATTR(RandomImageAttr, height), .positional = 1, .required = 1,
     .min = -1, .max = 1},
    FILL_ARGS,
    {0},
};
static const ArgSpec translation_args[] = {
    {.name = "height_factor", .type = ARG_RANGE, ATTR(RandomImageAttr, height), .positional = 1,
     .required = 1, .min = -1, .max = 1},
    {.name = "width_factor", .type = ARG_RANGE, ATTR(RandomImageAttr, width), .positional = 1,
     .required = 1, .min = -1, .max = 1},
    FILL_ARGS,
    {0},
};
static const ArgSpec zoom_args[] = {
    {.name = "height_factor", .type = ARG_RANGE, ATTR(RandomImageAttr, height), .positional = 1,
     .required = 1, .min = -1, .max = 10},
    {.name = "width_factor", .type = ARG_RANGE, ATTR(RandomImageAttr, width), .positional = 1,
     .min = -1, .max = 10},
    FILL_ARGS,
    {0},
};

static void random_defaults(NnmLayer *l)
{
    RandomImageAttr *a = l->attr;
    if (l->kind != LK_RANDOM_FLIP) /* which has no fill_mode */
        a->fill = FILL_REFLECT;
    if (l->kind == LK_RANDOM_ZOOM)
        a->width[0] = a->width[1] = NAN; /* width_factor=None */
}

static int random_infer(NnmLayer *l, char *err, size_t n)
{
    RandomImageAttr *a = l->attr;
    if (layer_need_images(l, err, n))
        return -1;
    if (l->kind == LK_RANDOM_FLIP)
        a->mode = a->mode == 0 ? 3 : a->mode; /* choices index: 0 both, 1 horizontal, 2 vertical */
    return layer_infer_same(l, err, n);
}

static int64_t random_scratch(const NnmLayer *l)
{
    (void)l;
    return PER_IMAGE;
}

static double draw(NnmRng *r, double lo, double hi) { return lo + (hi - lo) * (double)nnm_rng_uniform(r); }

/* the map of one image: output (i, j) samples the input at m · (i, j, 1) */
static void draw_map(const NnmLayer *l, NnmRng *rng, float *s)
{
    double h = (double)l->in.dim[0], w = (double)l->in.dim[1], cy = (h - 1) / 2, cx = (w - 1) / 2;
    const RandomImageAttr *ra = l->attr;
    double m[6] = {1, 0, 0, 0, 1, 0};
    int hflip = 0, vflip = 0;
    switch (l->kind) {
    case LK_RANDOM_FLIP:
        hflip = (ra->mode & 1) && nnm_rng_uniform(rng) < 0.5f;
        vflip = (ra->mode & 2) && nnm_rng_uniform(rng) < 0.5f;
        break;
    case LK_RANDOM_ROTATION: {
        double a = draw(rng, ra->height[0], ra->height[1]) * 6.283185307179586, c = cos(a), sn = sin(a);
        double r[6] = {c, -sn, cy - c * cy + sn * cx, sn, c, cx - sn * cy - c * cx};
        memcpy(m, r, sizeof m);
        break;
    }
    case LK_RANDOM_TRANSLATION:
        m[2] = -draw(rng, ra->height[0], ra->height[1]) * h;
        m[5] = -draw(rng, ra->width[0], ra->width[1]) * w;
        break;
    default: { /* LK_RANDOM_ZOOM */
        double zh = 1 + draw(rng, ra->height[0], ra->height[1]);
        double zw = isnan(ra->width[0]) ? zh : 1 + draw(rng, ra->width[0], ra->width[1]);
        double z[6] = {zh, 0, cy * (1 - zh), 0, zw, cx * (1 - zw)};
        memcpy(m, z, sizeof m);
    }
    }
    for (int k = 0; k < 6; k++)
        s[k] = (float)m[k];
    s[6] = (float)hflip;
    s[7] = (float)vflip;
}

static void load_map(const float *s, double m[6])
{
    for (int k = 0; k < 6; k++)
        m[k] = s[k];
}

static void random_forward(const LayerRun *r)
{
    const NnmLayer *l = r->l;
    const RandomImageAttr *ra = l->attr;
    int64_t h = l->in.dim[0], w = l->in.dim[1], c = l->in.dim[2], px = h * w * c;
    if (!r->training) {
        layer_copy_forward(r);
        return;
    }
    for (int64_t b = 0; b < r->batch; b++) {
        float *s = r->scratch + b * PER_IMAGE;
        double m[6];
        draw_map(l, r->rng, s);
        load_map(s, m);
        nnm_affine_image(r->x + b * px, r->y + b * px, h, w, c, m, ra->fill, (float)ra->fill_value, s[6] != 0,
                         s[7] != 0);
    }
}

static void random_backward(const LayerRun *r)
{
    if (!r->dx)
        return;
    const NnmLayer *l = r->l;
    const RandomImageAttr *ra = l->attr;
    int64_t h = l->in.dim[0], w = l->in.dim[1], c = l->in.dim[2], px = h * w * c;
    memset(r->dx, 0, sizeof(float) * (size_t)(r->batch * px));
    for (int64_t b = 0; b < r->batch; b++) {
        const float *s = r->scratch + b * PER_IMAGE;
        double m[6];
        load_map(s, m);
        nnm_affine_image_back(r->dy + b * px, r->dx + b * px, h, w, c, m, ra->fill, s[6] != 0, s[7] != 0);
    }
}

#define RANDOM_KIND(sym, cls, snk, argv)                                                          \
    const LayerKind layer_##sym = {                                                                \
        .name = cls, .snake = snk, .args = argv, LAYER_ATTR(RandomImageAttr), .defaults = random_defaults, .infer = random_infer, \
        .scratch = random_scratch, .weights = layer_no_weights, .init = layer_no_init,            \
        .forward = random_forward, .backward = random_backward,                                   \
    }

RANDOM_KIND(random_flip, "RandomFlip", "random_flip", flip_args);
RANDOM_KIND(random_rotation, "RandomRotation", "random_rotation", rotation_args);
RANDOM_KIND(random_translation, "RandomTranslation", "random_translation", translation_args);
RANDOM_KIND(random_zoom, "RandomZoom", "random_zoom", zoom_args);
