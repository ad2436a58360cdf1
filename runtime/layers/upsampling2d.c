/* runtime/layers/upsampling2d.c — UpSampling2D(size=(2, 2)): nearest-
 * neighbour repetition of rows and columns, (H, W, C) -> (H*fy, W*fx, C);
 * backward sums each block of dy into its source pixel. */
#include <stddef.h>
#include <stdio.h>
#include "kernels.h"
#include "layer.h"

typedef struct {
    int64_t size[2]; /* (fy, fx) */
} UpSampling2DAttr;

static const char *const interpolations[] = {"nearest", NULL};
static const ArgSpec upsampling2d_args[] = {
    {.name = "size", .type = ARG_PAIR, ATTR(UpSampling2DAttr, size), .positional = 1, .min = 1},
    {.name = "data_format", .type = ARG_FORMAT, .positional = 1},
    {.name = "interpolation", .type = ARG_CHOICE, .positional = 1,
     .choices = interpolations},
    {0},
};

static void upsampling2d_defaults(NnmLayer *l)
{
    UpSampling2DAttr *a = l->attr;
    a->size[0] = a->size[1] = 2;
}

static int upsampling2d_infer(NnmLayer *l, char *err, size_t n)
{
    const UpSampling2DAttr *a = l->attr;
    if (layer_need_images(l, err, n))
        return -1;
    if (l->in.dim[0] * a->size[0] > (1 << 20) || l->in.dim[1] * a->size[1] > (1 << 20)) {
        snprintf(err, n, "UpSampling2D output is too large");
        return -1;
    }
    l->out = (NnmShape){3, {l->in.dim[0] * a->size[0], l->in.dim[1] * a->size[1], l->in.dim[2], 0}};
    l->nparams = 0;
    return 0;
}

static int64_t upsampling2d_scratch(const NnmLayer *l) { (void)l; return 0; }

static void upsampling2d_forward(const LayerRun *r)
{
    const NnmLayer *l = r->l;
    const UpSampling2DAttr *a = l->attr;
    nnm_upsample(r->batch, l->in.dim[0], l->in.dim[1], l->in.dim[2], a->size[0], a->size[1], r->x, r->y, 0);
}

static void upsampling2d_backward(const LayerRun *r)
{
    const NnmLayer *l = r->l;
    const UpSampling2DAttr *a = l->attr;
    if (r->dx)
        nnm_upsample(r->batch, l->in.dim[0], l->in.dim[1], l->in.dim[2], a->size[0], a->size[1], r->dy, r->dx, 1);
}

const LayerKind layer_upsampling2d = {
    .name = "UpSampling2D", .snake = "up_sampling2d", .args = upsampling2d_args, LAYER_ATTR(UpSampling2DAttr), .defaults = upsampling2d_defaults,
    .infer = upsampling2d_infer, .scratch = upsampling2d_scratch, .weights = layer_no_weights, .init = layer_no_init,
    .forward = upsampling2d_forward, .backward = upsampling2d_backward,
};
