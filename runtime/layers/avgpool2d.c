/* runtime/layers/avgpool2d.c — AveragePooling2D on channels-last images.
 *
 *   in  x [B, H, W, C]     out y [B, OH, OW, C]; strides default to the pool size
 *   'same' padding by TensorFlow's rule; padded cells are not counted in a mean
 *   backward: each dy is shared equally by the cells of its window */
#include <stddef.h>
#include "kernels.h"
#include "layer.h"

static int64_t avgpool2d_scratch(const NnmLayer *l) { (void)l; return 0; }

static void avgpool2d_forward(const LayerRun *r)
{
    NnmWindow g = layer_window(r->l);
    nnm_avgpool(&g, r->batch, r->x, r->y);
}

static void avgpool2d_backward(const LayerRun *r)
{
    if (!r->dx)
        return;
    NnmWindow g = layer_window(r->l);
    nnm_avgpool_back(&g, r->batch, r->dy, r->dx);
}

const LayerKind layer_avgpool2d = {
    .name = "AveragePooling2D", .snake = "average_pooling2d", .args = layer_pool_args, LAYER_ATTR(PoolAttr), .defaults = layer_pool_defaults,
    .infer = layer_pool_infer, .scratch = avgpool2d_scratch, .weights = layer_no_weights, .init = layer_no_init,
    .forward = avgpool2d_forward, .backward = avgpool2d_backward,
};
