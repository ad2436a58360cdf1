/* runtime/layers/act_layers.c — the activation layers with parameters:
 *   ReLU(max_value=None, negative_slope=0.0, threshold=0.0)
 *       y = min(x, max_value) for x >= threshold, else negative_slope * (x - threshold)
 *   LeakyReLU(alpha=0.3)    ELU(alpha=1.0)    Softmax(axis=-1)
 * The last three are Activation with a fixed function and its parameter.
 *   Rescaling(scale, offset=0.0)   y = scale * x + offset (Keras 2.6's
 *       preprocessing layer; also a fixed scale inside a net, as on logits) */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "layer.h"

typedef struct {
    double max_value; /* < 0: none */
    double threshold;
} ReLUAttr;
typedef struct {
    double scale, offset;
} RescalingAttr;

/* negative_slope is the header's alpha, which the activation functions read */
static const ArgSpec relu_args[] = {
    {.name = "max_value", .type = ARG_FLOAT, ATTR(ReLUAttr, max_value), .positional = 1, .max = 1e30, .none_ok = 1},
    {.name = "negative_slope", .type = ARG_FLOAT, HDR(alpha), .positional = 1, .max = 1e30},
    {.name = "threshold", .type = ARG_FLOAT, ATTR(ReLUAttr, threshold), .positional = 1, .min = -1e30, .max = 1e30},
    {0},
};
static const ArgSpec alpha_args[] = {
    {.name = "alpha", .type = ARG_FLOAT, HDR(alpha), .positional = 1, .max = 1e30},
    {0},
};
static const ArgSpec softmax_args[] = {
    {.name = "axis", .type = ARG_INT, .positional = 1, .min = -1, .max = -1}, /* checked: the last axis only */
    {0},
};

static const ArgSpec rescaling_args[] = {
    {.name = "scale", .type = ARG_FLOAT, ATTR(RescalingAttr, scale), .positional = 1, .required = 1,
     .min = -1e30, .max = 1e30},
    {.name = "offset", .type = ARG_FLOAT, ATTR(RescalingAttr, offset), .positional = 1, .min = -1e30,
     .max = 1e30},
    {0},
};

static void relu_defaults(NnmLayer *l)
{
    ReLUAttr *a = l->attr;
    l->act = ACT_RELU;
    a->max_value = -1;
    l->alpha = 0;
}
static void leaky_defaults(NnmLayer *l)
{
    l->act = ACT_LEAKY_RELU;
    l->alpha = 0.3;
}
static void elu_defaults(NnmLayer *l)
{
    l->act = ACT_ELU;
    l->alpha = 1.0;
}
static void softmax_defaults(NnmLayer *l)
{
    l->act = ACT_SOFTMAX;
}

static void rescaling_defaults(NnmLayer *l)
{
    RescalingAttr *a = l->attr;
    a->scale = 1;
    a->offset = 0;
}

static int64_t act_layers_no_scratch(const NnmLayer *l) { (void)l; return 0; }

static void relu_forward(const LayerRun *r)
{
    const NnmLayer *l = r->l;
    const ReLUAttr *a = l->attr;
    int64_t n = r->batch * shape_size(&l->in);
    const float cap = (float)a->max_value, thr = (float)a->threshold, slope = (float)l->alpha;
    const int capped = a->max_value >= 0;
    for (int64_t i = 0; i < n; i++) {
        float x = r->x[i], y = x >= thr ? x : slope * (x - thr);
        r->y[i] = capped && y > cap ? cap : y;
    }
}

static void relu_backward(const LayerRun *r)
{
    const NnmLayer *l = r->l;
    const ReLUAttr *a = l->attr;
    if (!r->dx)
        return;
    int64_t n = r->batch * shape_size(&l->in);
    const float cap = (float)a->max_value, thr = (float)a->threshold, slope = (float)l->alpha;
    const int capped = a->max_value >= 0;
    for (int64_t i = 0; i < n; i++) {
        float x = r->x[i];
        float d = x >= thr ? (capped && x > cap ? 0.0f : 1.0f) : slope;
        r->dx[i] = r->dy[i] * d;
    }
}

const LayerKind layer_relu = {
    .name = "ReLU", .snake = "re_lu", .args = relu_args, LAYER_ATTR(ReLUAttr), .defaults = relu_defaults,
    .infer = layer_infer_same, .scratch = act_layers_no_scratch, .weights = layer_no_weights,
    .init = layer_no_init, .forward = relu_forward, .backward = relu_backward,
};

const LayerKind layer_leaky_relu = {
    .name = "LeakyReLU", .snake = "leaky_re_lu", .args = alpha_args, .defaults = leaky_defaults,
    .infer = layer_infer_same, .scratch = layer_act_scratch, .weights = layer_no_weights,
    .init = layer_no_init, .forward = layer_act_forward, .backward = layer_act_backward, .has_act = 1,
};

const LayerKind layer_elu = {
    .name = "ELU", .snake = "elu", .args = alpha_args, .defaults = elu_defaults,
    .infer = layer_infer_same, .scratch = layer_act_scratch, .weights = layer_no_weights,
    .init = layer_no_init, .forward = layer_act_forward, .backward = layer_act_backward, .has_act = 1,
};

const LayerKind layer_softmax = {
    .name = "Softmax", .snake = "softmax", .args = softmax_args, .defaults = softmax_defaults,
    .infer = layer_infer_same, .scratch = layer_act_scratch, .weights = layer_no_weights,
    .init = layer_no_init, .forward = layer_act_forward, .backward = layer_act_backward, .has_act = 1,
};

static void rescaling_forward(const LayerRun *r)
{
    int64_t n = r->batch * shape_size(&r->l->in);
    const RescalingAttr *a = r->l->attr;
    const float scale = (float)a->scale, offset = (float)a->offset;
    for (int64_t i = 0; i < n; i++)
        r->y[i] = scale * r->x[i] + offset;
}

static void rescaling_backward(const LayerRun *r)
{
    if (!r->dx)
        return;
    int64_t n = r->batch * shape_size(&r->l->in);
    const RescalingAttr *a = r->l->attr;
    const float scale = (float)a->scale;
    for (int64_t i = 0; i < n; i++)
        r->dx[i] = scale * r->dy[i];
}

const LayerKind layer_rescaling = {
    .name = "Rescaling", .snake = "rescaling", .args = rescaling_args, LAYER_ATTR(RescalingAttr), .defaults = rescaling_defaults,
    .infer = layer_infer_same, .scratch = act_layers_no_scratch, .weights = layer_no_weights,
    .init = layer_no_init, .forward = rescaling_forward, .backward = rescaling_backward,
};
