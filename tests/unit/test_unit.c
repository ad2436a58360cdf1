/* tests/unit/test_unit.c — numeric unit tests of the runtime:
 *   - a finite-difference gradient check of every layer kind (looping over
 *     the registry), every activation and every loss;
 *   - the first steps of every optimizer against values computed by hand;
 *   - nnmc's GEMM against the fmaf chain, in every ISA version and thread count;
 *   - IDX loading, including corrupt files; .npz round trips and errors;
 *   - Python-style float printing.
 * Prints "unit: N checks passed, M failed". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "augment.h"
#include "data.h"
#include "gemm.h"
#include "isa.h"
#include "callbacks.h"
#include "kernels.h"
#include "metrics.h"
#include "layer.h"
#include "net.h"
#include "npz.h"
#include "parallel.h"
#include "util.h"

static int n_ok, n_fail;
#define CHECK(c, ...)                                                        \
    do {                                                                     \
        if (c)                                                               \
            n_ok++;                                                          \
        else {                                                               \
            n_fail++;                                                        \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #c); \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
        }                                                                    \
    } while (0)

/* ---- gradient checks ----------------------------------------------------- */

/* The probes' attribute structs, zeroed: a bump allocator, never freed
 * (the tests own their layers for the whole run). */
static void *attr_alloc(size_t size)
{
    static _Alignas(16) unsigned char pool[1 << 20];
    static size_t used;
    size = (size + 15) / 16 * 16;
    if (used + size > sizeof pool) {
        fprintf(stderr, "unit: the probes' attribute pool is full\n");
        exit(1);
    }
    void *p = pool + used;
    used += size;
    return p;
}

/* The probes set attributes by their schema names (an argument or a
 * derived member), element idx of the member; a kind without that name
 * is left alone, so one call serves every kind. */
static void *attr_ptr(NnmLayer *l, const char *name)
{
    const ArgSpec *as = layer_arg_find(l->kind, name);
    return as ? layer_arg_ptr(l, as) : NULL;
}
static void set_elem(NnmLayer *l, const char *name, int idx, const void *v, size_t size)
{
    char *p = attr_ptr(l, name);
    if (p)
        memcpy(p + (size_t)idx * size, v, size);
}
static void set_i64(NnmLayer *l, const char *name, int idx, int64_t v) { set_elem(l, name, idx, &v, sizeof v); }
static void set_int(NnmLayer *l, const char *name, int v) { set_elem(l, name, 0, &v, sizeof v); }
static void set_f64(NnmLayer *l, const char *name, int idx, double v) { set_elem(l, name, idx, &v, sizeof v); }
static void set_shape(NnmLayer *l, const char *name, NnmShape v) { set_elem(l, name, 0, &v, sizeof v); }
static int64_t get_i64(NnmLayer *l, const char *name, int idx)
{
    const int64_t *p = attr_ptr(l, name);
    return p ? p[idx] : 0;
}
/* Dense's units or the convolutions' filters */
static void set_units(NnmLayer *l, int64_t v)
{
    set_i64(l, "units", 0, v);
    set_i64(l, "filters", 0, v);
}
static void set_pair(NnmLayer *l, const char *name, int64_t a, int64_t b)
{
    set_i64(l, name, 0, a);
    set_i64(l, name, 1, b);
}

static NnmLayer mk_layer(int kind, const NnmShape *in)
{
    NnmLayer l;
    memset(&l, 0, sizeof l);
    l.kind = kind;
    l.attr = layer_kinds[kind]->attr_size ? attr_alloc(layer_kinds[kind]->attr_size) : NULL;
    l.alpha = 0.2;
    layer_kinds[kind]->defaults(&l);
    l.in = *in;
    snprintf(l.name, sizeof l.name, "%s_t", layer_kinds[kind]->snake);
    return l;
}

static void finish_layer(NnmLayer *l)
{
    char err[128];
    int rc = layer_kinds[l->kind]->infer(l, err, sizeof err);
    CHECK(rc == 0, "probe layer %s does not fit: %s", layer_kinds[l->kind]->name, err);
}

/* The probes below list their layers as chains: each takes the previous
 * one's output (the first the model's input), as Sequential's do. */
static void chained(const NnmModel *m)
{
    NnmLayer *L = (NnmLayer *)m->layers; /* the tests own their layers */
    for (int i = 0; i < m->nlayers; i++)
        if (L[i].nin == 0) {
            L[i].nin = 1;
            L[i].inputs[0] = i - 1;
        }
}

/* A compiled model of one input and one output, its last layer */
static NnmModel test_model(const NnmLayer *L, int n, NnmShape in, int loss, NnmOptim opt)
{
    NnmModel m = {.nlayers = n, .layers = L, .ninputs = 1, .inputs = {in}, .compiled = 1, .optim = opt, .noutputs = 1};
    m.outputs[0] = (NnmOutput){.node = n - 1, .loss = loss, .weight = 1};
    return m;
}

/* Mean loss of the batch in the net (dropout mask fixed by the saved RNG). */
static double probe_loss(Net *n, int64_t b, const NnmRng *rng)
{
    n->dropout_rng = *rng;
    net_forward(n, b, 1);
    return net_loss(n, b) / (double)b;
}

static void grad_check_b(const char *what, NnmModel *m, NnmRng *rng, int onehot, int64_t b)
{
    Net n;
    chained(m);
    net_init(&n, m, rng, 5);
    net_plan(&n, b);
    int64_t in = shape_size(&m->inputs[0]);
    for (int64_t i = 0; i < b * in; i++)
        n.in[0][i] = 2.0f * nnm_rng_uniform(rng) - 1.0f;
    for (int64_t r = 0; r < b; r++)
        for (int64_t c = 0; c < n.out_size[0]; c++)
            n.t[0][r * n.out_size[0] + c] = onehot ? (float)(c == (r % n.out_size[0]))
                                                   : (m->outputs[0].loss == LOSS_BCE ? (float)((r + c) % 2)
                                                                                     : nnm_rng_uniform(rng));
    NnmRng saved = n.dropout_rng;
    probe_loss(&n, b, &saved);
    net_backward(&n, b);
    float *ana = nnm_alloc_floats(n.nparams);
    memcpy(ana, n.dw, (size_t)n.nparams * sizeof *ana);
    int bad = 0, kinks = 0;
    double worst = 0;
    double l0 = probe_loss(&n, b, &saved);
    for (int64_t i = 0; i < n.nparams; i++) {
        float keep = n.w[i];
        const float h = 1e-3f;
        n.w[i] = keep + h;
        double lp = probe_loss(&n, b, &saved);
        n.w[i] = keep - h;
        double lm = probe_loss(&n, b, &saved);
        n.w[i] = keep;
        double num = (lp - lm) / (2.0 * h), a = ana[i];
        /* A kink of relu, max or |x| inside [w-h, w+h] makes the one-sided
         * slopes disagree; the derivative is not defined there: skip. */
        double fwd = (lp - l0) / h, bwd = (l0 - lm) / h;
        if (fabs(fwd - bwd) > 0.05 * fmax(fabs(fwd), fabs(bwd)) + 2e-3) {
            kinks++;
            continue;
        }
        double err = fabs(num - a) / (fabs(num) + fabs(a) + 1e-2);
        if (err > worst)
            worst = err;
        if (fabs(num - a) > 2e-2 * fmax(fabs(num), fabs(a)) + 2e-3) {
            if (getenv("NNM_GRAD_DEBUG"))
                fprintf(stderr, "  %s: weight %lld: numeric %g, analytic %g\n", what, (long long)i, num, a);
            bad++;
        }
    }
    CHECK(kinks * 5 <= n.nparams, "%s: %d of %lld weights sit on kinks; the probe is badly chosen", what,
          kinks, (long long)n.nparams);
    CHECK(bad == 0, "%s: %d of %lld weight gradients disagree (worst relative error %.3g)", what, bad,
          (long long)n.nparams, worst);
    nnm_free_aligned(ana);
    net_free(&n);
}

static void grad_check(const char *what, NnmModel *m, NnmRng *rng, int onehot)
{
    grad_check_b(what, m, rng, onehot, 3);
}

/* Arguments a kind needs for a probe beyond the generic ones. */
static void probe_fields(int kind, NnmLayer *l)
{
    switch (kind) {
    case LK_RESHAPE: set_shape(l, "target_shape", (NnmShape){2, {-1, 2, 0, 0}}); break;
    case LK_PERMUTE: set_shape(l, "dims", (NnmShape){3, {2, 3, 1, 0}}); break;
    case LK_ZEROPAD2D: set_pair(l, "padding", 1, 2); set_i64(l, "padding", 2, 0); set_i64(l, "padding", 3, 1); break;
    case LK_CROPPING2D: set_pair(l, "cropping", 1, 0); set_i64(l, "cropping", 2, 1); set_i64(l, "cropping", 3, 1); break;
    case LK_RELU: set_f64(l, "max_value", 0, 0.5); l->alpha = 0.1; set_f64(l, "threshold", 0, -0.2); break;
    case LK_GAUSSIAN_NOISE: set_f64(l, "stddev", 0, 0.3); break;
    case LK_RESCALING: set_f64(l, "scale", 0, -1.5); set_f64(l, "offset", 0, 0.25); break;
    case LK_PRELU: set_int(l, "alpha_initializer", INIT_RANDOM_UNIFORM); break;
    case LK_DEPTHWISE_CONV2D: case LK_SEPARABLE_CONV2D: set_i64(l, "depth_multiplier", 0, 2); break;
    case LK_CONV1D:
        set_i64(l, "kernel", 1, 3);
        set_i64(l, "strides", 1, 1);
        set_i64(l, "dilation", 1, 2);
        set_int(l, "padding", PAD_CAUSAL);
        break;
    /* random maps, fixed for the check by the saved dropout stream */
    case LK_RANDOM_ROTATION: set_f64(l, "factor", 0, -0.1); set_f64(l, "factor", 1, 0.1); break;
    case LK_RANDOM_TRANSLATION:
        set_f64(l, "height_factor", 0, -0.3);
        set_f64(l, "height_factor", 1, 0.3);
        set_f64(l, "width_factor", 0, -0.2);
        set_f64(l, "width_factor", 1, 0.3);
        break;
    case LK_RANDOM_ZOOM:
        set_f64(l, "height_factor", 0, -0.3);
        set_f64(l, "height_factor", 1, 0.4);
        set_int(l, "fill_mode", FILL_CONSTANT);
        break;
    default: break;
    }
}

/* Spatial kinds: input (H, W, 2) -> Conv2D(3, 1x1, tanh) -> kind -> Flatten
 * -> Dense(3) -> mse, so the first convolution's gradients also check the
 * kind's input gradient. */
static void spatial_check(NnmRng *rng, int kind, int64_t h, int64_t w, int64_t k0, int64_t k1,
                          int64_t s0, int64_t s1, int64_t d, int padding, int act, int64_t batch)
{
    NnmOptim sgd = {.kind = OPT_SGD, .lr = 0.01};
    NnmShape in = {3, {h, w, 2, 0}};
    NnmLayer L[4];
    L[0] = mk_layer(LK_CONV2D, &in);
    set_units(&L[0], 3);
    set_pair(&L[0], "kernel", 1, 1);
    L[0].act = ACT_TANH;
    finish_layer(&L[0]);
    L[1] = mk_layer(kind, &L[0].out);
    set_units(&L[1], 4);
    set_i64(&L[1], "kernel", 0, k0);
    set_i64(&L[1], "kernel", 1, k1);
    set_i64(&L[1], "strides", 0, s0);
    set_i64(&L[1], "strides", 1, s1);
    set_pair(&L[1], "dilation", d, d);
    set_int(&L[1], "padding", padding);
    if (layer_kinds[kind]->has_act && kind != LK_LEAKY_RELU && kind != LK_ELU && kind != LK_SOFTMAX)
        L[1].act = act;
    probe_fields(kind, &L[1]);
    char err[128];
    if (layer_kinds[kind]->infer(&L[1], err, sizeof err)) {
        CHECK(0, "probe does not fit: %s", err);
        return;
    }
    L[2] = mk_layer(LK_FLATTEN, &L[1].out);
    finish_layer(&L[2]);
    L[3] = mk_layer(LK_DENSE, &L[2].out);
    set_units(&L[3], 3);
    finish_layer(&L[3]);
    NnmModel m = test_model(L, 4, in, LOSS_MSE, sgd);
    char what[160];
    snprintf(what, sizeof what, "%s %lldx%lld on %lldx%lld, strides %lldx%lld, dilation %lld, %s, batch %lld",
             layer_kinds[kind]->name, (long long)k0, (long long)k1, (long long)h, (long long)w,
             (long long)s0, (long long)s1, (long long)d, padding == PAD_SAME ? "same" : "valid", (long long)batch);
    grad_check_b(what, &m, rng, 0, batch);
}

static void test_spatial_grads(void)
{
    NnmRng rng;
    nnm_rng_seed(&rng, 11, 9);
    for (int pad = 0; pad < 2; pad++) {
        spatial_check(&rng, LK_CONV2D, 5, 6, 3, 3, 1, 1, 1, pad, ACT_RELU, 2);
        spatial_check(&rng, LK_CONV2D, 5, 6, 3, 3, 1, 1, 1, pad, ACT_TANH, 2);
        spatial_check(&rng, LK_CONV2D, 5, 6, 3, 3, 1, 1, 1, pad, ACT_RELU, 1);
        spatial_check(&rng, LK_CONV2D, 7, 5, 3, 2, 2, 1, 1, pad, ACT_TANH, 1);
        spatial_check(&rng, LK_CONV2D, 7, 7, 3, 3, 1, 1, 2, pad, ACT_LINEAR, 2);
        spatial_check(&rng, LK_CONV2D, 6, 6, 2, 2, 2, 2, 1, pad, ACT_SIGMOID, 3);
        spatial_check(&rng, LK_MAXPOOL2D, 5, 6, 2, 2, 2, 2, 1, pad, 0, 2);
        spatial_check(&rng, LK_MAXPOOL2D, 7, 5, 3, 3, 2, 1, 1, pad, 0, 1);
        spatial_check(&rng, LK_AVGPOOL2D, 5, 6, 2, 2, 2, 2, 1, pad, 0, 2);
        spatial_check(&rng, LK_AVGPOOL2D, 7, 5, 3, 3, 2, 1, 1, pad, 0, 1);
        spatial_check(&rng, LK_DEPTHWISE_CONV2D, 6, 5, 3, 3, 1, 1, 1, pad, ACT_TANH, 2);
        spatial_check(&rng, LK_DEPTHWISE_CONV2D, 7, 7, 3, 2, 2, 2, 1, pad, ACT_LINEAR, 1);
        spatial_check(&rng, LK_SEPARABLE_CONV2D, 6, 5, 3, 3, 1, 1, 1, pad, ACT_SIGMOID, 2);
        spatial_check(&rng, LK_SEPARABLE_CONV2D, 7, 7, 3, 3, 1, 1, 2, pad, ACT_LINEAR, 1);
        spatial_check(&rng, LK_CONV2D_TRANSPOSE, 3, 4, 3, 3, 2, 2, 1, pad, ACT_TANH, 2);
        spatial_check(&rng, LK_CONV2D_TRANSPOSE, 4, 3, 2, 3, 1, 2, 1, pad, ACT_LINEAR, 1);
        spatial_check(&rng, LK_CONV2D_TRANSPOSE, 3, 3, 2, 2, 3, 3, 1, pad, ACT_LINEAR, 2);
    }
    /* sequence kinds: input (7, 2) -> Conv1D(3, 1, tanh) -> kind -> Flatten -> Dense(3) */
    for (int k = 0; k < LK_COUNT; k++) {
        NnmShape seq = {2, {7, 2, 0, 0}};
        NnmLayer probe = mk_layer(k, &seq);
        set_units(&probe, 4);
        probe_fields(k, &probe);
        char perr[128];
        if (k != LK_CONV1D && k != LK_MAXPOOL1D && k != LK_GLOBAL_AVGPOOL1D)
            continue;
        NnmOptim sgd = {.kind = OPT_SGD, .lr = 0.01};
        NnmLayer L[4];
        L[0] = mk_layer(LK_CONV1D, &seq);
        set_units(&L[0], 3);
        set_i64(&L[0], "kernel", 1, 1);
        L[0].act = ACT_TANH;
        finish_layer(&L[0]);
        L[1] = mk_layer(k, &L[0].out);
        set_units(&L[1], 4);
        probe_fields(k, &L[1]);
        if (layer_kinds[k]->infer(&L[1], perr, sizeof perr)) {
            CHECK(0, "sequence probe for %s does not fit: %s", layer_kinds[k]->name, perr);
            continue;
        }
        L[2] = mk_layer(LK_FLATTEN, &L[1].out);
        finish_layer(&L[2]);
        L[3] = mk_layer(LK_DENSE, &L[2].out);
        set_units(&L[3], 3);
        finish_layer(&L[3]);
        NnmModel m = test_model(L, 4, seq, LOSS_MSE, sgd);
        char what[96];
        snprintf(what, sizeof what, "%s on sequences", layer_kinds[k]->name);
        grad_check_b(what, &m, &rng, 0, 2);
    }
    /* every other kind that needs images, with its defaults (a new kind
     * lands here automatically) */
    for (int k = 0; k < LK_COUNT; k++) {
        if (k == LK_CONV2D || k == LK_MAXPOOL2D || k == LK_AVGPOOL2D || k == LK_CONV1D || k == LK_MAXPOOL1D ||
            k == LK_GLOBAL_AVGPOOL1D || k == LK_DEPTHWISE_CONV2D || k == LK_SEPARABLE_CONV2D ||
            k == LK_CONV2D_TRANSPOSE || layer_kinds[k]->infer_inputs /* test_graph_grads */)
            continue;
        NnmShape flat = {1, {6, 0, 0, 0}};
        NnmLayer probe = mk_layer(k, &flat);
        set_units(&probe, 5);
        set_pair(&probe, "kernel", 1, 1);
        probe_fields(k, &probe);
        char perr[128];
        if (!layer_kinds[k]->infer(&probe, perr, sizeof perr) && k != LK_RELU && k != LK_GAUSSIAN_NOISE &&
            k != LK_RESHAPE && k != LK_BATCHNORM)
            continue; /* works on flat input: test_layer_grads covers it */
        NnmLayer d = mk_layer(k, &flat);
        spatial_check(&rng, k, 5, 4, get_i64(&d, "kernel", 0) ? get_i64(&d, "kernel", 0) : 1,
                      get_i64(&d, "kernel", 1) ? get_i64(&d, "kernel", 1) : 1, get_i64(&d, "strides", 0),
                      get_i64(&d, "strides", 1), 1, PAD_VALID, ACT_TANH, 2);
    }
}

/* Forward results against naive loops written here from the definitions
 * (TensorFlow's 'same': out = ceil(in/stride), the odd padding pixel after). */
static int64_t naive_out(int64_t in, int64_t k, int64_t st, int64_t d, int same, int64_t *before)
{
    int64_t span = d * (k - 1) + 1;
    if (!same) {
        *before = 0;
        return (in - span) / st + 1;
    }
    int64_t out = (in + st - 1) / st, need = (out - 1) * st + span - in;
    *before = need > 0 ? need / 2 : 0;
    return out;
}

static void forward_check(int kind, int64_t b, int64_t h, int64_t w, int64_t c, int64_t f, int64_t kh,
                          int64_t kw, int64_t sh, int64_t sw, int64_t d, int same)
{
    NnmRng rng;
    nnm_rng_seed(&rng, (uint64_t)(h * 131 + w * 7 + kh), 4);
    NnmShape in = {3, {h, w, c, 0}};
    NnmLayer l = mk_layer(kind, &in);
    set_units(&l, f);
    set_i64(&l, "kernel", 0, kh);
    set_i64(&l, "kernel", 1, kw);
    set_i64(&l, "strides", 0, sh);
    set_i64(&l, "strides", 1, sw);
    set_pair(&l, "dilation", d, d);
    set_int(&l, "padding", same ? PAD_SAME : PAD_VALID);
    finish_layer(&l);
    int64_t pt, pl, oh = naive_out(h, kh, sh, d, same, &pt), ow = naive_out(w, kw, sw, d, same, &pl);
    CHECK(l.out.dim[0] == oh && l.out.dim[1] == ow, "%s output %lldx%lld, expected %lldx%lld",
          layer_kinds[kind]->name, (long long)l.out.dim[0], (long long)l.out.dim[1], (long long)oh, (long long)ow);
    int64_t oc = kind == LK_CONV2D ? f : c;
    float *x = nnm_alloc_floats(b * h * w * c), *wt = nnm_alloc_floats(l.nparams + 1);
    float *y = nnm_alloc_floats(b * oh * ow * oc), *want = nnm_alloc_floats(b * oh * ow * oc);
    float *scr = nnm_alloc_floats(b * layer_kinds[kind]->scratch(&l) + 1);
    float *work = nnm_alloc_floats(nnm_par_threads() * layer_work_stride(layer_workspace(&l)) + 1);
    float *bwork = nnm_alloc_floats(layer_batch_work(&l, b) + 1);
    for (int64_t i = 0; i < b * h * w * c; i++)
        x[i] = nnm_rng_uniform(&rng) * 2 - 1;
    for (int64_t i = 0; i < l.nparams; i++)
        wt[i] = nnm_rng_uniform(&rng) - 0.5f;
    LayerRun r = {.l = &l, .batch = b, .x = x, .y = y, .scratch = scr, .work = work, .bwork = bwork, .w = wt, .training = 1};
    layer_kinds[kind]->forward(&r);
    for (int64_t n = 0; n < b; n++)
        for (int64_t oy = 0; oy < oh; oy++)
            for (int64_t ox = 0; ox < ow; ox++)
                for (int64_t o = 0; o < oc; o++) {
                    double acc = kind == LK_CONV2D ? wt[kh * kw * c * f + o] : kind == LK_AVGPOOL2D ? 0 : -INFINITY;
                    int cells = 0;
                    for (int64_t ky = 0; ky < kh; ky++)
                        for (int64_t kx = 0; kx < kw; kx++) {
                            int64_t iy = oy * sh + ky * d - pt, ix = ox * sw + kx * d - pl;
                            if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                                continue;
                            if (kind == LK_CONV2D)
                                for (int64_t ci = 0; ci < c; ci++)
                                    acc += (double)x[((n * h + iy) * w + ix) * c + ci] *
                                           wt[((ky * kw + kx) * c + ci) * f + o];
                            else if (kind == LK_AVGPOOL2D)
                                acc += x[((n * h + iy) * w + ix) * c + o];
                            else
                                acc = fmax(acc, x[((n * h + iy) * w + ix) * c + o]);
                            cells++;
                        }
                    want[((n * oh + oy) * ow + ox) * oc + o] = (float)(kind == LK_AVGPOOL2D ? acc / cells : acc);
                }
    double worst = 0;
    for (int64_t i = 0; i < b * oh * ow * oc; i++)
        worst = fmax(worst, fabs(y[i] - want[i]));
    CHECK(worst < 1e-4, "%s %lldx%lld stride %lldx%lld dilation %lld %s on %lldx%lldx%lld: max error %g",
          layer_kinds[kind]->name, (long long)kh, (long long)kw, (long long)sh, (long long)sw, (long long)d,
          same ? "same" : "valid", (long long)h, (long long)w, (long long)c, worst);
    nnm_free_aligned(x);
    nnm_free_aligned(wt);
    nnm_free_aligned(y);
    nnm_free_aligned(want);
    nnm_free_aligned(scr);
    nnm_free_aligned(work);
    nnm_free_aligned(bwork);
}

/* BatchNormalization against the formulas: batch statistics while
 * training, Keras's moving averages, the moving statistics at inference. */
static void test_batchnorm(void)
{
    NnmShape in = {3, {2, 3, 2, 0}};
    NnmLayer l = mk_layer(LK_BATCHNORM, &in);
    finish_layer(&l);
    CHECK(l.nparams == 8 && l.nfrozen == 4, "BN params %lld frozen %lld", (long long)l.nparams, (long long)l.nfrozen);
    enum { B = 2, N = B * 2 * 3 };
    float x[N * 2], y[N * 2], w[8] = {2.0f, 0.5f, 0.1f, -0.2f, 0.0f, 0.0f, 1.0f, 1.0f};
    float *scr = nnm_alloc_floats(B * layer_kinds[LK_BATCHNORM]->scratch(&l));
    for (int i = 0; i < N * 2; i++)
        x[i] = (float)((i * 7) % 11) * 0.3f - 1.0f;
    LayerRun r = {.l = &l, .batch = B, .x = x, .y = y, .scratch = scr, .w = w, .training = 1};
    layer_kinds[LK_BATCHNORM]->forward(&r);
    for (int c = 0; c < 2; c++) {
        double mu = 0, var = 0;
        for (int i = 0; i < N; i++)
            mu += x[i * 2 + c];
        mu /= N;
        for (int i = 0; i < N; i++)
            var += (x[i * 2 + c] - mu) * (x[i * 2 + c] - mu);
        var /= N;
        double worst = 0;
        for (int i = 0; i < N; i++) {
            double want = w[c] * (x[i * 2 + c] - mu) / sqrt(var + 1e-3) + w[2 + c];
            worst = fmax(worst, fabs(y[i * 2 + c] - want));
        }
        CHECK(worst < 1e-5, "BN training output channel %d off by %g", c, worst);
        double mm = 0.01 * mu, mv = 0.99 + 0.01 * var * N / (N - 1.001);
        CHECK(fabs(w[4 + c] - mm) < 1e-6 && fabs(w[6 + c] - mv) < 1e-6, "BN moving stats channel %d: %g %g, want %g %g",
              c, w[4 + c], w[6 + c], mm, mv);
    }
    r.training = 0;
    layer_kinds[LK_BATCHNORM]->forward(&r);
    double worst = 0;
    for (int i = 0; i < N * 2; i++) {
        int c = i % 2;
        double want = w[c] * (x[i] - w[4 + c]) / sqrt(w[6 + c] + 1e-3) + w[2 + c];
        worst = fmax(worst, fabs(y[i] - want));
    }
    CHECK(worst < 1e-5, "BN inference output off by %g", worst);
    nnm_free_aligned(scr);
}

static void test_spatial_forward(void)
{
    for (int same = 0; same < 2; same++) {
        forward_check(LK_CONV2D, 2, 7, 6, 3, 4, 3, 3, 1, 1, 1, same);
        forward_check(LK_CONV2D, 1, 8, 9, 2, 5, 5, 5, 1, 1, 1, same);
        forward_check(LK_CONV2D, 3, 9, 7, 1, 2, 3, 2, 2, 3, 1, same);
        forward_check(LK_CONV2D, 2, 10, 9, 2, 3, 3, 3, 1, 1, 2, same);
        forward_check(LK_CONV2D, 2, 4, 4, 3, 3, 1, 1, 1, 1, 1, same);
        forward_check(LK_MAXPOOL2D, 2, 7, 6, 3, 0, 2, 2, 2, 2, 1, same);
        forward_check(LK_MAXPOOL2D, 1, 9, 8, 2, 0, 3, 3, 2, 2, 1, same);
        forward_check(LK_MAXPOOL2D, 2, 5, 7, 1, 0, 3, 2, 1, 2, 1, same);
        forward_check(LK_AVGPOOL2D, 2, 7, 6, 3, 0, 2, 2, 2, 2, 1, same);
        forward_check(LK_AVGPOOL2D, 1, 9, 8, 2, 0, 3, 3, 2, 2, 1, same);
    }
}

static void test_layer_grads(void)
{
    NnmRng rng;
    nnm_rng_seed(&rng, 42, 9);
    NnmOptim sgd = {.kind = OPT_SGD, .lr = 0.01};
    for (int k = 0; k < LK_COUNT; k++) {
        NnmShape flat = {1, {6, 0, 0, 0}};
        NnmLayer probe = mk_layer(k, &flat);
        set_units(&probe, 5);
        set_pair(&probe, "kernel", 1, 1);
        probe_fields(k, &probe);
        char perr[128];
        if (layer_kinds[k]->infer(&probe, perr, sizeof perr) || k == LK_PERMUTE || k == LK_RESHAPE)
            continue; /* needs images (or reshapes): covered by test_spatial_grads */
        int fixed_act = k == LK_LEAKY_RELU || k == LK_ELU || k == LK_SOFTMAX;
        int acts = layer_kinds[k]->has_act && !fixed_act ? ACT_COUNT : 1;
        for (int act = 0; act < acts; act++) {
            /* input (2, 4) -> Flatten -> Dense(6, tanh) -> kind k -> Dense(3) -> mse */
            NnmLayer L[4];
            NnmShape s = {2, {2, 4, 0, 0}};
            L[0] = mk_layer(LK_FLATTEN, &s);
            finish_layer(&L[0]);
            L[1] = mk_layer(LK_DENSE, &L[0].out);
            set_units(&L[1], 6);
            L[1].act = ACT_TANH;
            finish_layer(&L[1]);
            L[2] = mk_layer(k, &L[1].out);
            set_units(&L[2], 5);
            set_f64(&L[2], "rate", 0, 0.3);
            probe_fields(k, &L[2]);
            if (layer_kinds[k]->has_act && !fixed_act)
                L[2].act = act;
            finish_layer(&L[2]);
            L[3] = mk_layer(LK_DENSE, &L[2].out);
            set_units(&L[3], 3);
            finish_layer(&L[3]);
            NnmModel m = test_model(L, 4, s, LOSS_MSE, sgd);
            char what[96];
            snprintf(what, sizeof what, "layer %s%s%s", layer_kinds[k]->name,
                     layer_kinds[k]->has_act ? " activation " : "", layer_kinds[k]->has_act ? nnm_act_names[act] : "");
            grad_check(what, &m, &rng, 0);
        }
    }
    /* every loss, after the output activations it is used with */
    static const int outs[] = {ACT_SOFTMAX, ACT_SIGMOID, ACT_LINEAR};
    for (int loss = 0; loss < LOSS_COUNT; loss++)
        for (size_t o = 0; o < NNM_COUNTOF(outs); o++) {
            if (outs[o] == ACT_LINEAR && (loss == LOSS_CCE || loss == LOSS_SPARSE_CCE || loss == LOSS_BCE))
                continue; /* probabilities are needed */
            for (int units = 1; units <= 4; units += 3) {
                if (units == 1 && outs[o] == ACT_SOFTMAX)
                    continue;
                NnmLayer L[2];
                NnmShape s = {1, {5, 0, 0, 0}};
                L[0] = mk_layer(LK_DENSE, &s);
                set_units(&L[0], 4);
                L[0].act = ACT_RELU;
                finish_layer(&L[0]);
                L[1] = mk_layer(LK_DENSE, &L[0].out);
                set_units(&L[1], units);
                L[1].act = outs[o];
                finish_layer(&L[1]);
                NnmModel m = test_model(L, 2, s, loss, sgd);
                char what[96];
                snprintf(what, sizeof what, "loss %s after %s, %d outputs", nnm_loss_names[loss], nnm_act_names[outs[o]], units);
                grad_check(what, &m, &rng, loss == LOSS_CCE || loss == LOSS_SPARSE_CCE);
            }
        }
    /* the fused losses also fuse with a separate Activation layer at the end */
    for (int loss = 0; loss < LOSS_COUNT; loss++) {
        int act = loss == LOSS_BCE ? ACT_SIGMOID : ACT_SOFTMAX;
        NnmLayer L[2];
        NnmShape s = {1, {5, 0, 0, 0}};
        L[0] = mk_layer(LK_DENSE, &s);
        set_units(&L[0], 3);
        finish_layer(&L[0]);
        L[1] = mk_layer(LK_ACTIVATION, &L[0].out);
        L[1].act = act;
        finish_layer(&L[1]);
        NnmModel m = test_model(L, 2, s, loss, sgd);
        char what[96];
        snprintf(what, sizeof what, "loss %s after Activation('%s')", nnm_loss_names[loss], nnm_act_names[act]);
        grad_check(what, &m, &rng, loss == LOSS_CCE || loss == LOSS_SPARSE_CCE);
    }
}

/* ---- graphs: merges, fan-out, shared layers ---------------------------- */

/* node i of kind k taking the nodes in[] (-1: the model's input) */
static NnmLayer graph_node(const NnmLayer *L, int kind, int nin, const int *in, const NnmShape *model_in)
{
    NnmShape shapes[NNM_MAX_IN];
    for (int k = 0; k < nin; k++)
        shapes[k] = in[k] >= 0 ? L[in[k]].out : *model_in;
    NnmLayer l = mk_layer(kind, &shapes[0]);
    l.nin = nin;
    memcpy(l.inputs, in, sizeof *in * (size_t)nin);
    return l;
}

static void graph_finish(NnmLayer *l, const NnmLayer *L, const NnmShape *model_in)
{
    char err[256];
    int rc;
    if (layer_kinds[l->kind]->infer_inputs) {
        NnmShape shapes[NNM_MAX_IN];
        for (int k = 0; k < l->nin; k++)
            shapes[k] = l->inputs[k] >= 0 ? L[l->inputs[k]].out : *model_in;
        rc = layer_kinds[l->kind]->infer_inputs(l, shapes, err, sizeof err);
    } else
        rc = layer_kinds[l->kind]->infer(l, err, sizeof err);
    CHECK(rc == 0, "graph probe %s does not fit: %s", layer_kinds[l->kind]->name, err);
}

/* Dense(units, act) on node `from` (-1: the model's input) */
static NnmLayer graph_dense(const NnmLayer *L, int from, int64_t units, int act, const NnmShape *model_in)
{
    NnmLayer l = graph_node(L, LK_DENSE, 1, (int[]){from}, model_in);
    set_units(&l, units);
    l.act = act;
    graph_finish(&l, L, model_in);
    return l;
}

/* The gradients dL/dy share buffers by liveness (net.c plan_dy): a chain
 * needs two however deep, a skip connection keeps one more alive across
 * the block it skips; and nodes alive at once never share. */
static void test_dy_plan(void)
{
    NnmRng rng;
    nnm_rng_seed(&rng, 3, 9);
    NnmShape s = {1, {4, 0, 0, 0}};
    NnmOptim sgd = {.kind = OPT_SGD, .lr = 0.1};
    NnmLayer C[6];
    for (int i = 0; i < 6; i++)
        C[i] = graph_dense(C, i - 1, 4 + i, ACT_TANH, &s);
    NnmModel chain = test_model(C, 6, s, LOSS_MSE, sgd);
    Net n;
    net_init(&n, &chain, &rng, 1);
    CHECK(n.ndy_plan == 2, "a chain of 6 plans %d gradient buffers, not 2", n.ndy_plan);
    for (int i = 0; i < 6; i++)
        CHECK(n.dy_size[n.dy_buf[i]] >= shape_size(&C[i].out), "node %d's gradient buffer is too small", i);
    for (int i = 1; i < 6; i++)
        CHECK(n.dy_buf[i] != n.dy_buf[i - 1], "nodes %d and %d share a gradient buffer", i - 1, i);
    net_free(&n);
    /* a -> b -> c -> Add([a, c]) -> d: dy[a] lives from the Add to a itself */
    NnmLayer G[5];
    G[0] = graph_dense(G, -1, 3, ACT_TANH, &s);
    G[1] = graph_dense(G, 0, 3, ACT_TANH, &s);
    G[2] = graph_dense(G, 1, 3, ACT_TANH, &s);
    G[3] = graph_node(G, LK_ADD, 2, (int[]){0, 2}, &s);
    graph_finish(&G[3], G, &s);
    G[4] = graph_dense(G, 3, 2, ACT_LINEAR, &s);
    NnmModel skip = test_model(G, 5, s, LOSS_MSE, sgd);
    net_init(&n, &skip, &rng, 1);
    CHECK(n.ndy_plan == 3, "a skip connection plans %d gradient buffers, not 3", n.ndy_plan);
    CHECK(n.dy_buf[0] != n.dy_buf[1] && n.dy_buf[0] != n.dy_buf[2] && n.dy_buf[1] != n.dy_buf[2],
          "the skipped block's gradients share a buffer with the skip's");
    net_free(&n);
}

/* Every merge kind between two branches of one input (a tensor used twice),
 * Add of three with one branch twice, Dot of rank 1 and 2 (normalised too),
 * and a Dense called twice on a chain whose first tensor also skips ahead:
 * finite differences of every weight. */
static void test_graph_grads(void)
{
    NnmRng rng;
    nnm_rng_seed(&rng, 77, 9);
    NnmOptim sgd = {.kind = OPT_SGD, .lr = 0.01};
    NnmShape s = {1, {4, 0, 0, 0}};
    static const int merges[] = {LK_ADD, LK_SUBTRACT, LK_MULTIPLY, LK_AVERAGE, LK_MAXIMUM, LK_MINIMUM,
                                 LK_CONCATENATE, LK_DOT, LK_DOT};
    for (size_t c = 0; c < NNM_COUNTOF(merges); c++) {
        /* input (4,) -> Dense(3, tanh), Dense(3 or 2, tanh) -> merge -> Dense(2) -> mse */
        int kind = merges[c], normalize = c == NNM_COUNTOF(merges) - 1;
        NnmLayer L[4];
        L[0] = graph_dense(L, -1, 3, ACT_TANH, &s);
        L[1] = graph_dense(L, -1, kind == LK_CONCATENATE ? 2 : 3, ACT_TANH, &s);
        L[2] = graph_node(L, kind, 2, (int[]){0, 1}, &s);
        set_pair(&L[2], "axes", 1, 1);
        set_int(&L[2], "normalize", normalize);
        graph_finish(&L[2], L, &s);
        L[3] = graph_dense(L, 2, 2, ACT_LINEAR, &s);
        NnmModel m = test_model(L, 4, s, LOSS_MSE, sgd);
        char what[96];
        snprintf(what, sizeof what, "graph: %s%s of two branches", layer_kinds[kind]->name,
                 normalize ? "(normalize=True)" : "");
        grad_check(what, &m, &rng, 0);
    }
    for (int axis = 1; axis <= 3; axis += 2) {
        /* images (2, 3, 2) and (1 or 2, 3, 1 or 2) concatenated on rows (axis=1) or channels (axis=-1) */
        NnmLayer L[6];
        L[0] = graph_dense(L, -1, 12, ACT_TANH, &s);
        L[1] = graph_node(L, LK_RESHAPE, 1, (int[]){0}, &s);
        set_shape(&L[1], "target_shape", (NnmShape){3, {2, 3, 2, 0}});
        graph_finish(&L[1], L, &s);
        L[2] = graph_dense(L, -1, 6, ACT_TANH, &s);
        L[3] = graph_node(L, LK_RESHAPE, 1, (int[]){2}, &s);
        set_shape(&L[3], "target_shape", axis == 1 ? (NnmShape){3, {1, 3, 2, 0}} : (NnmShape){3, {2, 3, 1, 0}});
        graph_finish(&L[3], L, &s);
        L[4] = graph_node(L, LK_CONCATENATE, 2, (int[]){1, 3}, &s);
        set_i64(&L[4], "axis", 0, axis == 1 ? 1 : -1);
        graph_finish(&L[4], L, &s);
        CHECK(L[4].out.dim[0] == (axis == 1 ? 3 : 2) && L[4].out.dim[2] == (axis == 1 ? 2 : 3), "Concatenate's shape");
        L[5] = graph_node(L, LK_FLATTEN, 1, (int[]){4}, &s);
        graph_finish(&L[5], L, &s);
        NnmLayer out = graph_dense(L, 5, 2, ACT_LINEAR, &s);
        NnmLayer all[7];
        memcpy(all, L, sizeof L);
        all[6] = out;
        NnmModel m = test_model(all, 7, s, LOSS_MSE, sgd);
        grad_check(axis == 1 ? "graph: Concatenate(axis=1) of images" : "graph: Concatenate(axis=-1) of images", &m,
                   &rng, 0);
    }
    {
        /* Add([a, b, a]): one tensor twice in one merge */
        NnmLayer L[4];
        L[0] = graph_dense(L, -1, 3, ACT_TANH, &s);
        L[1] = graph_dense(L, 0, 3, ACT_SIGMOID, &s);
        L[2] = graph_node(L, LK_ADD, 3, (int[]){0, 1, 0}, &s);
        graph_finish(&L[2], L, &s);
        L[3] = graph_dense(L, 2, 2, ACT_LINEAR, &s);
        NnmModel m = test_model(L, 4, s, LOSS_MSE, sgd);
        grad_check("graph: Add([a, b, a])", &m, &rng, 0);
    }
    for (int normalize = 0; normalize < 2; normalize++) {
        /* Dense(6) -> Reshape(3, 2) and Dense(6) -> Reshape(2, 3), Dot(axes=(1, 2)) -> (2, 2) */
        NnmLayer L[7];
        L[0] = graph_dense(L, -1, 6, ACT_TANH, &s);
        L[1] = graph_node(L, LK_RESHAPE, 1, (int[]){0}, &s);
        set_shape(&L[1], "target_shape", (NnmShape){2, {3, 2, 0, 0}});
        graph_finish(&L[1], L, &s);
        L[2] = graph_dense(L, -1, 6, ACT_TANH, &s);
        L[3] = graph_node(L, LK_RESHAPE, 1, (int[]){2}, &s);
        set_shape(&L[3], "target_shape", (NnmShape){2, {2, 3, 0, 0}});
        graph_finish(&L[3], L, &s);
        L[4] = graph_node(L, LK_DOT, 2, (int[]){1, 3}, &s);
        set_i64(&L[4], "axes", 0, 1);
        set_i64(&L[4], "axes", 1, 2);
        set_int(&L[4], "normalize", normalize);
        graph_finish(&L[4], L, &s);
        CHECK(L[4].out.rank == 2 && L[4].out.dim[0] == 2 && L[4].out.dim[1] == 2, "Dot of (3, 2) and (2, 3) on axes (1, 2)");
        L[5] = graph_node(L, LK_FLATTEN, 1, (int[]){4}, &s);
        graph_finish(&L[5], L, &s);
        L[6] = graph_dense(L, 5, 2, ACT_LINEAR, &s);
        NnmModel m = test_model(L, 7, s, LOSS_MSE, sgd);
        grad_check(normalize ? "graph: Dot of matrices, normalize=True" : "graph: Dot of matrices", &m, &rng, 0);
    }
    {
        /* a = Dense(4)(x); shared = Dense(4); b = shared(shared(a)); Add([a, b]) -> Dense(2) */
        NnmLayer L[5];
        L[0] = graph_dense(L, -1, 4, ACT_TANH, &s);
        L[1] = graph_dense(L, 0, 4, ACT_TANH, &s);
        L[2] = L[1];
        L[2].inputs[0] = 1;
        L[2].weights_of = 2;
        L[2].nparams = 0;
        L[3] = graph_node(L, LK_ADD, 2, (int[]){0, 2}, &s);
        graph_finish(&L[3], L, &s);
        L[4] = graph_dense(L, 3, 2, ACT_LINEAR, &s);
        NnmModel m = test_model(L, 5, s, LOSS_MSE, sgd);
        grad_check("graph: a layer called twice, a tensor used twice", &m, &rng, 0);
    }
}

/* net_plan() allocates everything: training steps allocate nothing. */
static void test_no_alloc_per_batch(void)
{
    NnmRng rng;
    nnm_rng_seed(&rng, 1, 1);
    NnmShape s = {1, {20, 0, 0, 0}};
    NnmLayer L[3];
    L[0] = mk_layer(LK_DENSE, &s);
    set_units(&L[0], 16);
    L[0].act = ACT_RELU;
    finish_layer(&L[0]);
    L[1] = mk_layer(LK_DROPOUT, &L[0].out);
    set_f64(&L[1], "rate", 0, 0.5);
    finish_layer(&L[1]);
    L[2] = mk_layer(LK_DENSE, &L[1].out);
    set_units(&L[2], 4);
    L[2].act = ACT_SOFTMAX;
    finish_layer(&L[2]);
    NnmOptim adam = {.kind = OPT_ADAM, .lr = 0.001, .beta_1 = 0.9, .beta_2 = 0.999, .epsilon = 1e-7};
    NnmModel m = test_model(L, 3, s, LOSS_CCE, adam);
    Net n;
    chained(&m);
    net_init(&n, &m, &rng, 1);
    net_plan(&n, 8);
    long before = nnm_alloc_count;
    for (int step = 0; step < 10; step++) {
        int64_t b = step % 2 ? 8 : 5; /* a partial last batch is planned for too */
        net_forward(&n, b, 1);
        net_loss(&n, b);
        net_backward(&n, b);
        net_update(&n);
    }
    net_plan(&n, 8);
    CHECK(nnm_alloc_count == before, "%ld buffers allocated during training steps", nnm_alloc_count - before);
    net_free(&n);
}

/* The fused log-softmax cross-entropy agrees with the Keras formula (away
 * from the clipping at 1e-7). */
static void test_fused_loss(void)
{
    float z[6] = {1.0f, -2.0f, 0.5f, 3.0f, 0.0f, -1.0f}, y[6], t[6] = {0, 0, 1, 1, 0, 0}, g1[6], g2[6];
    nnm_act_forward(ACT_SOFTMAX, 0, 2, 3, z, y);
    int fused;
    double a = nnm_loss(LOSS_CCE, 0, ACT_SOFTMAX, 2, 3, z, y, t, NULL, g1, &fused);
    CHECK(fused == 1, "softmax + CCE must fuse");
    double b = nnm_loss(LOSS_CCE, 0, ACT_LINEAR, 2, 3, y, y, t, NULL, g2, &fused);
    CHECK(fused == 0, "linear + CCE must not fuse");
    CHECK(fabs(a - b) < 1e-5, "fused %g vs plain %g", a, b);
    double want = -log(y[2]) - log(y[3]);
    CHECK(fabs(a - want) < 1e-5, "CCE %g vs hand %g", a, want);
    /* sigmoid + BCE at a large logit stays finite */
    float zl[1] = {100.0f}, yl[1], tl[1] = {0.0f}, gl[1];
    nnm_act_forward(ACT_SIGMOID, 0, 1, 1, zl, yl);
    double l = nnm_loss(LOSS_BCE, 0, ACT_SIGMOID, 1, 1, zl, yl, tl, NULL, gl, &fused);
    CHECK(fabs(l - 100.0) < 1e-3 && isfinite(gl[0]), "stable BCE: %g", l);
}

/* label_smoothing is the loss of the smoothed targets t (1 - s) + s / C
 * (s / 2 for binary cross-entropy), in the fused and the plain forms. */
static void test_label_smoothing(void)
{
    float z[6] = {1.0f, -2.0f, 0.5f, 3.0f, 0.0f, -1.0f}, y[6], t[6] = {0, 0, 1, 1, 0, 0}, ts[6], g1[6], g2[6];
    const float sm = 0.2f;
    for (int i = 0; i < 6; i++)
        ts[i] = t[i] * (1 - sm) + sm / 3;
    nnm_act_forward(ACT_SOFTMAX, 0, 2, 3, z, y);
    int fused;
    for (int act = 0; act < 2; act++) {
        int a = act ? ACT_SOFTMAX : ACT_LINEAR;
        double l1 = nnm_loss(LOSS_CCE, sm, a, 2, 3, z, y, t, NULL, g1, &fused);
        double l2 = nnm_loss(LOSS_CCE, 0, a, 2, 3, z, y, ts, NULL, g2, &fused);
        CHECK(l1 == l2 && !memcmp(g1, g2, sizeof g1), "CCE label smoothing (%s): %.9g vs %.9g", act ? "fused" : "plain",
              l1, l2);
    }
    /* by hand, the fused form: -sum ts log softmax(z) */
    double want = 0;
    for (int i = 0; i < 6; i++)
        want -= ts[i] * log(y[i]);
    double got = nnm_loss(LOSS_CCE, sm, ACT_SOFTMAX, 2, 3, z, y, t, NULL, g1, &fused);
    CHECK(fabs(got - want) < 1e-5, "smoothed CCE %g vs hand %g", got, want);
    float zb[2] = {0.3f, -1.2f}, yb[2], tb[2] = {1, 0}, tbs[2] = {1 * (1 - sm) + sm / 2, 0 * (1 - sm) + sm / 2}, gb1[2], gb2[2];
    nnm_act_forward(ACT_SIGMOID, 0, 2, 1, zb, yb);
    double b1 = nnm_loss(LOSS_BCE, sm, ACT_SIGMOID, 2, 1, zb, yb, tb, NULL, gb1, &fused);
    double b2 = nnm_loss(LOSS_BCE, 0, ACT_SIGMOID, 2, 1, zb, yb, tbs, NULL, gb2, &fused);
    CHECK(b1 == b2 && !memcmp(gb1, gb2, sizeof gb1), "BCE label smoothing: %.9g vs %.9g", b1, b2);
    /* losses without it ignore it */
    double m1 = nnm_loss(LOSS_MSE, sm, ACT_LINEAR, 2, 3, y, y, t, NULL, g1, &fused);
    double m2 = nnm_loss(LOSS_MSE, 0, ACT_LINEAR, 2, 3, y, y, t, NULL, g2, &fused);
    CHECK(m1 == m2, "MSE takes no label smoothing");
}

/* ---- optimizers: three steps against hand-computed values ------------------ */

static void test_optimizers(void)
{
    static const struct {
        const char *name;
        int kind;
        double lr, momentum;
        int flag;
        double decay;
        double want[3];
    } cases[] = {
    {"sgd lr=0.1", OPT_SGD, 0.1, 0,0,0, {0.519, -1.019, 1.965}},
    {"sgd lr=0.1 momentum=0.9", OPT_SGD, 0.1, 0.9,0,0, {0.5289, -1.0208, 1.9092}},
    {"sgd lr=0.1 momentum=0.9 nesterov=1", OPT_SGD, 0.1, 0.9,1,0, {0.54501, -1.03772, 1.88328}},
    {"sgd lr=0.1 decay=0.5", OPT_SGD, 0.1, 0,0,0.5, {0.5095, -1.00616667, 1.96666667}},
    {"rmsprop lr=0.001", OPT_RMSPROP, 0.001, 0,0,0, {0.499746962, -0.999619597, 1.99629055}},
    {"adagrad lr=0.01", OPT_ADAGRAD, 0.01, 0,0,0, {0.49917077, -0.998720724, 1.98835601}},
    {"adadelta lr=1.0", OPT_ADADELTA, 1.0, 0,0,0, {0.500398812, -1.0003221, 1.99824871}},
    {"adam lr=0.001", OPT_ADAM, 0.001, 0,0,0, {0.49985583, -0.999634754, 1.99761118}},
    {"amsgrad lr=0.001", OPT_ADAM, 0.001, 0,1,0, {0.49985583, -0.999634687, 1.99761149}},
    {"adamax lr=0.002", OPT_ADAMAX, 0.002, 0,0,0, {0.499177629, -0.998926159, 1.99616616}},
    {"nadam lr=0.002", OPT_NADAM, 0.002, 0,0,0, {0.499855832, -0.999721731, 1.99726481}},
    };
    static const float g[3][3] = {{0.1f, -0.2f, 0.3f}, {-0.3f, 0.4f, 0.05f}, {0.01f, -0.01f, 0.0f}};
    for (size_t c = 0; c < NNM_COUNTOF(cases); c++) {
        NnmOptim o = {.kind = cases[c].kind, .lr = cases[c].lr, .momentum = cases[c].momentum,
                      .rho = cases[c].kind == OPT_ADADELTA ? 0.95 : 0.9, .epsilon = 1e-7,
                      .beta_1 = 0.9, .beta_2 = 0.999, .decay = cases[c].decay, .schedule_decay = 0.004};
        if (cases[c].kind == OPT_SGD)
            o.nesterov = cases[c].flag;
        else
            o.amsgrad = cases[c].flag;
        NnmOptState st;
        nnm_optim_init(&st, &o, 3);
        float w[3] = {0.5f, -1.0f, 2.0f};
        for (int s = 0; s < 3; s++)
            nnm_optim_step(&o, &st, w, g[s]);
        for (int i = 0; i < 3; i++)
            CHECK(fabs(w[i] - cases[c].want[i]) < 2e-6 * fmax(1.0, fabs(cases[c].want[i])),
                  "%s: w[%d] = %.9g, by hand %.9g", cases[c].name, i, w[i], cases[c].want[i]);
        nnm_optim_free(&st);
    }
}

/* ---- matrix products ------------------------------------------------------ */

/* nnm_gemm's contract (gemm.h): every entry is one chain of fmaf over k
 * from zero (or from C's value with accumulate), in every ISA version the
 * CPU has, whatever the tile edges (m, n not multiples of any tile) and the
 * cut of k into blocks; and nnm_transpose is an exact transpose. */
typedef struct {
    const float *a;
    int64_t lda, kc;
} BlockRows;

static void block_rows(const void *p, int64_t i0, int mr, int64_t kb, const float **ptr, float *scratch)
{
    const BlockRows *m = p;
    for (int i = 0; i < mr; i++) { /* odd rows through scratch, as a convolution's padded rows go */
        const float *src = m->a + (i0 + i) * m->lda + kb * m->kc;
        if ((i0 + i) % 2) {
            memcpy(scratch + i * m->kc, src, (size_t)m->kc * sizeof *src);
            src = scratch + i * m->kc;
        }
        ptr[i] = src;
    }
}

/* nnm_gemm's done calls: rows handed over in order, each once, already
 * final (equal to the expected product) when handed over */
typedef struct {
    const float *want, *got;
    int64_t n, next, bad;
} DoneLog;

static void done_log(const void *p, int64_t i0, int64_t n)
{
    DoneLog *d = (DoneLog *)p;
    d->bad += i0 != d->next || n < 1 || memcmp(d->want + i0 * d->n, d->got + i0 * d->n, (size_t)(n * d->n) * sizeof(float));
    d->next = i0 + n;
}

static void test_gemm(void)
{
    static const int shapes[][4] = {{1, 1, 1, 1},     {7, 5, 3, 2},      {37, 29, 53, 1}, {9, 70, 12, 4},
                                    {70, 9, 31, 3},   {16, 64, 100, 5},  {300, 20, 25, 1}};
    NnmRng rng;
    nnm_rng_seed(&rng, 7, 7);
    const int saved = nnm_isa_active;
    for (size_t s = 0; s < NNM_COUNTOF(shapes); s++) {
        const int64_t M = shapes[s][0], N = shapes[s][1], kc = shapes[s][2], nb = shapes[s][3], K = kc * nb;
        float *a = nnm_alloc_floats(M * K), *b = nnm_alloc_floats(K * N), *bt = nnm_alloc_floats(K * N);
        float *want = nnm_alloc_floats(M * N), *got = nnm_alloc_floats(M * N), *tr = nnm_alloc_floats(M * K);
        float *pb = nnm_alloc_floats(nnm_gemm_packed_size(K, N)), *work = nnm_alloc_floats(nnm_gemm_work_size(kc, nb));
        for (int64_t i = 0; i < M * K; i++)
            a[i] = nnm_rng_uniform(&rng) - 0.5f;
        for (int64_t i = 0; i < K * N; i++)
            b[i] = nnm_rng_uniform(&rng) - 0.5f;
        for (int64_t r = 0; r < K; r++)
            for (int64_t j = 0; j < N; j++)
                bt[j * K + r] = b[r * N + j];
        nnm_transpose(M, K, a, tr);
        int bad = 0;
        for (int64_t i = 0; i < M; i++)
            for (int64_t r = 0; r < K; r++)
                bad += tr[r * M + i] != a[i * K + r];
        CHECK(bad == 0, "transpose %lldx%lld: %d entries misplaced", (long long)M, (long long)K, bad);
        const BlockRows rows = {a, K, kc};
        for (int isa = 0; isa < NNM_ISA_COUNT; isa++) {
            if (!nnm_isa_supported(isa))
                continue;
            nnm_isa_active = isa;
            for (int acc = 0; acc < 2; acc++)
                for (int trans = 0; trans < 2; trans++) {
                    for (int64_t i = 0; i < M; i++)
                        for (int64_t j = 0; j < N; j++) {
                            float c = acc ? 0.125f * (float)(i - j) : 0.0f;
                            for (int64_t r = 0; r < K; r++)
                                c = fmaf(a[i * K + r], b[r * N + j], c);
                            want[i * N + j] = c;
                            got[i * N + j] = acc ? 0.125f * (float)(i - j) : -1.0f;
                        }
                    nnm_gemm_pack_b(K, N, trans ? bt : b, trans ? K : N, trans, pb);
                    DoneLog log = {want, got, N, 0, 0};
                    const NnmGemmDone done = {done_log, &log};
                    nnm_gemm(M, N, kc, nb, block_rows, &rows, pb, acc, got, N, work, &done);
                    CHECK(log.bad == 0 && log.next == M, "gemm %lldx%lld, %s: rows handed over out of order or unfinished",
                          (long long)M, (long long)N, nnm_isa_name(isa));
                    CHECK(!memcmp(want, got, (size_t)(M * N) * sizeof *got),
                          "gemm %lldx%lldx%lld in %lld blocks, %s, accumulate %d, trans %d: not the fmaf chain",
                          (long long)M, (long long)N, (long long)kc, (long long)nb, nnm_isa_name(isa), acc, trans);
                }
        }
        nnm_isa_active = saved;
        float *bufs[] = {a, b, bt, want, got, tr, pb, work};
        for (size_t i = 0; i < NNM_COUNTOF(bufs); i++)
            nnm_free_aligned(bufs[i]);
    }
}

/* nnm_matmul's contract (gemm.h): op(A) op(B) (+ C) is each entry's fmaf
 * chain over k, bit for bit, for every transposition, every ISA level,
 * 1, 2 and 3 threads, blocks of k and of n cut anywhere (k past 512, n past
 * 256), C split by columns or by rows, and strided operands. */
static void test_matmul(void)
{
    static const int shapes[][3] = {{1, 1, 1}, {5, 3, 0}, {37, 29, 53}, {130, 300, 700}, {200, 20, 600}, {9, 1100, 40}};
    NnmRng rng;
    nnm_rng_seed(&rng, 9, 9);
    const int saved = nnm_isa_active;
    for (size_t s = 0; s < NNM_COUNTOF(shapes); s++) {
        const int64_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2], pad = 3;
        /* A as [M, K] or [K, M], B as [K, N] or [N, K], each row `pad` longer */
        float *a = nnm_alloc_floats((M + pad) * (K + pad)), *b = nnm_alloc_floats((K + pad) * (N + pad));
        float *want = nnm_alloc_floats(M * N), *got = nnm_alloc_floats(M * N);
        float *shared = nnm_alloc_floats(nnm_matmul_shared_size(1, M, K) + 1);
        const int64_t stride = (nnm_matmul_workspace(M, N, K) + 15) / 16 * 16;
        float *ws = nnm_alloc_floats(4 * stride);
        for (int64_t i = 0; i < (M + pad) * (K + pad); i++)
            a[i] = nnm_rng_uniform(&rng) - 0.5f;
        for (int64_t i = 0; i < (K + pad) * (N + pad); i++)
            b[i] = nnm_rng_uniform(&rng) - 0.5f;
        for (int isa = 0; isa < NNM_ISA_COUNT; isa++) {
            if (!nnm_isa_supported(isa))
                continue;
            nnm_isa_active = isa;
            for (int v = 0; v < 8; v++) {
                const int ta = v & 1, tb = (v >> 1) & 1, acc = v >> 2;
                const int64_t lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad;
                for (int64_t i = 0; i < M; i++)
                    for (int64_t j = 0; j < N; j++) {
                        float c = acc ? 0.125f * (float)(i - j) : 0.0f;
                        for (int64_t r = 0; r < K; r++)
                            c = fmaf(ta ? a[r * lda + i] : a[i * lda + r], tb ? b[j * ldb + r] : b[r * ldb + j], c);
                        want[i * N + j] = c;
                    }
                for (int threads = 1; threads <= 3; threads++) {
                    nnm_par_init(threads);
                    for (int64_t i = 0; i < M * N; i++)
                        got[i] = acc ? 0.125f * (float)(i / N - i % N) : -1.0f;
                    nnm_matmul(ta, tb, M, N, K, a, lda, b, ldb, acc, got, N, shared, ws, stride);
                    CHECK(!memcmp(want, got, (size_t)(M * N) * sizeof *got),
                          "matmul %lldx%lldx%lld, %s, ta %d tb %d accumulate %d, %d threads: not the fmaf chain",
                          (long long)M, (long long)N, (long long)K, nnm_isa_name(isa), ta, tb, acc, threads);
                }
                nnm_par_init(1);
            }
        }
        nnm_isa_active = saved;
        float *bufs[] = {a, b, want, got, shared, ws};
        for (size_t i = 0; i < NNM_COUNTOF(bufs); i++)
            nnm_free_aligned(bufs[i]);
    }
}

/* ---- IDX files --------------------------------------------------------------- */

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* Writes an IDX pair: n images of 2x3, labels i % 10, optionally damaged. */
static void write_idx(const char *img, const char *lab, uint32_t n, uint32_t img_magic,
                      uint32_t lab_count, long truncate_img, int gz)
{
    unsigned char buf[16 + 6 * 64];
    put_be32(buf, img_magic);
    put_be32(buf + 4, n);
    put_be32(buf + 8, 2);
    put_be32(buf + 12, 3);
    for (uint32_t i = 0; i < 6 * n; i++)
        buf[16 + i] = (unsigned char)(i * 7);
    long len = 16 + 6 * (long)n;
    if (truncate_img >= 0)
        len = truncate_img;
    unsigned char lb[8 + 64];
    put_be32(lb, 0x801);
    put_be32(lb + 4, lab_count);
    for (uint32_t i = 0; i < lab_count; i++)
        lb[8 + i] = (unsigned char)(i % 10);
    if (gz) {
        gzFile f = gzopen(img, "wb");
        gzwrite(f, buf, (unsigned)len);
        gzclose(f);
        f = gzopen(lab, "wb");
        gzwrite(f, lb, 8 + lab_count);
        gzclose(f);
    } else {
        FILE *f = fopen(img, "wb");
        fwrite(buf, 1, (size_t)len, f);
        fclose(f);
        f = fopen(lab, "wb");
        fwrite(lb, 1, 8 + lab_count, f);
        fclose(f);
    }
}

static void test_idx(const char *dir)
{
    char img[512], lab[512];
    snprintf(img, sizeof img, "%s/img.gz", dir);
    snprintf(lab, sizeof lab, "%s/lab.gz", dir);
    NnmSplit s;
    for (int gz = 0; gz < 2; gz++) {
        write_idx(img, lab, 5, 0x803, 5, -1, gz);
        CHECK(nnm_idx_load(img, lab, &s) == 0, "valid IDX (gz=%d) must load", gz);
        CHECK(s.n == 5 && s.rows == 2 && s.cols == 3, "shape %lld x %lld x %lld", (long long)s.n,
              (long long)s.rows, (long long)s.cols);
        float px[6];
        nnm_split_row(&s, 0, px);
        CHECK(fabsf(px[1] - 7.0f / 255.0f) < 1e-7f && s.label[4] == 4, "pixel %g label %d", px[1], s.label[4]);
        nnm_split_free(&s);
    }
    fprintf(stderr, "(the next messages are expected)\n");
    write_idx(img, lab, 5, 0x804, 5, -1, 1);
    CHECK(nnm_idx_load(img, lab, &s) == -1, "wrong magic must fail");
    write_idx(img, lab, 5, 0x803, 4, -1, 1);
    CHECK(nnm_idx_load(img, lab, &s) == -1, "label count mismatch must fail");
    write_idx(img, lab, 5, 0x803, 5, 16 + 6 * 4, 1);
    CHECK(nnm_idx_load(img, lab, &s) == -1, "truncated images must fail");
    write_idx(img, lab, 5, 0x803, 5, 10, 0);
    CHECK(nnm_idx_load(img, lab, &s) == -1, "truncated header must fail");
    FILE *f = fopen(img, "wb");
    fputs("\x1f\x8b garbage that is not gzip", f);
    fclose(f);
    CHECK(nnm_idx_load(img, lab, &s) == -1, "corrupt gzip must fail");
    remove(img);
    CHECK(nnm_idx_load(img, lab, &s) == -1, "missing file must fail");
    remove(lab);
}

static void test_cifar(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/batch.bin", dir);
    unsigned char *rec = calloc(10000, 3073);
    for (int i = 0; i < 10000; i++) {
        rec[i * 3073] = (unsigned char)(i % 10);
        rec[i * 3073 + 1] = 255;            /* red of pixel 0 */
        rec[i * 3073 + 1 + 1024 + 1] = 51;  /* green of pixel 1 */
    }
    FILE *f = fopen(path, "wb");
    fwrite(rec, 3073, 10000, f);
    fclose(f);
    const char *files[1] = {path};
    NnmSplit s;
    CHECK(nnm_cifar_load(files, 1, &s) == 0, "valid CIFAR batch must load");
    CHECK(s.n == 10000 && s.rows == 32 && s.cols == 32 && s.chans == 3, "CIFAR shape");
    /* channels last: pixel 0 is (1, 0, 0); pixel 1 has green 0.2 */
    float px[3072];
    nnm_split_row(&s, 0, px);
    CHECK(px[0] == 1.0f && px[1] == 0.0f && fabsf(px[4] - 0.2f) < 1e-7f && s.label[9] == 9,
          "CIFAR layout: %g %g %g label %d", px[0], px[1], px[4], s.label[9]);
    nnm_split_free(&s);
    fprintf(stderr, "(the next messages are expected)\n");
    rec[5 * 3073] = 10;
    f = fopen(path, "wb");
    fwrite(rec, 3073, 10000, f);
    fclose(f);
    CHECK(nnm_cifar_load(files, 1, &s) == -1, "CIFAR label 10 must fail");
    f = fopen(path, "wb");
    fwrite(rec, 3073, 9999, f);
    fclose(f);
    CHECK(nnm_cifar_load(files, 1, &s) == -1, "truncated CIFAR batch must fail");
    remove(path);
    free(rec);
}

/* ---- npz ------------------------------------------------------------------------ */

static void test_npz(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/w.npz", dir);
    float k[6] = {1, 2, 3, 4, 5, 6}, b[3] = {-1, 0.5f, 1e-8f};
    NpzArray arr[2] = {{"dense_1/kernel:0", {2, {2, 3, 0, 0}}, k}, {"dense_1/bias:0", {1, {3, 0, 0, 0}}, b}};
    CHECK(npz_write(path, arr, 2) == 0, "npz write");
    NpzFile *f = npz_open(path);
    CHECK(f != NULL, "npz open");
    if (!f)
        return;
    float k2[6] = {0}, b2[3] = {0};
    CHECK(npz_read(f, "dense_1/kernel:0", &arr[0].shape, k2) == 0 && memcmp(k, k2, sizeof k) == 0, "kernel round trip");
    CHECK(npz_read(f, "dense_1/bias:0", &arr[1].shape, b2) == 0 && memcmp(b, b2, sizeof b) == 0, "bias round trip");
    fprintf(stderr, "(the next messages are expected)\n");
    NnmShape wrong = {2, {3, 2, 0, 0}};
    CHECK(npz_read(f, "dense_1/kernel:0", &wrong, k2) == -1, "shape mismatch must fail");
    CHECK(npz_read(f, "dense_2/kernel:0", &wrong, k2) == -1, "missing array must fail");
    npz_close(f);
    /* flip a data byte: the CRC check must catch it */
    FILE *raw = fopen(path, "r+b");
    fseek(raw, 200, SEEK_SET);
    int ch = fgetc(raw);
    fseek(raw, 200, SEEK_SET);
    fputc(ch ^ 0x55, raw);
    fclose(raw);
    f = npz_open(path);
    CHECK(f && npz_read(f, "dense_1/kernel:0", &arr[0].shape, k2) == -1, "corrupt data must fail");
    npz_close(f);
    raw = fopen(path, "wb");
    fputs("not a zip", raw);
    fclose(raw);
    CHECK(npz_open(path) == NULL, "non-zip must fail");
    remove(path);
    /* determinism: same arrays, same bytes */
    char p2[512];
    snprintf(p2, sizeof p2, "%s/w2.npz", dir);
    npz_write(path, arr, 2);
    npz_write(p2, arr, 2);
    FILE *f1 = fopen(path, "rb"), *f2 = fopen(p2, "rb");
    int same = 1, c1, c2;
    do {
        c1 = fgetc(f1);
        c2 = fgetc(f2);
        same &= c1 == c2;
    } while (c1 != EOF && c2 != EOF);
    fclose(f1);
    fclose(f2);
    CHECK(same, "npz output must be deterministic");
    remove(path);
    remove(p2);
}

/* ---- printing ------------------------------------------------------------------- */

static void test_pyfloat(void)
{
    static const struct {
        double v;
        const char *want;
    } cases[] = {{0.1, "0.1"}, {98.4, "98.4"}, {3.0, "3.0"}, {1e-05, "1e-05"}, {0.0001, "0.0001"},
                 {1e16, "1e+16"}, {123456789012345.0, "123456789012345.0"}, {-2.5, "-2.5"},
                 {0.9758, "0.9758"}, {1.0 / 3, "0.3333333333333333"}, {0.0, "0.0"}, {2e-7, "2e-07"}};
    for (size_t i = 0; i < NNM_COUNTOF(cases); i++) {
        char buf[40];
        nnm_pyfloat(buf, sizeof buf, cases[i].v);
        CHECK(strcmp(buf, cases[i].want) == 0, "repr(%.17g) = %s, Python says %s", cases[i].v, buf, cases[i].want);
    }
}

/* nnm_par_each: every item once, in blocks that start at multiples of the
 * block size, each run by a thread whose index is in range */
typedef struct {
    int64_t n, block;
    int *seen; /* per item: how many calls covered it, +1000 for a bad call */
} EachJob;

static void each_block(void *p, int64_t b, int64_t e)
{
    EachJob *j = p;
    for (int64_t i = b; i < e; i++)
        j->seen[i]++;
    if (b % j->block != 0 || (e - b != j->block && e != j->n) || nnm_par_self() >= nnm_par_threads())
        j->seen[b] += 1000;
}

static void test_par_each(void)
{
    for (int t = 1; t <= 4; t *= 2) {
        nnm_par_init(t);
        for (int64_t n = 1; n <= 97; n += 16)
            for (int64_t block = 1; block <= 8; block *= 2) {
                EachJob j = {n, block, calloc((size_t)n, sizeof(int))};
                nnm_par_each(n, block, each_block, &j);
                int once = 1;
                for (int64_t i = 0; i < n; i++)
                    once &= j.seen[i] == 1;
                CHECK(once, "nnm_par_each(%lld, %lld) on %d threads: items missed, repeated or misaligned",
                      (long long)n, (long long)block, t);
                free(j.seen);
            }
    }
    nnm_par_init(1);
}

/* Regularizers: each one alone and all together, on Dense and Conv2D, the
 * penalty in the loss and its gradient (finite differences); and the
 * penalty's value by hand (Keras: l1·Σ|w| + l2·Σw², no ½). */
static void test_regularizer_grads(void)
{
    NnmRng rng;
    nnm_rng_seed(&rng, 43, 9);
    NnmOptim sgd = {.kind = OPT_SGD, .lr = 0.01};
    static const double regs[][3][2] = {
        {{0.05, 0}, {0, 0}, {0, 0}},   {{0, 0.05}, {0, 0}, {0, 0}},  {{0, 0}, {0.05, 0.1}, {0, 0}},
        {{0, 0}, {0, 0}, {0.02, 0}},   {{0, 0}, {0, 0}, {0, 0.03}},  {{0.01, 0.02}, {0.03, 0.04}, {0.01, 0.02}},
    };
    for (size_t c = 0; c < NNM_COUNTOF(regs); c++)
        for (int conv = 0; conv < 2; conv++) {
            /* input (4, 4, 2) -> Conv2D(3, 2x2, tanh) or Flatten+Dense(5, tanh), regularized -> Flatten -> Dense(3, softmax) */
            NnmLayer L[3];
            NnmShape s = {3, {4, 4, 2, 0}};
            L[0] = mk_layer(conv ? LK_CONV2D : LK_FLATTEN, &s);
            if (conv) {
                set_units(&L[0], 3);
                set_pair(&L[0], "kernel", 2, 2);
                L[0].act = ACT_TANH;
                memcpy(L[0].reg, regs[c], sizeof L[0].reg);
            }
            finish_layer(&L[0]);
            L[1] = mk_layer(conv ? LK_FLATTEN : LK_DENSE, &L[0].out);
            if (!conv) {
                set_units(&L[1], 5);
                L[1].act = ACT_TANH;
                memcpy(L[1].reg, regs[c], sizeof L[1].reg);
            }
            finish_layer(&L[1]);
            L[2] = mk_layer(LK_DENSE, &L[1].out);
            set_units(&L[2], 3);
            L[2].act = ACT_SOFTMAX;
            finish_layer(&L[2]);
            NnmModel m = test_model(L, 3, s, LOSS_CCE, sgd);
            char what[96];
            snprintf(what, sizeof what, "regularizers case %zu on %s", c, conv ? "Conv2D" : "Dense");
            grad_check(what, &m, &rng, 1);
        }
    /* the penalty by hand: Dense(1) on 2 inputs, weights set, input zero */
    NnmShape s = {1, {2, 0, 0, 0}};
    NnmLayer d = mk_layer(LK_DENSE, &s);
    set_units(&d, 1);
    d.reg[REG_KERNEL][0] = 0.1;
    d.reg[REG_KERNEL][1] = 0.2;
    d.reg[REG_BIAS][1] = 0.5;
    finish_layer(&d);
    NnmModel m = test_model(&d, 1, s, LOSS_MSE, sgd);
    Net n;
    chained(&m);
    net_init(&n, &m, &rng, 1);
    net_plan(&n, 2);
    n.w[0] = 1.0f, n.w[1] = -2.0f, n.w[2] = 3.0f; /* kernel (1, -2), bias 3 */
    memset(n.in[0], 0, 4 * sizeof(float));
    n.t[0][0] = n.t[0][1] = 3.0f; /* outputs are the bias: data loss 0 */
    net_forward(&n, 2, 1);
    double loss = net_loss(&n, 2) / 2;
    double want = 0.1 * 3 + 0.2 * 5 + 0.5 * 9;
    CHECK(fabs(loss - want) < 1e-6, "penalty %g, want %g", loss, want);
    net_free(&n);
}

/* Metrics against values worked out by hand (see the comments). */
static void test_metrics(void)
{
    /* 4 samples, 3 classes: predicted classes 0, 1, 2, 1 against true 0, 2, 2, 0 */
    const float y[12] = {0.7f, 0.2f, 0.1f, 0.1f, 0.6f, 0.3f, 0.3f, 0.3f, 0.4f, 0.2f, 0.5f, 0.3f};
    const float t[12] = {1, 0, 0, 0, 0, 1, 0, 0, 1, 1, 0, 0};
    NnmOutput a = {.loss = LOSS_CCE, .nmetrics = 6,
                  .metrics = {{MET_ACC, 5, 0, 0.5}, {MET_TOP_K, 2, 0, 0.5}, {MET_MSE, 5, 0, 0.5},
                              {MET_MAE, 5, 0, 0.5}, {MET_PRECISION, 5, 0, 0.5}, {MET_RECALL, 5, 0, 0.5}}};
    NnmOutput b = {.loss = LOSS_CCE, .nmetrics = 4,
                  .metrics = {{MET_F1, 5, F1_MACRO, 0.5}, {MET_F1, 5, F1_MICRO, 0.5},
                              {MET_F1, 5, F1_WEIGHTED, 0.5}, {MET_AUC, 5, 0, 0.5}}};
    /* acc 2/4; top-2 3/4; mse 2.52/12; mae 4.8/12; above 0.5: 1 right, 1 wrong, of 4 positives;
     * F1 by class 2/3, 0, 2/3: macro 4/9, micro 1/2, weighted (supports 2, 0, 2) 2/3;
     * AUC: P(positive above negative), ties half: 21/32 (no two values share a bucket unless equal) */
    const double want_a[6] = {0.5, 0.75, 0.21, 0.4, 0.5, 0.25}, want_b[4] = {4.0 / 9, 0.5, 2.0 / 3, 21.0 / 32};
    for (int split = 0; split < 2; split++) {
        NnmMetrics ma, mb;
        double got[6];
        nnm_metrics_init(&ma, &a, 3, 0);
        nnm_metrics_init(&mb, &b, 3, 1);
        /* in one batch, or in two: the figures are over all samples either way */
        for (int part = 0; part < (split ? 2 : 1); part++) {
            int64_t from = split ? 2 * part : 0, rows = split ? 2 : 4;
            nnm_metrics_add(&ma, y + 3 * from, t + 3 * from, rows);
            nnm_metrics_add(&mb, y + 3 * from, t + 3 * from, rows);
        }
        nnm_metrics_values(&ma, got);
        for (int k = 0; k < 6; k++)
            CHECK(fabs(got[k] - want_a[k]) < 1e-6, "%s = %.17g, want %g (split %d)",
                  nnm_metric_names[a.metrics[k].kind], got[k], want_a[k], split);
        nnm_metrics_values(&mb, got);
        for (int k = 0; k < 4; k++)
            CHECK(fabs(got[k] - want_b[k]) < 1e-9, "%s (average %d) = %.17g, want %.17g (split %d)",
                  nnm_metric_names[b.metrics[k].kind], b.metrics[k].average, got[k], want_b[k], split);
        CHECK(mb.confusion[0] == 1 && mb.confusion[1] == 1 && mb.confusion[7] == 1 && mb.confusion[5] == 0 &&
                  mb.confusion[8] == 1 && mb.confusion[2] == 0,
              "confusion matrix");
        nnm_metrics_free(&ma);
        nnm_metrics_free(&mb);
    }
    /* one sigmoid output: predictions 1, 0, 1, 0 against 1, 0, 0, 1 */
    const float yb[4] = {0.8f, 0.3f, 0.6f, 0.1f}, tb[4] = {1, 0, 0, 1};
    NnmOutput c = {.loss = LOSS_BCE, .nmetrics = 5,
                  .metrics = {{MET_ACC, 5, 0, 0.5}, {MET_F1, 5, F1_MACRO, 0.5}, {MET_PRECISION, 5, 0, 0.5},
                              {MET_RECALL, 5, 0, 0.5}, {MET_AUC, 5, 0, 0.5}}};
    const double want_c[5] = {0.5, 0.5, 0.5, 0.5, 0.5};
    NnmMetrics mc;
    double got[5];
    nnm_metrics_init(&mc, &c, 1, 0);
    nnm_metrics_add(&mc, yb, tb, 4);
    nnm_metrics_values(&mc, got);
    for (int k = 0; k < 5; k++)
        CHECK(fabs(got[k] - want_c[k]) < 1e-9, "binary %s = %g, want %g", nnm_metric_names[c.metrics[k].kind], got[k],
              want_c[k]);
    nnm_metrics_free(&mc);
}

/* Augmentation transforms on small images, worked out by hand. */
static void test_augment(void)
{
    /* a 3x4 one-channel image 0..11, and a 2x2 two-channel one */
    float img[12], out[12], want[12];
    for (int i = 0; i < 12; i++)
        img[i] = (float)i;
    const double id[6] = {1, 0, 0, 0, 1, 0};
    nnm_affine_image(img, out, 3, 4, 1, id, FILL_NEAREST, 0, 0, 0);
    CHECK(memcmp(img, out, sizeof out) == 0, "identity transform");
    nnm_affine_image(img, out, 3, 4, 1, id, FILL_NEAREST, 0, 1, 0);
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 4; c++)
            want[r * 4 + c] = img[r * 4 + 3 - c];
    CHECK(memcmp(want, out, sizeof out) == 0, "horizontal flip");
    nnm_affine_image(img, out, 3, 4, 1, id, FILL_NEAREST, 0, 0, 1);
    CHECK(out[0] == 8 && out[4] == 4 && out[11] == 3, "vertical flip");
    /* output row i samples input row i - 1: the top row comes from outside */
    const double down[6] = {1, 0, -1, 0, 1, 0};
    nnm_affine_image(img, out, 3, 4, 1, down, FILL_CONSTANT, -1, 0, 0);
    CHECK(out[0] == -1 && out[3] == -1 && out[4] == 0 && out[11] == 7, "shift down, constant fill");
    nnm_affine_image(img, out, 3, 4, 1, down, FILL_NEAREST, 0, 0, 0);
    CHECK(out[0] == 0 && out[3] == 3 && out[4] == 0, "shift down, nearest fill");
    /* output column j samples column j + 2: columns 2, 3 come from 4, 5 */
    const double left2[6] = {1, 0, 0, 0, 1, 2};
    nnm_affine_image(img, out, 3, 4, 1, left2, FILL_REFLECT, 0, 0, 0);
    CHECK(out[0] == 2 && out[1] == 3 && out[2] == 3 && out[3] == 2, "reflect fill: d c b a | a b c d | d c b a");
    nnm_affine_image(img, out, 3, 4, 1, left2, FILL_WRAP, 0, 0, 0);
    CHECK(out[2] == 0 && out[3] == 1, "wrap fill");
    /* half a pixel: bilinear averages neighbours, per channel */
    const float two[8] = {0, 10, 2, 20, 4, 30, 6, 40}; /* 2x2, channels (a, b) */
    float o2[8];
    const double half[6] = {1, 0, 0, 0, 1, 0.5};
    nnm_affine_image(two, o2, 2, 2, 2, half, FILL_NEAREST, 0, 0, 0);
    CHECK(o2[0] == 1 && o2[1] == 15 && o2[2] == 2 && o2[3] == 20 && o2[4] == 5 && o2[5] == 35,
          "bilinear half-pixel shift: %g %g %g %g %g %g", o2[0], o2[1], o2[2], o2[3], o2[4], o2[5]);
    /* Keras's centre is (h/2 + 0.5, w/2 + 0.5): on a 3x3 image a rotation by
     * 180 degrees maps output (i, j) to input (4 - i, 4 - j) */
    NnmAugment rot = {.on = 1, .rotation = 180, .zoom = {1, 1}, .fill = FILL_CONSTANT, .cval = -1};
    float sq[9], o3[9];
    for (int i = 0; i < 9; i++)
        sq[i] = (float)i;
    {
        /* a random angle: whatever it is, a stream always gives the same one */
        NnmRng r1, r2;
        float o4[9];
        nnm_augment_rng(&r1, 7, 3, 5);
        nnm_augment_rng(&r2, 7, 3, 5);
        nnm_augment_image(&rot, sq, o3, 3, 3, 1, &r1);
        nnm_augment_image(&rot, sq, o4, 3, 3, 1, &r2);
        CHECK(memcmp(o3, o4, sizeof o3) == 0, "same stream, same transform");
    }
    const double r180[6] = {-1, 0, 4, 0, -1, 4};
    nnm_affine_image(sq, o3, 3, 3, 1, r180, FILL_CONSTANT, -1, 0, 0);
    /* only output (2, 2) has its source (2, 2) inside the image */
    CHECK(o3[0] == -1 && o3[4] == -1 && o3[5] == -1 && o3[7] == -1 && o3[8] == 8, "rotation about Keras's centre");
    /* different samples get different transforms; flips happen about half the time */
    NnmAugment fl = {.on = 1, .zoom = {1, 1}, .hflip = 1};
    int flipped = 0;
    for (int k = 0; k < 1000; k++) {
        NnmRng r;
        nnm_augment_rng(&r, 1, 0, k);
        nnm_augment_image(&fl, img, out, 3, 4, 1, &r);
        flipped += out[0] == 3;
    }
    CHECK(flipped > 430 && flipped < 570, "horizontal_flip flips %d of 1000", flipped);
    /* shifts stay within their range: width_shift_range=0.25 of 4 columns is at most one column */
    NnmAugment sh = {.on = 1, .zoom = {1, 1}, .width_shift = 0.25, .fill = FILL_CONSTANT, .cval = -1};
    int bad = 0;
    for (int k = 0; k < 200; k++) {
        NnmRng r;
        nnm_augment_rng(&r, 1, 1, k);
        nnm_augment_image(&sh, img, out, 3, 4, 1, &r);
        bad += out[5] < 4 || out[5] > 6; /* row 1, column 1 comes from columns 0..2 */
    }
    CHECK(bad == 0, "width shift beyond its range in %d of 200", bad);
}

/* Learning-rate schedules against values worked out by hand from Keras's
 * formulas (keras/optimizers/schedules). */
static void test_schedules(void)
{
    static const struct {
        NnmSchedule s;
        double step, want;
    } cases[] = {
        {{.kind = SCHED_EXPONENTIAL, .initial = 0.1, .steps = 10, .rate = 0.5}, 5, 0.07071067811865475},
        {{.kind = SCHED_EXPONENTIAL, .initial = 0.1, .steps = 10, .rate = 0.5, .staircase = 1}, 5, 0.1},
        {{.kind = SCHED_EXPONENTIAL, .initial = 0.1, .steps = 10, .rate = 0.5, .staircase = 1}, 20, 0.025},
        {{.kind = SCHED_INVERSE_TIME, .initial = 0.1, .steps = 10, .rate = 1.0}, 20, 0.1 / 3},
        {{.kind = SCHED_INVERSE_TIME, .initial = 0.1, .steps = 10, .rate = 1.0, .staircase = 1}, 19, 0.05},
        {{.kind = SCHED_PIECEWISE, .npieces = 2, .boundaries = {10, 20}, .values = {1, 0.5, 0.1}}, 10, 1.0},
        {{.kind = SCHED_PIECEWISE, .npieces = 2, .boundaries = {10, 20}, .values = {1, 0.5, 0.1}}, 11, 0.5},
        {{.kind = SCHED_PIECEWISE, .npieces = 2, .boundaries = {10, 20}, .values = {1, 0.5, 0.1}}, 21, 0.1},
        {{.kind = SCHED_POLYNOMIAL, .initial = 0.1, .steps = 10, .alpha = 0.01, .power = 1}, 5, 0.055},
        {{.kind = SCHED_POLYNOMIAL, .initial = 0.1, .steps = 10, .alpha = 0.01, .power = 1}, 20, 0.01},
        {{.kind = SCHED_POLYNOMIAL, .initial = 0.1, .steps = 10, .alpha = 0.01, .power = 1, .cycle = 1}, 15, 0.0325},
        {{.kind = SCHED_POLYNOMIAL, .initial = 0.1, .steps = 10, .alpha = 0.0, .power = 2}, 5, 0.025},
        {{.kind = SCHED_COSINE, .initial = 0.1, .steps = 10}, 5, 0.05},
        {{.kind = SCHED_COSINE, .initial = 0.1, .steps = 10, .alpha = 0.1}, 30, 0.01},
        {{.kind = SCHED_COSINE, .initial = 0.0, .steps = 10, .warmup_target = 0.1, .warmup_steps = 10}, 5, 0.05},
        {{.kind = SCHED_COSINE, .initial = 0.0, .steps = 10, .warmup_target = 0.1, .warmup_steps = 10}, 15, 0.05},
        {{.kind = SCHED_STEP, .initial = 0.1, .steps = 10, .rate = 0.5}, 9, 0.1},
        {{.kind = SCHED_STEP, .initial = 0.1, .steps = 10, .rate = 0.5}, 10, 0.05},
        {{.kind = SCHED_STEP, .initial = 0.1, .steps = 10, .rate = 0.5}, 25, 0.025},
        /* one cycle: 0 -> 0.4 over 10 steps, then to 0 at 40 */
        {{.kind = SCHED_LINEAR, .npieces = 3, .boundaries = {0, 10, 40}, .values = {0, 0.4, 0}}, 0, 0},
        {{.kind = SCHED_LINEAR, .npieces = 3, .boundaries = {0, 10, 40}, .values = {0, 0.4, 0}}, 5, 0.2},
        {{.kind = SCHED_LINEAR, .npieces = 3, .boundaries = {0, 10, 40}, .values = {0, 0.4, 0}}, 10, 0.4},
        {{.kind = SCHED_LINEAR, .npieces = 3, .boundaries = {0, 10, 40}, .values = {0, 0.4, 0}}, 25, 0.2},
        {{.kind = SCHED_LINEAR, .npieces = 3, .boundaries = {0, 10, 40}, .values = {0, 0.4, 0}}, 99, 0},
        {{.kind = SCHED_LINEAR, .npieces = 2, .boundaries = {5, 15}, .values = {1, 3}}, 2, 1},
    };
    for (size_t i = 0; i < NNM_COUNTOF(cases); i++) {
        double got = nnm_schedule_lr(&cases[i].s, cases[i].step);
        CHECK(fabs(got - cases[i].want) < 1e-12, "%s at step %g: %.17g, want %.17g",
              nnm_schedule_names[cases[i].s.kind], cases[i].step, got, cases[i].want);
    }
}

/* ModelCheckpoint's file names: Python's str.format on the logs. */
static void test_format_path(void)
{
    const char *keys[] = {"loss", "acc", "val_loss", "val_acc"};
    const double vals[] = {0.5, 0.25, 0.12345, 0.987};
    static const struct {
        const char *fmt, *want; /* want NULL: an error */
    } cases[] = {
        {"w_{epoch:02d}-{val_loss:.2f}.npz", "w_03-0.12.npz"},
        {"{epoch}", "3"},
        {"{epoch:3d}|{epoch:<}", NULL},
        {"{epoch:3d}", "  3"},
        {"{{x}}{loss}", "{x}0.5"},
        {"{val_acc:.1%}", "98.7%"},
        {"{val_accuracy:.3f}", "0.987"},
        {"{loss:+.1e}", "+5.0e-01"},
        {"{acc:08.3f}", "0000.250"},
        {"{nope}", NULL},
        {"{loss:d}", NULL},
        {"a}", NULL},
        {"{epoch", NULL},
        {"{}", NULL},
    };
    for (size_t i = 0; i < NNM_COUNTOF(cases); i++) {
        char out[256], err[200] = "";
        int rc = nnm_format_path(out, sizeof out, cases[i].fmt, 3, keys, vals, 4, err, sizeof err);
        if (cases[i].want)
            CHECK(rc == 0 && strcmp(out, cases[i].want) == 0, "format '%s': rc %d '%s' (%s), want '%s'",
                  cases[i].fmt, rc, rc ? "" : out, err, cases[i].want);
        else
            CHECK(rc == -1 && err[0], "format '%s' must fail with a reason", cases[i].fmt);
    }
    char small[8], err[200];
    CHECK(nnm_format_path(small, sizeof small, "longer than eight", 1, keys, vals, 4, err, sizeof err) == -1,
          "a name longer than the buffer must fail");
}

/* class_weight=: a row's weight scales its loss and its gradient. */
static void test_row_weights(void)
{
    const float y[4] = {0.2f, 0.8f, 0.6f, 0.4f}, t[4] = {0, 1, 1, 0}, rw[2] = {2.0f, 0.0f};
    float g1[4], g2[4];
    int fused;
    double plain = nnm_loss(LOSS_MSE, 0, ACT_LINEAR, 2, 2, y, y, t, NULL, g1, &fused);
    double weighted = nnm_loss(LOSS_MSE, 0, ACT_LINEAR, 2, 2, y, y, t, rw, g2, &fused);
    double row0 = (0.04 + 0.04) / 2;
    CHECK(fabs(weighted - 2 * row0) < 1e-6 && plain > weighted - 1e-6, "weighted MSE %g, want %g", weighted, 2 * row0);
    CHECK(g2[0] == 2 * g1[0] && g2[1] == 2 * g1[1] && g2[2] == 0 && g2[3] == 0, "weighted gradient");
}

/* Every kind's schema describes every member of its attribute struct that
 * is not zero: the emitter writes a layer's attributes from it, so a member
 * it missed would be lost in emitted programs.  The check copies a probe's
 * attributes, after its defaults, the probe's own values and infer(), into
 * a zeroed struct entry by entry, and compares the two whole. */
static void test_attr_schema(void)
{
    static const NnmShape shapes[] = {{3, {6, 6, 2, 0}}, {1, {6, 0, 0, 0}}, {2, {7, 2, 0, 0}}};
    for (int k = 0; k < LK_COUNT; k++) {
        const LayerKind *lk = layer_kinds[k];
        CHECK(!lk->attr_size == !lk->attr_type, "%s: attr_size and attr_type go together", lk->name);
        for (const ArgSpec *as = lk->args; as->name; as++)
            CHECK(!layer_arg_size(as) || as->hdr || as->off + layer_arg_size(as) <= lk->attr_size,
                  "%s: '%s' lies outside its attribute struct", lk->name, as->name);
        for (const ArgSpec *as = lk->args; as->name; as++) /* an offset without ATTR() or HDR() stores nothing */
            CHECK(as->field || !as->off, "%s: '%s' has an offset but no member", lk->name, as->name);
        if (!lk->attr_size)
            continue;
        int inferred = 0;
        for (size_t sh = 0; sh < NNM_COUNTOF(shapes) && !inferred; sh++) {
            NnmLayer l = mk_layer(k, &shapes[sh]);
            set_units(&l, 4);
            probe_fields(k, &l);
            if (k == LK_RESHAPE)
                set_shape(&l, "target_shape", (NnmShape){1, {-1, 0, 0, 0}});
            if (k == LK_PERMUTE)
                set_shape(&l, "dims", sh == 0 ? (NnmShape){3, {2, 3, 1, 0}}
                                              : sh == 1 ? (NnmShape){1, {1, 0, 0, 0}} : (NnmShape){2, {2, 1, 0, 0}});
            if (k == LK_DOT)
                set_pair(&l, "axes", -1, -1);
            char err[160];
            if (lk->infer_inputs) {
                NnmShape two[2] = {shapes[sh], shapes[sh]};
                l.nin = 2;
                inferred = !lk->infer_inputs(&l, two, err, sizeof err);
            } else
                inferred = !lk->infer(&l, err, sizeof err);
            if (!inferred)
                continue;
            unsigned char copy[512];
            CHECK(lk->attr_size <= sizeof copy, "%s: attributes larger than the check's buffer", lk->name);
            if (lk->attr_size > sizeof copy)
                break;
            memset(copy, 0, sizeof copy);
            for (const ArgSpec *as = lk->args; as->name; as++)
                if (layer_arg_size(as) && !as->hdr)
                    memcpy(copy + as->off, (const char *)l.attr + as->off, layer_arg_size(as));
            CHECK(memcmp(copy, l.attr, lk->attr_size) == 0,
                  "%s: its schema misses a member of %s that is set", lk->name, lk->attr_type);
        }
        CHECK(inferred, "%s: no probe shape fits for the schema check", lk->name);
    }
}

int main(void)
{
    char dir[] = "/tmp/nnm_unit_XXXXXX";
    if (!mkdtemp(dir))
        return 2;
    test_layer_grads();
    test_spatial_grads();
    test_graph_grads();
    test_dy_plan();
    test_spatial_forward();
    test_batchnorm();
    test_fused_loss();
    test_label_smoothing();
    test_no_alloc_per_batch();
    test_optimizers();
    test_gemm();
    test_matmul();
    test_par_each();
    test_idx(dir);
    test_cifar(dir);
    test_npz(dir);
    test_pyfloat();
    test_schedules();
    test_augment();
    test_metrics();
    test_regularizer_grads();
    test_format_path();
    test_row_weights();
    test_attr_schema();
    rmdir(dir);
    printf("unit: %d checks passed, %d failed\n", n_ok, n_fail);
    return n_fail != 0;
}
