/* runtime/layers/activation.c — Activation: applies a function elementwise
 * (softmax: per sample).  out shape = in shape; scratch keeps a copy of the
 * input z when layer_keeps_z says so (net_loss reads it there; the
 * derivative reads the input itself, which outlives the step). */
#include <stddef.h>
#include <string.h>
#include "kernels.h"
#include "layer.h"

static const ArgSpec activation_args[] = {
    {.name = "activation", .type = ARG_ACT, HDR(act), .positional = 1, .required = 1},
    {0},
};

static void activation_defaults(NnmLayer *l) { l->act = ACT_LINEAR; }

int64_t layer_act_scratch(const NnmLayer *l) { return layer_keeps_z(l) ? shape_size(&l->in) : 0; }

void layer_act_forward(const LayerRun *r)
{
    int64_t cols = shape_size(&r->l->in);
    /* softmax works on the last axis */
    int64_t last = r->l->in.dim[r->l->in.rank - 1];
    if (layer_keeps_z(r->l))
        memcpy(r->scratch, r->x, (size_t)(r->batch * cols) * sizeof(float));
    nnm_act_forward(r->l->act, (float)r->l->alpha, r->batch * cols / last, last, r->x, r->y);
}

void layer_act_backward(const LayerRun *r)
{
    int64_t cols = shape_size(&r->l->in), last = r->l->in.dim[r->l->in.rank - 1];
    if (!r->fused)
        nnm_act_backward(r->l->act, (float)r->l->alpha, r->batch * cols / last, last, r->x, r->y, r->dy);
    layer_copy_backward(r);
}

const LayerKind layer_activation = {
    .name = "Activation", .snake = "activation", .args = activation_args, .defaults = activation_defaults,
    .infer = layer_infer_same, .scratch = layer_act_scratch, .weights = layer_no_weights,
    .init = layer_no_init, .forward = layer_act_forward,
    .backward = layer_act_backward, .has_act = 1,
};
