/* runtime/layers/pad_crop2d.c — ZeroPadding2D and Cropping2D, the two
 * adjoint edge operations on channels-last images:
 *   ZeroPadding2D(padding=(1, 1))            (H, W, C) -> (H+t+b, W+l+r, C)
 *   Cropping2D(cropping=((0, 0), (0, 0)))    (H, W, C) -> (H-t-b, W-l-r, C)
 * Padding's backward is a crop and cropping's backward a zero-padding. */
#include <stddef.h>
#include <stdio.h>
#include "kernels.h"
#include "layer.h"

typedef struct {
    int64_t edges[4]; /* top, bottom, left, right */
} EdgesAttr;

static const int64_t *edges_of(const NnmLayer *l) { return ((const EdgesAttr *)l->attr)->edges; }

static const ArgSpec pad_args[] = {
    {.name = "padding", .type = ARG_EDGES, ATTR(EdgesAttr, edges), .positional = 1},
    {.name = "data_format", .type = ARG_FORMAT, .positional = 1},
    {0},
};
static const ArgSpec crop_args[] = {
    {.name = "cropping", .type = ARG_EDGES, ATTR(EdgesAttr, edges), .positional = 1},
    {.name = "data_format", .type = ARG_FORMAT, .positional = 1},
    {0},
};

static void pad_defaults(NnmLayer *l)
{
    EdgesAttr *a = l->attr;
    a->edges[0] = a->edges[1] = a->edges[2] = a->edges[3] = 1;
}
static void crop_defaults(NnmLayer *l) { (void)l; }

static int pad_crop2d_infer(NnmLayer *l, char *err, size_t n)
{
    char s[96];
    shape_str(&l->in, s, sizeof s);
    if (layer_need_images(l, err, n))
        return -1;
    int sign = l->kind == LK_ZEROPAD2D ? 1 : -1;
    int64_t h = l->in.dim[0] + sign * (edges_of(l)[0] + edges_of(l)[1]);
    int64_t w = l->in.dim[1] + sign * (edges_of(l)[2] + edges_of(l)[3]);
    if (h < 1 || w < 1) {
        snprintf(err, n, "Cropping2D crops away all of the input %s", s);
        return -1;
    }
    if (h > (1 << 20) || w > (1 << 20)) {
        snprintf(err, n, "ZeroPadding2D output is too large");
        return -1;
    }
    l->out = (NnmShape){3, {h, w, l->in.dim[2], 0}};
    l->nparams = 0;
    return 0;
}

static int64_t pad_crop2d_scratch(const NnmLayer *l) { (void)l; return 0; }

/* moves the image from `from` to `to` shape, the source's origin at (oy, ox) */
static void move(const NnmLayer *l, int64_t batch, const float *src, const NnmShape *from, float *dst,
                 const NnmShape *to, int64_t oy, int64_t ox)
{
    nnm_copy_window(batch, src, from->dim[0], from->dim[1], dst, to->dim[0], to->dim[1], l->in.dim[2], oy, ox);
}

static void pad_forward(const LayerRun *r)
{
    move(r->l, r->batch, r->x, &r->l->in, r->y, &r->l->out, edges_of(r->l)[0], edges_of(r->l)[2]);
}

static void pad_backward(const LayerRun *r)
{
    if (r->dx)
        move(r->l, r->batch, r->dy, &r->l->out, r->dx, &r->l->in, -edges_of(r->l)[0], -edges_of(r->l)[2]);
}

static void crop_forward(const LayerRun *r)
{
    move(r->l, r->batch, r->x, &r->l->in, r->y, &r->l->out, -edges_of(r->l)[0], -edges_of(r->l)[2]);
}

static void crop_backward(const LayerRun *r)
{
    if (r->dx)
        move(r->l, r->batch, r->dy, &r->l->out, r->dx, &r->l->in, edges_of(r->l)[0], edges_of(r->l)[2]);
}

const LayerKind layer_zeropad2d = {
    .name = "ZeroPadding2D", .snake = "zero_padding2d", .args = pad_args, LAYER_ATTR(EdgesAttr), .defaults = pad_defaults,
    .infer = pad_crop2d_infer, .scratch = pad_crop2d_scratch, .weights = layer_no_weights, .init = layer_no_init,
    .forward = pad_forward, .backward = pad_backward,
};

const LayerKind layer_cropping2d = {
    .name = "Cropping2D", .snake = "cropping2d", .args = crop_args, LAYER_ATTR(EdgesAttr), .defaults = crop_defaults,
    .infer = pad_crop2d_infer, .scratch = pad_crop2d_scratch, .weights = layer_no_weights, .init = layer_no_init,
    .forward = crop_forward, .backward = crop_backward,
};
