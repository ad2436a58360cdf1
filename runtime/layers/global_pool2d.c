/* runtime/layers/global_pool2d.c — GlobalAveragePooling2D and
 * GlobalMaxPooling2D: (None, H, W, C) -> (None, C), the mean or the
 * maximum of each channel over the image; GlobalAveragePooling1D does the
 * same over the steps of (None, steps, C).  The max variant keeps the index
 * of each maximum in scratch for backward. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "layer.h"

static const ArgSpec global_pool2d_args[] = {
    {.name = "data_format", .type = ARG_FORMAT, .positional = 1},
    {0},
};

static void global_pool2d_defaults(NnmLayer *l) { (void)l; }

static int global_pool2d_infer(NnmLayer *l, char *err, size_t n)
{
    if (l->kind == LK_GLOBAL_AVGPOOL1D) {
        if (l->in.rank != 2) {
            char s[96];
            shape_str(&l->in, s, sizeof s);
            snprintf(err, n, "GlobalAveragePooling1D expects sequences (None, steps, channels) but gets %s", s);
            return -1;
        }
        l->out = (NnmShape){1, {l->in.dim[1], 0, 0, 0}};
        l->nparams = 0;
        return 0;
    }
    if (layer_need_images(l, err, n))
        return -1;
    if (shape_size(&l->in) >= ((int64_t)1 << 31)) { /* positions are kept as int32 */
        snprintf(err, n, "%s: the input is too large", layer_kinds[l->kind]->name);
        return -1;
    }
    l->out = (NnmShape){1, {l->in.dim[2], 0, 0, 0}};
    l->nparams = 0;
    return 0;
}

/* pixels (or steps) and channels of the input */
static void dims(const NnmLayer *l, int64_t *hw, int64_t *c)
{
    *c = l->in.dim[l->in.rank - 1];
    *hw = shape_size(&l->in) / *c;
}

static int64_t global_pool2d_no_scratch(const NnmLayer *l) { (void)l; return 0; }
static int64_t arg_scratch(const NnmLayer *l) { return l->in.dim[l->in.rank - 1]; }

static void avg_forward(const LayerRun *r)
{
    int64_t hw, c;
    dims(r->l, &hw, &c);
    for (int64_t b = 0; b < r->batch; b++) {
        float *y = r->y + b * c;
        const float *x = r->x + b * hw * c;
        memset(y, 0, (size_t)c * sizeof *y);
        for (int64_t p = 0; p < hw; p++)
            for (int64_t k = 0; k < c; k++)
                y[k] += x[p * c + k];
        for (int64_t k = 0; k < c; k++)
            y[k] /= (float)hw;
    }
}

static void avg_backward(const LayerRun *r)
{
    if (!r->dx)
        return;
    int64_t hw, c;
    dims(r->l, &hw, &c);
    for (int64_t b = 0; b < r->batch; b++)
        for (int64_t p = 0; p < hw; p++)
            for (int64_t k = 0; k < c; k++)
                r->dx[(b * hw + p) * c + k] = r->dy[b * c + k] / (float)hw;
}

static void max_forward(const LayerRun *r)
{
    int64_t hw, c;
    dims(r->l, &hw, &c);
    int32_t *arg = (int32_t *)r->scratch;
    for (int64_t b = 0; b < r->batch; b++) {
        float *y = r->y + b * c;
        const float *x = r->x + b * hw * c;
        for (int64_t k = 0; k < c; k++) {
            y[k] = x[k];
            arg[b * c + k] = 0;
        }
        for (int64_t p = 1; p < hw; p++)
            for (int64_t k = 0; k < c; k++)
                if (x[p * c + k] > y[k]) {
                    y[k] = x[p * c + k];
                    arg[b * c + k] = (int32_t)p;
                }
    }
}

static void max_backward(const LayerRun *r)
{
    if (!r->dx)
        return;
    int64_t hw, c;
    dims(r->l, &hw, &c);
    const int32_t *arg = (const int32_t *)r->scratch;
    memset(r->dx, 0, (size_t)(r->batch * hw * c) * sizeof(float));
    for (int64_t b = 0; b < r->batch; b++)
        for (int64_t k = 0; k < c; k++)
            r->dx[(b * hw + arg[b * c + k]) * c + k] = r->dy[b * c + k];
}

const LayerKind layer_global_avgpool2d = {
    .name = "GlobalAveragePooling2D", .snake = "global_average_pooling2d", .args = global_pool2d_args,
    .defaults = global_pool2d_defaults, .infer = global_pool2d_infer, .scratch = global_pool2d_no_scratch, .weights = layer_no_weights,
    .init = layer_no_init, .forward = avg_forward, .backward = avg_backward,
};

const LayerKind layer_global_maxpool2d = {
    .name = "GlobalMaxPooling2D", .snake = "global_max_pooling2d", .args = global_pool2d_args,
    .defaults = global_pool2d_defaults, .infer = global_pool2d_infer, .scratch = arg_scratch, .weights = layer_no_weights,
    .init = layer_no_init, .forward = max_forward, .backward = max_backward,
};

const LayerKind layer_global_avgpool1d = {
    .name = "GlobalAveragePooling1D", .snake = "global_average_pooling1d", .args = global_pool2d_args,
    .defaults = global_pool2d_defaults, .infer = global_pool2d_infer, .scratch = global_pool2d_no_scratch, .weights = layer_no_weights,
    .init = layer_no_init, .forward = avg_forward, .backward = avg_backward,
};
