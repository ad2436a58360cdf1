/* runtime/layers/flatten.c — Flatten: (None, d1, d2, ...) -> (None, d1*d2*...).
 * Batch-major storage is already flat, so the data is copied unchanged
 * (channels-last order, as Keras). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "layer.h"

static const ArgSpec flatten_args[] = {{0}};

static void flatten_defaults(NnmLayer *l) { (void)l; }

static int flatten_infer(NnmLayer *l, char *err, size_t n)
{
    int64_t size = shape_size(&l->in);
    if (size > ((int64_t)1 << 40)) {
        snprintf(err, n, "Flatten output is too large");
        return -1;
    }
    l->out.rank = 1;
    l->out.dim[0] = size;
    l->nparams = 0;
    return 0;
}

static int64_t flatten_scratch(const NnmLayer *l) { (void)l; return 0; }

const LayerKind layer_flatten = {
    .name = "Flatten", .snake = "flatten", .args = flatten_args, .defaults = flatten_defaults, .infer = flatten_infer,
    .scratch = flatten_scratch, .weights = layer_no_weights, .init = layer_no_init, .forward = layer_copy_forward,
    .backward = layer_copy_backward,
};
