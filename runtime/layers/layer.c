/* runtime/layers/layer.c — the registry, and helpers shared by kinds. */
#include "layer.h"
#include "util.h"

#include <math.h>
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

int layer_infer_same(NnmLayer *l, char *err, size_t errsize)
{
    (void)err;
    (void)errsize;
    l->out = l->in;
    l->nparams = 0;
    return 0;
}

int layer_no_weights(const NnmLayer *l, WeightInfo out[2])
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

int64_t conv_out_size(int64_t in, int64_t k, int64_t stride, int64_t dil, int padding, int64_t *pad_before)
{
    int64_t span = (k - 1) * dil + 1, out;
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
