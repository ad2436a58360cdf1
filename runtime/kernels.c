/* runtime/kernels.c — see kernels.h.  Formulas follow Keras 2.2.4 with the
 * TensorFlow backend (../shared/keras-reference.md, sections 1.3-1.5). */
#include "isa.h"
#include "kernels.h"
#include "parallel.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- activations ------------------------------------------------------ */

static float sigmoidf(float z)
{
    if (z >= 0)
        return 1.0f / (1.0f + expf(-z));
    float e = expf(z);
    return e / (1.0f + e);
}

#define SELU_SCALE 1.0507009873554805f
#define SELU_ALPHA 1.6732632423543772f

NNM_ISA_INLINE void act_forward(int act, float alpha, int64_t rows, int64_t cols, const float *z, float *y)
{
    int64_t n = rows * cols;
    switch ((NnmAct)act) {
    case ACT_LINEAR:
        if (y != z)
            memcpy(y, z, (size_t)n * sizeof *y);
        return;
    case ACT_RELU:
        for (int64_t i = 0; i < n; i++)
            y[i] = z[i] > 0 ? z[i] : 0.0f;
        return;
    case ACT_SIGMOID:
        for (int64_t i = 0; i < n; i++)
            y[i] = sigmoidf(z[i]);
        return;
    case ACT_TANH:
        for (int64_t i = 0; i < n; i++)
            y[i] = tanhf(z[i]);
        return;
    case ACT_SOFTMAX:
        for (int64_t r = 0; r < rows; r++) {
            const float *zr = z + r * cols;
            float *yr = y + r * cols, mx = zr[0], s = 0;
            for (int64_t c = 1; c < cols; c++)
                mx = zr[c] > mx ? zr[c] : mx;
            for (int64_t c = 0; c < cols; c++)
                s += (yr[c] = expf(zr[c] - mx));
            float inv = 1.0f / s;
            for (int64_t c = 0; c < cols; c++)
                yr[c] *= inv;
        }
        return;
    case ACT_ELU:
        for (int64_t i = 0; i < n; i++)
            y[i] = z[i] > 0 ? z[i] : alpha * expm1f(z[i]);
        return;
    case ACT_SELU:
        for (int64_t i = 0; i < n; i++)
            y[i] = SELU_SCALE * (z[i] > 0 ? z[i] : SELU_ALPHA * expm1f(z[i]));
        return;
    case ACT_SOFTPLUS:
        for (int64_t i = 0; i < n; i++)
            y[i] = log1pf(expf(-fabsf(z[i]))) + (z[i] > 0 ? z[i] : 0.0f);
        return;
    case ACT_SOFTSIGN:
        for (int64_t i = 0; i < n; i++)
            y[i] = z[i] / (1.0f + fabsf(z[i]));
        return;
    case ACT_SWISH:
        for (int64_t i = 0; i < n; i++)
            y[i] = z[i] * sigmoidf(z[i]);
        return;
    case ACT_GELU:
        for (int64_t i = 0; i < n; i++)
            y[i] = 0.5f * z[i] * (1.0f + erff(z[i] * 0.70710678118654752f));
        return;
    case ACT_HARD_SIGMOID:
        for (int64_t i = 0; i < n; i++) {
            float v = 0.2f * z[i] + 0.5f;
            y[i] = v < 0 ? 0.0f : v > 1 ? 1.0f : v;
        }
        return;
    case ACT_EXPONENTIAL:
        for (int64_t i = 0; i < n; i++)
            y[i] = expf(z[i]);
        return;
    case ACT_LEAKY_RELU:
        for (int64_t i = 0; i < n; i++)
            y[i] = z[i] > 0 ? z[i] : alpha * z[i];
        return;
    case ACT_COUNT:
        break;
    }
    NNM_UNREACHABLE();
}

NNM_ISA_INLINE void act_backward(int act, float alpha, int64_t rows, int64_t cols, const float *z,
                                 const float *y, float *g)
{
    int64_t n = rows * cols;
    switch ((NnmAct)act) {
    case ACT_LINEAR:
        return;
    case ACT_RELU:
        for (int64_t i = 0; i < n; i++)
            g[i] = z[i] > 0 ? g[i] : 0.0f;
        return;
    case ACT_SIGMOID:
        for (int64_t i = 0; i < n; i++)
            g[i] *= y[i] * (1.0f - y[i]);
        return;
    case ACT_TANH:
        for (int64_t i = 0; i < n; i++)
            g[i] *= 1.0f - y[i] * y[i];
        return;
    case ACT_SOFTMAX:
        for (int64_t r = 0; r < rows; r++) {
            const float *yr = y + r * cols;
            float *gr = g + r * cols, dot = 0;
            for (int64_t c = 0; c < cols; c++)
                dot += gr[c] * yr[c];
            for (int64_t c = 0; c < cols; c++)
                gr[c] = yr[c] * (gr[c] - dot);
        }
        return;
    case ACT_ELU:
        for (int64_t i = 0; i < n; i++)
            g[i] *= z[i] > 0 ? 1.0f : y[i] + alpha;
        return;
    case ACT_SELU:
        for (int64_t i = 0; i < n; i++)
            g[i] *= z[i] > 0 ? SELU_SCALE : y[i] + SELU_SCALE * SELU_ALPHA;
        return;
    case ACT_SOFTPLUS:
        for (int64_t i = 0; i < n; i++)
            g[i] *= sigmoidf(z[i]);
        return;
    case ACT_SOFTSIGN:
        for (int64_t i = 0; i < n; i++) {
            float d = 1.0f + fabsf(z[i]);
            g[i] /= d * d;
        }
        return;
    case ACT_SWISH:
        for (int64_t i = 0; i < n; i++) {
            float s = sigmoidf(z[i]);
            g[i] *= s + z[i] * s * (1.0f - s);
        }
        return;
    case ACT_GELU:
        for (int64_t i = 0; i < n; i++) {
            float x = z[i];
            g[i] *= 0.5f * (1.0f + erff(x * 0.70710678118654752f)) +
                    x * expf(-0.5f * x * x) * 0.39894228040143268f;
        }
        return;
    case ACT_HARD_SIGMOID:
        for (int64_t i = 0; i < n; i++)
            g[i] *= (z[i] > -2.5f && z[i] < 2.5f) ? 0.2f : 0.0f;
        return;
    case ACT_EXPONENTIAL:
        for (int64_t i = 0; i < n; i++)
            g[i] *= y[i];
        return;
    case ACT_LEAKY_RELU:
        for (int64_t i = 0; i < n; i++)
            g[i] *= z[i] > 0 ? 1.0f : alpha;
        return;
    case ACT_COUNT:
        break;
    }
    NNM_UNREACHABLE();
}

/* The elementwise passes split the batch by rows between the threads. */
typedef struct {
    int act, back;
    float alpha;
    int64_t cols;
    const float *z, *y;
    float *out;
} ActJob;

NNM_ISA_KERNEL(act_rows, (void *p, int64_t r0, int64_t r1), (p, r0, r1))
{
    const ActJob *j = p;
    int64_t o = r0 * j->cols;
    if (j->back)
        act_backward(j->act, j->alpha, r1 - r0, j->cols, j->z + o, j->y + o, j->out + o);
    else
        act_forward(j->act, j->alpha, r1 - r0, j->cols, j->z + o, j->out + o);
}

#define PAR_MIN_VALUES 32768 /* below this, one thread is faster */

void nnm_act_forward(int act, float alpha, int64_t rows, int64_t cols, const float *z, float *y)
{
    ActJob j = {act, 0, alpha, cols, z, NULL, y};
    nnm_par_for(rows, 1, cols * rows >= PAR_MIN_VALUES ? 2 : rows + 1, act_rows, &j);
}

void nnm_act_backward(int act, float alpha, int64_t rows, int64_t cols, const float *z,
                      const float *y, float *g)
{
    ActJob j = {act, 1, alpha, cols, z, y, g};
    nnm_par_for(rows, 1, cols * rows >= PAR_MIN_VALUES ? 2 : rows + 1, act_rows, &j);
}

NNM_ISA_KERNEL(add_bias, (int64_t rows, int64_t cols, const float *restrict bias, float *restrict y), (rows, cols, bias, y))
{
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < cols; c++)
            y[r * cols + c] += bias[c];
}

void nnm_add_bias(int64_t rows, int64_t cols, const float *bias, float *y) { add_bias(rows, cols, bias, y); }

/* row by row: each db[c] adds the rows in order, whatever the vector width */
NNM_ISA_KERNEL(col_sums, (int64_t rows, int64_t cols, const float *restrict g, float *restrict db), (rows, cols, g, db))
{
    memset(db, 0, (size_t)cols * sizeof *db);
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < cols; c++)
            db[c] += g[r * cols + c];
}

void nnm_col_sums(int64_t rows, int64_t cols, const float *g, float *db) { col_sums(rows, cols, g, db); }

/* Blocks of 8 x 8 are turned in registers (unpack, then pair, then swap
 * halves: the three steps of the classic 8 x 8 float transpose) where the
 * compiler has __builtin_shufflevector (gcc 12, clang); the edges, and
 * other compilers, move one value at a time.  A copy: no bit changes.
 * Only the type sits in the #if: a top-level #if block is copied whole
 * into predict-only code, where an unused function would not compile
 * cleanly. */
#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 12)
#define TRANSPOSE_BLOCK 8
typedef float NnmV8 __attribute__((vector_size(32)));
#else
#define TRANSPOSE_BLOCK 0
#endif

NNM_ISA_INLINE void transpose8(const float *src, int64_t ls, float *dst, int64_t ld)
{
#if TRANSPOSE_BLOCK
#define SHUF(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
    NnmV8 r[8], t[8], u[8];
    for (int i = 0; i < 8; i++)
        memcpy(&r[i], src + i * ls, sizeof r[i]);
    for (int i = 0; i < 8; i += 2) {
        t[i] = SHUF(r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
        t[i + 1] = SHUF(r[i], r[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
    }
    for (int i = 0; i < 8; i += 4)
        for (int h = 0; h < 2; h++) {
            u[i + 2 * h] = SHUF(t[i + h], t[i + 2 + h], 0, 1, 8, 9, 4, 5, 12, 13);
            u[i + 2 * h + 1] = SHUF(t[i + h], t[i + 2 + h], 2, 3, 10, 11, 6, 7, 14, 15);
        }
    for (int i = 0; i < 4; i++) {
        const NnmV8 lo = SHUF(u[i], u[i + 4], 0, 1, 2, 3, 8, 9, 10, 11), hi = SHUF(u[i], u[i + 4], 4, 5, 6, 7, 12, 13, 14, 15);
        memcpy(dst + i * ld, &lo, sizeof lo);
        memcpy(dst + (i + 4) * ld, &hi, sizeof hi);
    }
#undef SHUF
#else
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++)
            dst[j * ld + i] = src[i * ls + j];
#endif
}

NNM_ISA_KERNEL(transpose, (int64_t rows, int64_t cols, const float *src, int64_t lds, float *dst, int64_t ldd),
               (rows, cols, src, lds, dst, ldd))
{
    const int64_t r8 = TRANSPOSE_BLOCK ? rows / 8 * 8 : 0, c8 = TRANSPOSE_BLOCK ? cols / 8 * 8 : 0;
    for (int64_t i = 0; i < r8; i += 8)
        for (int64_t j = 0; j < c8; j += 8)
            transpose8(src + i * lds + j, lds, dst + j * ldd + i, ldd);
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = i < r8 ? c8 : 0; j < cols; j++)
            dst[j * ldd + i] = src[i * lds + j];
}

void nnm_transpose(int64_t rows, int64_t cols, const float *src, float *dst) { transpose(rows, cols, src, cols, dst, rows); }

void nnm_transpose_strided(int64_t rows, int64_t cols, const float *src, int64_t lds, float *dst, int64_t ldd)
{
    transpose(rows, cols, src, lds, dst, ldd);
}

/* ---- losses ------------------------------------------------------------ */

#define EPS 1e-7f

int nnm_loss_fuses(int loss, int last_act)
{
    return ((loss == LOSS_CCE || loss == LOSS_SPARSE_CCE) && last_act == ACT_SOFTMAX) ||
           (loss == LOSS_BCE && last_act == ACT_SIGMOID);
}

double nnm_loss(int loss, float smooth, int last_act, int64_t rows, int64_t cols, const float *z, const float *y,
                const float *t, const float *rw, float *g, int *fused)
{
    double total = 0;
    float *smoothed = NULL;
    if (smooth > 0 && (loss == LOSS_CCE || loss == LOSS_BCE)) {
        /* Keras's label_smoothing: t (1 - s) + s / classes, two classes for
         * binary cross-entropy */
        const float keep = 1 - smooth, add = smooth / (loss == LOSS_BCE ? 2.0f : (float)cols);
        smoothed = nnm_xmalloc((size_t)(rows * cols) * sizeof *smoothed);
        for (int64_t i = 0; i < rows * cols; i++)
            smoothed[i] = t[i] * keep + add;
        t = smoothed;
    }
    const float inv_b = 1.0f / (float)rows, inv_bc = 1.0f / (float)(rows * cols);
    *fused = nnm_loss_fuses(loss, last_act);
    for (int64_t r = 0; r < rows; r++) {
        const float *zr = z + r * cols, *yr = y + r * cols, *tr = t + r * cols;
        float *gr = g + r * cols;
        double l = 0;
        switch ((NnmLoss)loss) {
        case LOSS_CCE:
        case LOSS_SPARSE_CCE:
            if (*fused) {
                /* log-softmax form: loss = sum_i t_i (lse(z) - z_i) */
                float mx = zr[0], tsum = 0;
                for (int64_t c = 1; c < cols; c++)
                    mx = zr[c] > mx ? zr[c] : mx;
                double s = 0;
                for (int64_t c = 0; c < cols; c++)
                    s += exp((double)zr[c] - mx);
                double lse = mx + log(s);
                for (int64_t c = 0; c < cols; c++) {
                    l += tr[c] * (lse - zr[c]);
                    tsum += tr[c];
                }
                for (int64_t c = 0; c < cols; c++)
                    gr[c] = (yr[c] * tsum - tr[c]) * inv_b;
            } else {
                /* Keras: p /= sum(p); clip to [eps, 1-eps]; -sum t log p */
                float s = 0, dot = 0;
                for (int64_t c = 0; c < cols; c++)
                    s += yr[c];
                for (int64_t c = 0; c < cols; c++) {
                    float q = yr[c] / s, qc = q < EPS ? EPS : q > 1 - EPS ? 1 - EPS : q;
                    l -= tr[c] * log((double)qc);
                    gr[c] = (q > EPS && q < 1 - EPS) ? -tr[c] / q : 0.0f;
                    dot += gr[c] * q;
                }
                for (int64_t c = 0; c < cols; c++)
                    gr[c] = (gr[c] - dot) / s * inv_b;
            }
            break;
        case LOSS_BCE:
            for (int64_t c = 0; c < cols; c++) {
                if (*fused) {
                    float x = zr[c];
                    l += (x > 0 ? x : 0) - x * tr[c] + log1p(exp(-fabs((double)x)));
                    gr[c] = (yr[c] - tr[c]) * inv_bc;
                } else {
                    float p = yr[c], pc = p < EPS ? EPS : p > 1 - EPS ? 1 - EPS : p;
                    l -= tr[c] * log((double)pc) + (1 - tr[c]) * log(1.0 - pc);
                    gr[c] = (p > EPS && p < 1 - EPS) ? (-tr[c] / p + (1 - tr[c]) / (1 - p)) * inv_bc
                                                     : 0.0f;
                }
            }
            l /= (double)cols;
            break;
        case LOSS_MSE:
            for (int64_t c = 0; c < cols; c++) {
                float d = yr[c] - tr[c];
                l += (double)d * d;
                gr[c] = 2.0f * d * inv_bc;
            }
            l /= (double)cols;
            break;
        case LOSS_MAE:
            for (int64_t c = 0; c < cols; c++) {
                float d = yr[c] - tr[c];
                l += fabs((double)d);
                gr[c] = (d > 0 ? 1.0f : d < 0 ? -1.0f : 0.0f) * inv_bc;
            }
            l /= (double)cols;
            break;
        case LOSS_COUNT:
            NNM_UNREACHABLE();
        }
        if (rw) {
            l *= rw[r];
            for (int64_t c = 0; c < cols; c++)
                gr[c] *= rw[r];
        }
        total += l;
    }
    free(smoothed);
    return total;
}

int nnm_acc_kind(int loss, int64_t cols)
{
    return (cols == 1 || loss == LOSS_BCE) ? ACC_BINARY : ACC_CATEGORICAL;
}

int64_t nnm_argmax(const float *v, int64_t n)
{
    int64_t best = 0;
    for (int64_t i = 1; i < n; i++)
        if (v[i] > v[best])
            best = i;
    return best;
}

double nnm_accuracy(int kind, int64_t rows, int64_t cols, const float *y, const float *t)
{
    double correct = 0;
    for (int64_t r = 0; r < rows; r++) {
        const float *yr = y + r * cols, *tr = t + r * cols;
        if (kind == ACC_CATEGORICAL) {
            correct += nnm_argmax(yr, cols) == nnm_argmax(tr, cols);
        } else {
            int64_t ok = 0;
            for (int64_t c = 0; c < cols; c++)
                ok += rintf(yr[c]) == tr[c]; /* TF rounds half to even */
            correct += (double)ok / (double)cols;
        }
    }
    return correct;
}

/* ---- optimizers -------------------------------------------------------- */

void nnm_optim_init(NnmOptState *st, const NnmOptim *o, int64_t n)
{
    memset(st, 0, sizeof *st);
    st->n = n;
    st->m_schedule = 1.0;
    st->lr = (float)o->lr;
    int nstate = 0;
    switch ((NnmOptKind)o->kind) {
    case OPT_SGD: nstate = o->momentum != 0 ? 1 : 0; break;
    case OPT_RMSPROP: case OPT_ADAGRAD: nstate = 1; break;
    case OPT_ADADELTA: case OPT_ADAMAX: case OPT_NADAM: nstate = 2; break;
    case OPT_ADAM: nstate = o->amsgrad ? 3 : 2; break;
    case OPT_COUNT: NNM_UNREACHABLE();
    }
    if (nstate >= 1)
        st->s1 = nnm_alloc_floats(n);
    if (nstate >= 2)
        st->s2 = nnm_alloc_floats(n);
    if (nstate >= 3)
        st->s3 = nnm_alloc_floats(n);
}

void nnm_optim_free(NnmOptState *st)
{
    nnm_free_aligned(st->s1);
    nnm_free_aligned(st->s2);
    nnm_free_aligned(st->s3);
    memset(st, 0, sizeof *st);
}

/* One step's scalars, computed once; the per-parameter loops below run on
 * ranges of the parameters, possibly in parallel. */
typedef struct {
    const NnmOptim *o;
    NnmOptState *st;
    float *w;
    const float *g;
    float lr, eps, rho, one_rho, mu, b1, b2, ob1, ob2, lr_t;
    float fg, fm, fv, one_mc, mc1; /* Nadam */
} Step;

NNM_ISA_KERNEL(optim_range, (void *p, int64_t lo, int64_t hi), (p, lo, hi))
{
    const Step *s = p;
    float *restrict w = s->w;
    const float *restrict g = s->g;
    float *restrict a = s->st->s1, *restrict b = s->st->s2, *restrict c = s->st->s3;
    const float lr = s->lr, eps = s->eps;
    switch ((NnmOptKind)s->o->kind) {
    case OPT_SGD: {
        const float mu = s->mu;
        if (!a) {
            for (int64_t i = lo; i < hi; i++)
                w[i] -= lr * g[i];
        } else if (s->o->nesterov) {
            for (int64_t i = lo; i < hi; i++) {
                float v = mu * a[i] - lr * g[i];
                a[i] = v;
                w[i] += mu * v - lr * g[i];
            }
        } else {
            for (int64_t i = lo; i < hi; i++) {
                float v = mu * a[i] - lr * g[i];
                a[i] = v;
                w[i] += v;
            }
        }
        return;
    }
    case OPT_RMSPROP: {
        const float rho = s->rho, one_rho = s->one_rho;
        for (int64_t i = lo; i < hi; i++) {
            float acc = rho * a[i] + one_rho * g[i] * g[i];
            a[i] = acc;
            w[i] -= lr * g[i] / (sqrtf(acc) + eps);
        }
        return;
    }
    case OPT_ADAGRAD:
        for (int64_t i = lo; i < hi; i++) {
            float acc = a[i] + g[i] * g[i];
            a[i] = acc;
            w[i] -= lr * g[i] / (sqrtf(acc) + eps);
        }
        return;
    case OPT_ADADELTA: {
        const float rho = s->rho, one_rho = s->one_rho;
        for (int64_t i = lo; i < hi; i++) {
            float acc = rho * a[i] + one_rho * g[i] * g[i];
            float upd = g[i] * sqrtf(b[i] + eps) / sqrtf(acc + eps);
            a[i] = acc;
            w[i] -= lr * upd;
            b[i] = rho * b[i] + one_rho * upd * upd;
        }
        return;
    }
    case OPT_ADAM: {
        const float b1 = s->b1, b2 = s->b2, ob1 = s->ob1, ob2 = s->ob2, lr_t = s->lr_t;
        for (int64_t i = lo; i < hi; i++) {
            float m = b1 * a[i] + ob1 * g[i];
            float v = b2 * b[i] + ob2 * g[i] * g[i];
            a[i] = m;
            b[i] = v;
            if (c) {
                v = c[i] > v ? c[i] : v;
                c[i] = v;
            }
            w[i] -= lr_t * m / (sqrtf(v) + eps);
        }
        return;
    }
    case OPT_ADAMAX: {
        const float b1 = s->b1, b2 = s->b2, ob1 = s->ob1, lr_t = s->lr_t;
        for (int64_t i = lo; i < hi; i++) {
            float m = b1 * a[i] + ob1 * g[i];
            float u = b2 * b[i], ag = fabsf(g[i]);
            u = u > ag ? u : ag;
            a[i] = m;
            b[i] = u;
            w[i] -= lr_t * m / (u + eps);
        }
        return;
    }
    case OPT_NADAM: {
        const float b1 = s->b1, b2 = s->b2, ob1 = s->ob1, ob2 = s->ob2;
        const float fg = s->fg, fm = s->fm, fv = s->fv, one_mc = s->one_mc, mc1 = s->mc1;
        for (int64_t i = lo; i < hi; i++) {
            float gp = g[i] * fg;
            float m = b1 * a[i] + ob1 * g[i];
            float v = b2 * b[i] + ob2 * g[i] * g[i];
            a[i] = m;
            b[i] = v;
            float mbar = one_mc * gp + mc1 * (m * fm);
            w[i] -= lr * mbar / (sqrtf(v * fv) + eps);
        }
        return;
    }
    case OPT_COUNT:
        break;
    }
    NNM_UNREACHABLE();
}

void nnm_optim_step(const NnmOptim *o, NnmOptState *st, float *w, const float *g)
{
    double lr = o->schedule.kind != SCHED_NONE ? nnm_schedule_lr(&o->schedule, (double)st->iterations) : st->lr;
    if (o->decay > 0 && o->kind != OPT_NADAM)
        lr *= 1.0 / (1.0 + o->decay * (double)st->iterations);
    const double t = (double)(st->iterations + 1);
    Step s = {.o = o, .st = st, .w = w, .g = g, .lr = (float)lr, .eps = (float)o->epsilon,
              .rho = (float)o->rho, .one_rho = (float)(1.0 - o->rho), .mu = (float)o->momentum,
              .b1 = (float)o->beta_1, .b2 = (float)o->beta_2, .ob1 = (float)(1.0 - o->beta_1),
              .ob2 = (float)(1.0 - o->beta_2)};
    if (o->kind == OPT_ADAM)
        s.lr_t = (float)(lr * sqrt(1.0 - pow(o->beta_2, t)) / (1.0 - pow(o->beta_1, t)));
    if (o->kind == OPT_ADAMAX)
        s.lr_t = (float)(lr / (1.0 - pow(o->beta_1, t)));
    if (o->kind == OPT_NADAM) {
        /* Keras 2.2.4: the momentum schedule of Dozat (2016); no `decay` */
        double sd = o->schedule_decay, b1 = o->beta_1;
        double mc_t = b1 * (1.0 - 0.5 * pow(0.96, t * sd));
        double mc_t1 = b1 * (1.0 - 0.5 * pow(0.96, (t + 1) * sd));
        double ms_new = st->m_schedule * mc_t, ms_next = st->m_schedule * mc_t * mc_t1;
        st->m_schedule = ms_new;
        s.fg = (float)(1.0 / (1.0 - ms_new));
        s.fm = (float)(1.0 / (1.0 - ms_next));
        s.fv = (float)(1.0 / (1.0 - pow(o->beta_2, t)));
        s.one_mc = (float)(1.0 - mc_t);
        s.mc1 = (float)mc_t1;
    }
    nnm_par_for(st->n, 16, 1 << 15, optim_range, &s);
    st->iterations++;
}

double nnm_schedule_lr(const NnmSchedule *s, double step)
{
    double p = s->steps > 0 ? step / s->steps : 0;
    if (s->staircase)
        p = floor(p);
    switch ((NnmSchedKind)s->kind) {
    case SCHED_NONE:
        return s->initial;
    case SCHED_EXPONENTIAL:
        return s->initial * pow(s->rate, p);
    case SCHED_INVERSE_TIME:
        return s->initial / (1.0 + s->rate * p);
    case SCHED_STEP:
        return s->initial * pow(s->rate, floor(step / s->steps));
    case SCHED_PIECEWISE: {
        int i = 0;
        while (i < s->npieces && step > s->boundaries[i])
            i++;
        return s->values[i];
    }
    case SCHED_LINEAR: { /* the values joined by straight lines, constant outside */
        const double *b = s->boundaries, *v = s->values;
        int last = s->npieces - 1;
        if (step <= b[0])
            return v[0];
        if (step >= b[last])
            return v[last];
        int i = 1;
        while (step > b[i])
            i++;
        return v[i - 1] + (v[i] - v[i - 1]) * ((step - b[i - 1]) / (b[i] - b[i - 1]));
    }
    case SCHED_POLYNOMIAL: {
        /* Keras: decay_steps grows to the next multiple past step with cycle */
        double steps = s->steps, t = step;
        if (s->cycle)
            steps *= t > 0 ? ceil(t / steps) : 1.0;
        else
            t = t < steps ? t : steps;
        return (s->initial - s->alpha) * pow(1.0 - t / steps, s->power) + s->alpha;
    }
    case SCHED_COSINE: {
        double t = step;
        if (s->warmup_steps > 0 && t < s->warmup_steps)
            return s->initial + (s->warmup_target - s->initial) * (t / s->warmup_steps);
        double from = s->warmup_steps > 0 ? s->warmup_target : s->initial;
        t -= s->warmup_steps;
        t = t < s->steps ? t : s->steps;
        double c = 0.5 * (1.0 + cos(3.14159265358979323846 * t / s->steps));
        return from * ((1.0 - s->alpha) * c + s->alpha);
    }
    case SCHED_COUNT:
        break;
    }
    NNM_UNREACHABLE();
}
