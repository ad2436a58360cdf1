/* runtime/layers/reshape.c — Reshape(target_shape) and Permute(dims).
 * Reshape keeps the values in order (batch-major storage makes it a copy);
 * one size of the target may be -1 and is inferred.  Permute reorders the
 * per-sample axes: dims are 1-based, as in Keras (Permute((2, 1))). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "layer.h"

typedef struct {
    NnmShape target; /* Reshape: the shape (one -1 allowed); Permute: the 1-based axes */
} ReshapeAttr;

static const NnmShape *target_of(const NnmLayer *l) { return &((const ReshapeAttr *)l->attr)->target; }

static const ArgSpec reshape_args[] = {
    {.name = "target_shape", .type = ARG_SHAPE, ATTR(ReshapeAttr, target), .positional = 1, .required = 1},
    {0},
};
static const ArgSpec permute_args[] = {
    {.name = "dims", .type = ARG_SHAPE, ATTR(ReshapeAttr, target), .positional = 1, .required = 1},
    {0},
};

static void reshape_defaults(NnmLayer *l) { (void)l; }

static int reshape_infer(NnmLayer *l, char *err, size_t n)
{
    int64_t size = shape_size(&l->in), known = 1;
    int infer_at = -1;
    for (int i = 0; i < target_of(l)->rank; i++) {
        if (target_of(l)->dim[i] == -1)
            infer_at = i;
        else
            known *= target_of(l)->dim[i];
    }
    NnmShape out = *target_of(l);
    if (infer_at >= 0) {
        if (known == 0 || size % known) {
            snprintf(err, n, "Reshape cannot infer -1: %lld values do not divide by %lld", (long long)size, (long long)known);
            return -1;
        }
        out.dim[infer_at] = size / known;
    }
    if (shape_size(&out) != size) {
        char a[96], b[96];
        shape_str(&l->in, a, sizeof a);
        shape_str(&out, b, sizeof b);
        snprintf(err, n, "Reshape cannot turn %s (%lld values) into %s", a, (long long)size, b);
        return -1;
    }
    l->out = out;
    l->nparams = 0;
    return 0;
}

static int permute_infer(NnmLayer *l, char *err, size_t n)
{
    int seen[NNM_MAX_RANK + 1] = {0};
    if (target_of(l)->rank != l->in.rank) {
        snprintf(err, n, "Permute needs %d axes for its input of rank %d, got %d", l->in.rank, l->in.rank, target_of(l)->rank);
        return -1;
    }
    for (int i = 0; i < target_of(l)->rank; i++) {
        int64_t d = target_of(l)->dim[i];
        if (d < 1 || d > l->in.rank || seen[d]++) {
            snprintf(err, n, "Permute dims must be a permutation of 1..%d", l->in.rank);
            return -1;
        }
        l->out.dim[i] = l->in.dim[d - 1];
    }
    l->out.rank = l->in.rank;
    l->nparams = 0;
    return 0;
}

static int64_t reshape_scratch(const NnmLayer *l) { (void)l; return 0; }

/* Moves each sample's values between the input and output layouts; with
 * back, from dy (output layout) to dx (input layout). */
static void permute(const LayerRun *r, const float *src, float *dst, int back)
{
    const NnmLayer *l = r->l;
    int rank = l->in.rank;
    int64_t size = shape_size(&l->in), in_stride[NNM_MAX_RANK], idx[NNM_MAX_RANK];
    in_stride[rank - 1] = 1;
    for (int i = rank - 2; i >= 0; i--)
        in_stride[i] = in_stride[i + 1] * l->in.dim[i + 1];
    for (int64_t b = 0; b < r->batch; b++) {
        memset(idx, 0, sizeof idx);
        for (int64_t o = 0; o < size; o++) {
            /* idx walks the output positions in order */
            int64_t in_off = 0;
            for (int i = 0; i < rank; i++)
                in_off += idx[i] * in_stride[target_of(l)->dim[i] - 1];
            if (back)
                dst[b * size + in_off] = src[b * size + o];
            else
                dst[b * size + o] = src[b * size + in_off];
            for (int i = rank - 1; i >= 0; i--) {
                if (++idx[i] < l->out.dim[i])
                    break;
                idx[i] = 0;
            }
        }
    }
}

static void permute_forward(const LayerRun *r) { permute(r, r->x, r->y, 0); }

static void permute_backward(const LayerRun *r)
{
    if (r->dx)
        permute(r, r->dy, r->dx, 1);
}

const LayerKind layer_reshape = {
    .name = "Reshape", .snake = "reshape", .args = reshape_args, LAYER_ATTR(ReshapeAttr), .defaults = reshape_defaults,
    .infer = reshape_infer, .scratch = reshape_scratch, .weights = layer_no_weights, .init = layer_no_init,
    .forward = layer_copy_forward, .backward = layer_copy_backward,
};

const LayerKind layer_permute = {
    .name = "Permute", .snake = "permute", .args = permute_args, LAYER_ATTR(ReshapeAttr), .defaults = reshape_defaults,
    .infer = permute_infer, .scratch = reshape_scratch, .weights = layer_no_weights, .init = layer_no_init,
    .forward = permute_forward, .backward = permute_backward,
};
