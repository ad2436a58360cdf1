/* runtime/layers/maxpool2d.c — MaxPooling2D on channels-last images.
 *
 *   in  x [B, H, W, C]     out y [B, OH, OW, C]; strides default to the pool size
 *   'same' padding by TensorFlow's rule; padded cells never win the max
 *   scratch per sample: the input index of each output's maximum (int32),
 *   so backward routes each dy to the one input that produced it. */
#include <stddef.h>
#include <stdio.h>
#include "kernels.h"
#include "layer.h"

static int64_t scratch(const NnmLayer *l) { return shape_size(&l->out); }

static void forward(const LayerRun *r)
{
    NnmWindow g = layer_window(r->l);
    nnm_maxpool(&g, r->batch, r->x, r->y, (int32_t *)r->scratch);
}

static void backward(const LayerRun *r)
{
    if (!r->dx)
        return;
    NnmWindow g = layer_window(r->l);
    nnm_maxpool_back(&g, r->batch, r->dy, (const int32_t *)r->scratch, r->dx);
}

const LayerKind layer_maxpool2d = {
    .name = "MaxPooling2D", .snake = "max_pooling2d", .args = layer_pool_args, .defaults = layer_pool_defaults,
    .infer = layer_pool_infer, .scratch = scratch, .weights = layer_no_weights, .init = layer_no_init,
    .forward = forward, .backward = backward,
};
