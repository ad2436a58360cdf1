/* runtime/layers/layer.c — the registry, and helpers shared by kinds. */
#include "layer.h"
#include "parallel.h"
#include "util.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

const LayerKind *const layer_kinds[LK_COUNT] = {
#define X(ID, sym) [LK_##ID] = &layer_##sym,
#include "layers.def"
#undef X
};

const LayerKind *layer_kind_find(const char *name)
{
    for (int k = 0; k < LK_COUNT; k++)
        if (strcmp(layer_kinds[k]->name, name) == 0)
            return layer_kinds[k];
    return NULL;
}

size_t layer_arg_size(const ArgSpec *as)
{
    if (!as->field)
        return 0;
    switch (as->type) {
    case ARG_INT: return sizeof(int64_t);
    case ARG_FLOAT: return sizeof(double);
    case ARG_BOOL: case ARG_ACT: case ARG_INIT: case ARG_PADDING: case ARG_CHOICE: return sizeof(int);
    case ARG_PAIR: return 2 * sizeof(int64_t);
    case ARG_EDGES: return 4 * sizeof(int64_t);
    case ARG_SHAPE: return sizeof(NnmShape);
    case ARG_REGULARIZER: case ARG_RANGE: return 2 * sizeof(double);
    case ARG_INTS: return (size_t)as->count * sizeof(int64_t);
    case ARG_FORMAT: case ARG_NONE_ONLY: case ARG_IGNORED: return 0;
    }
    return 0;
}

void *layer_arg_ptr(const NnmLayer *l, const ArgSpec *as)
{
    if (!layer_arg_size(as))
        return NULL;
    char *base = as->hdr ? (char *)(uintptr_t)l : (char *)l->attr;
    return base ? base + as->off : NULL;
}

const ArgSpec *layer_arg_find(int kind, const char *name)
{
    for (const ArgSpec *as = layer_kinds[kind]->args; as->name; as++)
        if (strcmp(as->name, name) == 0)
            return as;
    return NULL;
}

int layer_kernel_bias(NnmShape kernel, int64_t units, int use_bias, WeightInfo out[LAYER_MAX_WEIGHTS])
{
    out[0] = (WeightInfo){"kernel", kernel};
    if (!use_bias)
        return 1;
    out[1] = (WeightInfo){"bias", {1, {units, 0, 0, 0}}};
    return 2;
}

void layer_conv_defaults(NnmLayer *l)
{
    ConvAttr *a = l->attr;
    l->act = ACT_LINEAR;
    a->use_bias = 1;
    a->kinit = INIT_GLOROT_UNIFORM;
    a->binit = INIT_ZEROS;
    a->window.kernel[0] = a->window.kernel[1] = 1;
    a->window.strides[0] = a->window.strides[1] = 1;
    a->window.dilation[0] = a->window.dilation[1] = 1;
    a->window.padding = PAD_VALID;
}

int layer_infer_same(NnmLayer *l, char *err, size_t errsize)
{
    (void)err;
    (void)errsize;
    l->out = l->in;
    l->nparams = 0;
    return 0;
}

int layer_no_weights(const NnmLayer *l, WeightInfo out[LAYER_MAX_WEIGHTS])
{
    (void)l;
    (void)out;
    return 0;
}

void layer_no_init(const NnmLayer *l, float *w, NnmRng *rng)
{
    (void)l;
    (void)w;
    (void)rng;
}

int64_t layer_scratch_input(const NnmLayer *l) { return shape_size(&l->in); }

int layer_keeps_z(const NnmLayer *l) { return l->act != ACT_LINEAR && l->act != ACT_RELU; }

int64_t layer_work_stride(int64_t size) { return (size + 15) / 16 * 16; }

float *layer_work(const LayerRun *r, int64_t size) { return r->work + nnm_par_self() * layer_work_stride(size); }

int64_t layer_workspace(const NnmLayer *l)
{
    const LayerKind *k = layer_kinds[l->kind];
    return k->workspace ? k->workspace(l) : 0;
}

int64_t layer_batch_work(const NnmLayer *l, int64_t batch)
{
    const LayerKind *k = layer_kinds[l->kind];
    return k->batch_work ? k->batch_work(l, batch) : 0;
}

int64_t conv_out_size(int64_t in, int64_t k, int64_t stride, int64_t dil, int padding, int64_t *pad_before)
{
    int64_t span = (k - 1) * dil + 1, out;
    if (padding == PAD_CAUSAL) {
        *pad_before = span - 1;
        return (in + stride - 1) / stride;
    }
    if (padding == PAD_SAME) {
        out = (in + stride - 1) / stride;
        int64_t total = (out - 1) * stride + span - in;
        *pad_before = total > 0 ? total / 2 : 0; /* the odd pixel goes after */
    } else {
        out = in >= span ? (in - span) / stride + 1 : 0;
        *pad_before = 0;
    }
    return out;
}

int layer_need_images(const NnmLayer *l, char *err, size_t n)
{
    if (l->in.rank == 3)
        return 0;
    char s[96];
    shape_str(&l->in, s, sizeof s);
    snprintf(err, n, "%s expects images (None, height, width, channels) but gets %s%s",
             layer_kinds[l->kind]->name, s, l->in.rank == 2 ? "; reshape the input to (..., 1) channels" : "");
    return -1;
}

const ArgSpec layer_pool_args[] = {
    {.name = "pool_size", .type = ARG_PAIR, ATTR(PoolAttr, window.kernel), .positional = 1, .min = 1},
    {.name = "strides", .type = ARG_PAIR, ATTR(PoolAttr, window.strides), .positional = 1, .min = 1, .none_ok = 1},
    {.name = "padding", .type = ARG_PADDING, ATTR(PoolAttr, window.padding), .positional = 1},
    {.name = "data_format", .type = ARG_FORMAT, .positional = 1},
    LAYER_WINDOW_FIELDS(PoolAttr),
    {0},
};

void layer_pool_defaults(NnmLayer *l)
{
    NnmWindowAttr *a = l->attr;
    a->kernel[0] = a->kernel[1] = 2;
    a->strides[0] = a->strides[1] = 0; /* None: the pool size */
    a->dilation[0] = a->dilation[1] = 1;
    a->padding = PAD_VALID;
}

NnmWindow layer_window(const NnmLayer *l)
{
    const NnmWindowAttr *a = l->attr;
    if (l->in.rank == 2) { /* 1-D: (steps, channels) is an image of height 1 */
        NnmWindow g = {1, l->in.dim[0], l->in.dim[1], 1, l->out.dim[0], 1, a->kernel[1], 1, a->strides[1],
                       1, a->dilation[1], 0, a->pad[1]};
        return g;
    }
    NnmWindow g = {l->in.dim[0], l->in.dim[1], l->in.dim[2], l->out.dim[0], l->out.dim[1],
                   a->kernel[0], a->kernel[1], a->strides[0], a->strides[1],
                   a->dilation[0], a->dilation[1], a->pad[0], a->pad[1]};
    return g;
}

/* a batch's values copied by all the threads: one core's copy is slower
 * than the memory */
typedef struct {
    const float *src;
    float *dst;
} CopyJob;

static void copy_range(void *p, int64_t i0, int64_t i1)
{
    const CopyJob *j = p;
    memcpy(j->dst + i0, j->src + i0, (size_t)(i1 - i0) * sizeof(float));
}

static void copy_batch(const float *src, float *dst, int64_t n)
{
    CopyJob j = {src, dst};
    nnm_par_for(n, 16, 65536, copy_range, &j);
}

void layer_copy_forward(const LayerRun *r) { copy_batch(r->x, r->y, r->batch * shape_size(&r->l->in)); }

void layer_copy_backward(const LayerRun *r)
{
    if (r->dx)
        copy_batch(r->dy, r->dx, r->batch * shape_size(&r->l->in));
}

int layer_pool_infer(NnmLayer *l, char *err, size_t n)
{
    NnmWindowAttr *pw = l->attr;
    char s[96];
    shape_str(&l->in, s, sizeof s);
    if (l->kind == LK_MAXPOOL1D) {
        if (l->in.rank != 2) {
            snprintf(err, n, "MaxPooling1D expects sequences (None, steps, channels) but gets %s", s);
            return -1;
        }
        if (pw->strides[1] == 0)
            pw->strides[1] = pw->kernel[1];
        int64_t out = conv_out_size(l->in.dim[0], pw->kernel[1], pw->strides[1], 1, pw->padding, &pw->pad[1]);
        if (out < 1) {
            snprintf(err, n, "MaxPooling1D: a pool of %lld leaves nothing of the input %s with padding 'valid'",
                     (long long)pw->kernel[1], s);
            return -1;
        }
        l->out = (NnmShape){2, {out, l->in.dim[1], 0, 0}};
        l->nparams = 0;
        return 0;
    }
    if (layer_need_images(l, err, n))
        return -1;
    if (shape_size(&l->in) >= ((int64_t)1 << 31)) { /* max pooling keeps int32 positions */
        snprintf(err, n, "%s: the input %s is too large", layer_kinds[l->kind]->name, s);
        return -1;
    }
    for (int a = 0; a < 2; a++)
        if (pw->strides[a] == 0)
            pw->strides[a] = pw->kernel[a];
    int64_t out[2];
    for (int a = 0; a < 2; a++) {
        out[a] = conv_out_size(l->in.dim[a], pw->kernel[a], pw->strides[a], 1, pw->padding, &pw->pad[a]);
        if (out[a] < 1) {
            snprintf(err, n, "%s: a %lldx%lld pool leaves nothing of the input %s with padding 'valid'",
                     layer_kinds[l->kind]->name, (long long)pw->kernel[0], (long long)pw->kernel[1], s);
            return -1;
        }
    }
    l->out = (NnmShape){3, {out[0], out[1], l->in.dim[2], 0}};
    l->nparams = 0;
    return 0;
}

int64_t shape_size(const NnmShape *s)
{
    int64_t n = 1;
    for (int i = 0; i < s->rank; i++)
        n *= s->dim[i];
    return n;
}

void shape_str(const NnmShape *s, char *buf, size_t size)
{
    int o = snprintf(buf, size, "(None");
    for (int i = 0; i < s->rank && (size_t)o < size; i++)
        o += snprintf(buf + o, size - (size_t)o, ", %lld", (long long)s->dim[i]);
    if ((size_t)o < size)
        snprintf(buf + o, size - (size_t)o, ")");
}

/* Normal truncated at two standard deviations, redrawn outside (as TF's
 * truncated_normal); Keras's scaled initializers divide the standard
 * deviation by .87962566103423978 to keep the intended variance. */
static float truncated(NnmRng *r, double sd)
{
    double v;
    do
        v = nnm_rng_normal(r);
    while (v < -2.0 || v > 2.0);
    return (float)(v * sd);
}

void nnm_init_fill(int init, float *w, int64_t n, int64_t fan_in, int64_t fan_out, NnmRng *rng)
{
    double fin = (double)fan_in, fout = (double)fan_out, limit = 0, sd = 0;
    int uniform = 0, trunc = 0;
    switch ((NnmInit)init) {
    case INIT_ZEROS:
        memset(w, 0, (size_t)n * sizeof *w);
        return;
    case INIT_ONES:
        for (int64_t i = 0; i < n; i++)
            w[i] = 1.0f;
        return;
    case INIT_GLOROT_UNIFORM: uniform = 1; limit = sqrt(6.0 / (fin + fout)); break;
    case INIT_HE_UNIFORM: uniform = 1; limit = sqrt(6.0 / fin); break;
    case INIT_LECUN_UNIFORM: uniform = 1; limit = sqrt(3.0 / fin); break;
    case INIT_RANDOM_UNIFORM: uniform = 1; limit = 0.05; break;
    case INIT_GLOROT_NORMAL: trunc = 1; sd = sqrt(2.0 / (fin + fout)) / .87962566103423978; break;
    case INIT_HE_NORMAL: trunc = 1; sd = sqrt(2.0 / fin) / .87962566103423978; break;
    case INIT_LECUN_NORMAL: trunc = 1; sd = sqrt(1.0 / fin) / .87962566103423978; break;
    case INIT_TRUNCATED_NORMAL: trunc = 1; sd = 0.05; break;
    case INIT_RANDOM_NORMAL: sd = 0.05; break;
    case INIT_COUNT: NNM_UNREACHABLE();
    }
    for (int64_t i = 0; i < n; i++) {
        if (uniform)
            w[i] = (float)((2.0 * nnm_rng_uniform(rng) - 1.0) * limit);
        else if (trunc)
            w[i] = truncated(rng, sd);
        else
            w[i] = (float)(nnm_rng_normal(rng) * sd);
    }
}
