/* runtime/layers/maxpool2d.c — MaxPooling2D on channels-last images, and
 * MaxPooling1D on sequences (steps, channels) seen as images of height 1.
 *
 *   in  x [B, H, W, C]     out y [B, OH, OW, C]; strides default to the pool size
 *   'same' padding by TensorFlow's rule; padded cells never win the max
 *   scratch per sample: the input index of each output's maximum (int32),
 *   so backward routes each dy to the one input that produced it. */
#include <stddef.h>
#include <stdio.h>
#include "kernels.h"
#include "layer.h"

static int64_t maxpool2d_scratch(const NnmLayer *l) { return shape_size(&l->out); }

static void maxpool2d_forward(const LayerRun *r)
{
    NnmWindow g = layer_window(r->l);
    nnm_maxpool(&g, r->batch, r->x, r->y, (int32_t *)r->scratch);
}

static void maxpool2d_backward(const LayerRun *r)
{
    if (!r->dx)
        return;
    NnmWindow g = layer_window(r->l);
    nnm_maxpool_back(&g, r->batch, r->dy, (const int32_t *)r->scratch, r->dx);
}

const LayerKind layer_maxpool2d = {
    .name = "MaxPooling2D", .snake = "max_pooling2d", .args = layer_pool_args, LAYER_ATTR(PoolAttr), .defaults = layer_pool_defaults,
    .infer = layer_pool_infer, .scratch = maxpool2d_scratch, .weights = layer_no_weights, .init = layer_no_init,
    .forward = maxpool2d_forward, .backward = maxpool2d_backward,
};

static const ArgSpec maxpool2d_args1d[] = {
    {.name = "pool_size", .type = ARG_INT, ATTR(PoolAttr, window.kernel[1]), .positional = 1, .min = 1, .max = 1e6},
    {.name = "strides", .type = ARG_INT, ATTR(PoolAttr, window.strides[1]), .positional = 1, .min = 1, .max = 1e6},
    {.name = "padding", .type = ARG_PADDING, ATTR(PoolAttr, window.padding), .positional = 1},
    {.name = "data_format", .type = ARG_FORMAT, .positional = 1},
    LAYER_WINDOW_FIELDS(PoolAttr),
    {0},
};

const LayerKind layer_maxpool1d = {
    .name = "MaxPooling1D", .snake = "max_pooling1d", .args = maxpool2d_args1d, LAYER_ATTR(PoolAttr), .defaults = layer_pool_defaults,
    .infer = layer_pool_infer, .scratch = maxpool2d_scratch, .weights = layer_no_weights, .init = layer_no_init,
    .forward = maxpool2d_forward, .backward = maxpool2d_backward,
};
