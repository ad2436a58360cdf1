/* runtime/net.c — see net.h. */
#include "net.h"
#include "npz.h"
#include "parallel.h"
#include "util.h"

#include <math.h>
#include <stdio.h>

#include <stdlib.h>
#include <string.h>

int net_weights_owner(const NnmModel *m, int i)
{
    return m->layers[i].weights_of ? m->layers[i].weights_of - 1 : i;
}

/* the shape of input k of node i */
static const NnmShape *input_shape(const NnmModel *m, int i, int k)
{
    int p = m->layers[i].inputs[k];
    return p >= 0 ? &m->layers[p].out : &m->inputs[-1 - p];
}

/* Which gradients of the backward pass are added rather than written: walks
 * the nodes as backward does, last first; the output's gradient comes from
 * the loss. */
static void plan_backward(Net *n)
{
    const NnmModel *m = n->m;
    const int L = m->nlayers;
    unsigned char *dy_set = nnm_xcalloc((size_t)L + 1, 1), *dw_set = nnm_xcalloc((size_t)L + 1, 1);
    n->add_dx = nnm_xcalloc((size_t)L * NNM_MAX_IN + 1, 1);
    n->add_dw = nnm_xcalloc((size_t)L + 1, 1);
    for (int k = 0; k < m->noutputs; k++)
        dy_set[m->outputs[k].node] = 1; /* by the loss, before backward */
    for (int i = L - 1; i >= 0; i--) {
        const NnmLayer *l = &m->layers[i];
        NNM_ASSERT(l->nin >= 1 && l->nin <= NNM_MAX_IN && l->weights_of <= i);
        int owner = net_weights_owner(m, i);
        if (m->layers[owner].nparams) {
            n->add_dw[i] = dw_set[owner];
            dw_set[owner] = 1;
            if (n->add_dw[i])
                n->dwacc_size = NNM_MAX(n->dwacc_size, m->layers[owner].nparams);
        }
        for (int k = 0; k < l->nin; k++) {
            int p = l->inputs[k];
            if (p < 0)
                continue; /* nobody needs the gradient of a model's input */
            NNM_ASSERT(p < i && p >= -m->ninputs);
            n->add_dx[i * NNM_MAX_IN + k] = dy_set[p];
            if (dy_set[p])
                n->acc_size[k] = NNM_MAX(n->acc_size[k], shape_size(&m->layers[p].out));
            dy_set[p] = 1;
        }
    }
    free(dy_set);
    free(dw_set);
}

/* Which buffer holds each node's gradient dL/dy.  In the backward pass
 * (node L-1 first, at time 0, node i at time L-1-i) dy[i] is written first
 * by the loss (an output: time -1) or by its consumer that runs first (the
 * one with the highest index), and read last by node i itself: nodes whose
 * intervals do not meet share a buffer, as large as the largest of them.
 * A chain needs two buffers, however deep; the figures are unchanged, as
 * every gradient is written whole before it is read. */
static void plan_dy(Net *n)
{
    const NnmModel *m = n->m;
    const int L = m->nlayers;
    int *start = nnm_xmalloc(sizeof *start * (size_t)(L + 1));
    for (int i = 0; i < L; i++)
        start[i] = n->output_of[i] >= 0 ? -1 : L; /* L: never written (nothing uses the node) */
    for (int i = L - 1; i >= 0; i--)
        for (int k = 0; k < m->layers[i].nin; k++) {
            int p = m->layers[i].inputs[k];
            if (p >= 0 && start[p] > L - 1 - i)
                start[p] = L - 1 - i;
        }
    n->dy_buf = nnm_xmalloc(sizeof *n->dy_buf * (size_t)(L + 1));
    n->dy_size = nnm_xcalloc((size_t)L + 1, sizeof *n->dy_size);
    int *free_at = nnm_xmalloc(sizeof *free_at * (size_t)(L + 1)); /* a buffer's last reader's time */
    n->ndy_plan = 0;
    /* nodes by start time: the loss's outputs, then in backward order */
    for (int t = -1; t <= L; t++)
        for (int i = L - 1; i >= 0; i--) {
            if (start[i] != t)
                continue;
            int end = L - 1 - i, best = -1;
            int64_t need = shape_size(&m->layers[i].out);
            if (end < t)
                end = t; /* a node nobody uses: its buffer is written and read at once */
            /* a free buffer: the smallest that is large enough, else the largest */
            for (int b = 0; b < n->ndy_plan; b++) {
                if (free_at[b] >= t)
                    continue;
                if (best < 0)
                    best = b;
                else if (n->dy_size[best] >= need ? n->dy_size[b] >= need && n->dy_size[b] < n->dy_size[best]
                                                  : n->dy_size[b] > n->dy_size[best])
                    best = b;
            }
            if (best < 0)
                best = n->ndy_plan++;
            n->dy_size[best] = NNM_MAX(n->dy_size[best], need);
            free_at[best] = end;
            n->dy_buf[i] = best;
        }
    free(free_at);
    free(start);
}

void net_init(Net *n, const NnmModel *m, NnmRng *init_rng, uint64_t seed)
{
    memset(n, 0, sizeof *n);
    n->m = m;
    n->woff = nnm_xcalloc((size_t)m->nlayers + 1, sizeof *n->woff);
    for (int i = 0; i < m->nlayers; i++) {
        n->woff[i] = m->layers[i].weights_of ? n->woff[net_weights_owner(m, i)] : n->nparams;
        n->nparams += m->layers[i].nparams;
    }
    n->woff[m->nlayers] = n->nparams;
    n->w = nnm_alloc_floats(n->nparams);
    n->dw = nnm_alloc_floats(n->nparams);
    for (int i = 0; i < m->nlayers; i++)
        if (!m->layers[i].weights_of)
            layer_kinds[m->layers[i].kind]->init(&m->layers[i], n->w + n->woff[i], init_rng);
    NNM_ASSERT(m->nlayers >= 1 && m->ninputs >= 1 && m->noutputs >= 1);
    n->output_of = nnm_xmalloc(sizeof *n->output_of * (size_t)m->nlayers);
    for (int i = 0; i < m->nlayers; i++)
        n->output_of[i] = -1;
    for (int k = 0; k < m->noutputs; k++) {
        n->out_size[k] = shape_size(&m->layers[m->outputs[k].node].out);
        n->output_of[m->outputs[k].node] = k;
    }
    for (int i = 0; i < m->nlayers; i++)
        for (int j = 0; j < m->layers[i].nin; j++)
            if (m->layers[i].inputs[j] >= 0 && n->output_of[m->layers[i].inputs[j]] >= 0)
                n->consumed[n->output_of[m->layers[i].inputs[j]]] = 1;
    plan_backward(n);
    plan_dy(n);
    n->dwacc = nnm_alloc_floats(n->dwacc_size);
    n->regs = nnm_xcalloc((size_t)(2 * m->nlayers + 1), sizeof *n->regs);
    for (int i = 0; i < m->nlayers; i++) {
        const NnmLayer *l = &m->layers[i];
        if (l->weights_of)
            continue; /* its weights' penalty counts once, at their owner */
        WeightInfo wi[LAYER_MAX_WEIGHTS];
        int k = layer_kinds[l->kind]->weights(l, wi);
        int64_t off = n->woff[i];
        for (int j = 0; j < k; j++) {
            int which = j == 0 ? REG_KERNEL : !strcmp(wi[j].suffix, "bias") ? REG_BIAS : -1;
            int64_t len = shape_size(&wi[j].shape);
            if (which >= 0 && (l->reg[which][0] > 0 || l->reg[which][1] > 0))
                n->regs[n->nregs++] = (struct NetReg){off, len, l->reg[which][0], l->reg[which][1]};
            off += len;
        }
    }
    const char *prof = getenv("NNM_PROFILE");
    if (prof && *prof == '1')
        n->prof = nnm_xcalloc((size_t)(2 * m->nlayers + 2), sizeof *n->prof);
    nnm_rng_seed(&n->dropout_rng, seed, RNG_DROPOUT);
}

static void unplan(Net *n)
{
    if (!n->cap)
        return;
    for (int i = 0; i < n->m->nlayers; i++) {
        nnm_free_aligned(n->y[i]);
        nnm_free_aligned(n->scratch[i]);
    }
    nnm_free_aligned(n->bwork);
    n->bwork = NULL;
    for (int b = 0; n->dy_bufs && b < n->ndy_plan; b++)
        nnm_free_aligned(n->dy_bufs[b]);
    free(n->dy_bufs);
    n->dy_bufs = NULL;
    free(n->y);
    free(n->scratch);
    free(n->dy);
    for (int k = 0; k < NNM_MAX_IO; k++) {
        nnm_free_aligned(n->in[k]);
        nnm_free_aligned(n->t[k]);
        n->in[k] = n->t[k] = NULL;
    }
    for (int k = 0; k < NNM_MAX_IO; k++) {
        nnm_free_aligned(n->rw[k]);
        n->rw[k] = NULL;
    }
    for (int k = 0; k < NNM_MAX_IN; k++) {
        nnm_free_aligned(n->acc[k]);
        n->acc[k] = NULL;
    }
    n->cap = 0;
}

/* one workspace per thread of the pool, as large as the largest layer's */
static void plan_work(Net *n)
{
    int threads = nnm_par_threads();
    if (threads <= n->work_threads)
        return;
    int64_t most = 0;
    for (int i = 0; i < n->m->nlayers; i++)
        most = NNM_MAX(most, layer_work_stride(layer_workspace(&n->m->layers[i])));
    nnm_free_aligned(n->work);
    n->work = nnm_alloc_floats(threads * most);
    n->work_threads = threads;
}

void net_plan(Net *n, int64_t batch)
{
    plan_work(n);
    if (batch <= n->cap)
        return;
    unplan(n);
    const NnmModel *m = n->m;
    n->cap = batch;
    for (int k = 0; k < m->ninputs; k++)
        n->in[k] = nnm_alloc_floats(batch * shape_size(&m->inputs[k]));
    n->y = nnm_xcalloc((size_t)m->nlayers + 1, sizeof *n->y);
    n->scratch = nnm_xcalloc((size_t)m->nlayers + 1, sizeof *n->scratch);
    n->dy = nnm_xcalloc((size_t)m->nlayers + 1, sizeof *n->dy);
    for (int i = 0; i < m->nlayers; i++) {
        const NnmLayer *l = &m->layers[i];
        n->y[i] = nnm_alloc_floats(batch * shape_size(&l->out));
        n->scratch[i] = nnm_alloc_floats(batch * layer_kinds[l->kind]->scratch(l));
    }
    int64_t bwork = 0;
    for (int i = 0; i < m->nlayers; i++)
        bwork = NNM_MAX(bwork, layer_batch_work(&m->layers[i], batch));
    n->bwork = nnm_alloc_floats(bwork);
    /* the gradients share buffers by liveness (plan_dy) */
    n->dy_bufs = nnm_xcalloc((size_t)n->ndy_plan + 1, sizeof *n->dy_bufs);
    for (int b = 0; b < n->ndy_plan; b++)
        n->dy_bufs[b] = nnm_alloc_floats(batch * n->dy_size[b]);
    for (int i = 0; i < m->nlayers; i++)
        n->dy[i] = n->dy_bufs[n->dy_buf[i]];
    for (int k = 0; k < m->noutputs; k++)
        n->t[k] = nnm_alloc_floats(batch * n->out_size[k]);
    for (int k = 0; k < m->noutputs; k++)
        n->rw[k] = nnm_alloc_floats(batch);
    for (int k = 0; k < NNM_MAX_IN; k++)
        if (n->acc_size[k])
            n->acc[k] = nnm_alloc_floats(batch * n->acc_size[k]);
    if (!n->opt_ready && m->compiled) {
        nnm_optim_init(&n->opt, &m->optim, n->nparams);
        n->opt_ready = 1;
    }
}

void net_free(Net *n)
{
    unplan(n);
    nnm_free_aligned(n->work);
    if (n->opt_ready)
        nnm_optim_free(&n->opt);
    free(n->output_of);
    nnm_free_aligned(n->w);
    nnm_free_aligned(n->dw);
    nnm_free_aligned(n->dwacc);
    free(n->add_dx);
    free(n->add_dw);
    free(n->dy_buf);
    free(n->dy_size);
    free(n->woff);
    free(n->regs);
    free(n->prof);
    memset(n, 0, sizeof *n);
}

LayerRun net_layer_run(Net *n, int i, int64_t batch, int training)
{
    const NnmModel *m = n->m;
    const NnmLayer *l = &m->layers[i];
    LayerRun r = {
        .l = l,
        .batch = batch,
        .y = n->y[i],
        .scratch = n->scratch[i],
        .work = n->work,
        .bwork = n->bwork,
        .w = n->w + n->woff[i],
        .dw = n->dw + n->woff[i],
        .dy = n->dy[i],
        .training = training,
        .rng = &n->dropout_rng,
    };
    for (int k = 0; k < l->nin; k++)
        r.xs[k] = l->inputs[k] >= 0 ? n->y[l->inputs[k]] : n->in[-1 - l->inputs[k]];
    r.x = r.xs[0];
    return r;
}

LayerRun net_layer_back(Net *n, int i, int64_t batch)
{
    LayerRun r = net_layer_run(n, i, batch, 1);
    const NnmLayer *l = r.l;
    r.fused = n->output_of[i] >= 0 && n->fused[n->output_of[i]];
    for (int k = 0; k < l->nin; k++) {
        int p = l->inputs[k];
        r.dxs[k] = p < 0 ? NULL : n->add_dx[i * NNM_MAX_IN + k] ? n->acc[k] : n->dy[p];
    }
    r.dx = r.dxs[0];
    if (n->add_dw[i])
        r.dw = n->dwacc;
    const double *act = n->m->layers[i].reg[REG_ACTIVITY];
    if (act[0] > 0 || act[1] > 0) {
        /* d/dy of l1·Σ|y| + l2·Σy² over the batch (Keras 2.2 does not divide
         * it by the batch size); the compiler keeps it off a fused output */
        NNM_ASSERT(!r.fused);
        const float l1 = (float)act[0], l2x2 = (float)(2 * act[1]);
        int64_t len = batch * shape_size(&n->m->layers[i].out);
        for (int64_t k = 0; k < len; k++) {
            float y = r.y[k];
            r.dy[k] += l1 * (float)((y > 0) - (y < 0)) + l2x2 * y;
        }
    }
    return r;
}

void net_layer_back_end(Net *n, int i, const LayerRun *r)
{
    const NnmLayer *l = r->l;
    for (int k = 0; k < l->nin; k++)
        if (l->inputs[k] >= 0 && n->add_dx[i * NNM_MAX_IN + k]) {
            float *to = n->dy[l->inputs[k]];
            for (int64_t j = 0, len = r->batch * shape_size(input_shape(n->m, i, k)); j < len; j++)
                to[j] += r->dxs[k][j];
        }
    if (n->add_dw[i]) {
        int owner = net_weights_owner(n->m, i);
        float *to = n->dw + n->woff[owner];
        for (int64_t j = 0; j < n->m->layers[owner].nparams; j++)
            to[j] += n->dwacc[j];
    }
}

void net_forward(Net *n, int64_t batch, int training)
{
    NNM_ASSERT(batch <= n->cap);
    if (n->forward_fn) {
        n->forward_fn(n, batch, training);
        return;
    }
    for (int i = 0; i < n->m->nlayers; i++) {
        LayerRun r = net_layer_run(n, i, batch, training);
        double t = n->prof ? nnm_now() : 0;
        layer_kinds[n->m->layers[i].kind]->forward(&r);
        if (n->prof)
            n->prof[2 * i] += nnm_now() - t;
    }
}

const float *net_output(const Net *n, int k)
{
    return n->y[n->m->outputs[k].node];
}

double net_loss(Net *n, int64_t batch)
{
    const NnmModel *m = n->m;
    double loss = 0;
    for (int k = 0; k < m->noutputs; k++) {
        const NnmOutput *o = &m->outputs[k];
        const NnmLayer *ll = &m->layers[o->node];
        /* the loss fuses with the output's activation (softmax, sigmoid)
         * unless other nodes need the gradient of the output itself; kinds
         * with an activation other than linear or ReLU keep the
         * pre-activation at the start of their scratch */
        int act = layer_kinds[ll->kind]->has_act && !n->consumed[k] ? ll->act : ACT_LINEAR;
        const float *z = nnm_loss_fuses(o->loss, act) ? n->scratch[o->node] : n->y[o->node];
        float *dy = n->dy[o->node];
        n->out_loss[k] = nnm_loss(o->loss, (float)o->label_smoothing, act, batch, n->out_size[k], z, n->y[o->node], n->t[k],
                                  n->use_rw[k] ? n->rw[k] : NULL, dy, &n->fused[k]);
        if (o->weight != 1.0) { /* loss_weights */
            const float w = (float)o->weight;
            for (int64_t j = 0, len = batch * n->out_size[k]; j < len; j++)
                dy[j] *= w;
        }
        loss += o->weight * n->out_loss[k];
    }
    double penalty = 0;
    for (int r = 0; r < n->nregs; r++) {
        const float *w = n->w + n->regs[r].off;
        double s1 = 0, s2 = 0;
        for (int64_t k = 0; k < n->regs[r].len; k++) {
            s1 += fabsf(w[k]);
            s2 += (double)w[k] * w[k];
        }
        penalty += n->regs[r].l1 * s1 + n->regs[r].l2 * s2;
    }
    for (int i = 0; i < m->nlayers; i++) {
        const double *act = m->layers[i].reg[REG_ACTIVITY];
        if (act[0] <= 0 && act[1] <= 0)
            continue;
        const float *y = n->y[i];
        double s1 = 0, s2 = 0;
        for (int64_t k = 0, len = batch * shape_size(&m->layers[i].out); k < len; k++) {
            s1 += fabsf(y[k]);
            s2 += (double)y[k] * y[k];
        }
        penalty += act[0] * s1 + act[1] * s2;
    }
    loss += (double)batch * penalty;
    return loss;
}

void net_backward(Net *n, int64_t batch)
{
    const NnmModel *m = n->m;
    if (n->backward_fn) {
        n->backward_fn(n, batch);
    } else {
        for (int i = m->nlayers - 1; i >= 0; i--) {
            LayerRun r = net_layer_back(n, i, batch);
            double t = n->prof ? nnm_now() : 0;
            layer_kinds[m->layers[i].kind]->backward(&r);
            net_layer_back_end(n, i, &r);
            if (n->prof)
                n->prof[2 * i + 1] += nnm_now() - t;
        }
    }
    for (int r = 0; r < n->nregs; r++) {
        /* d/dw of l1·Σ|w| + l2·Σw²: Keras's penalty has no ½ */
        const float *w = n->w + n->regs[r].off;
        float *dw = n->dw + n->regs[r].off;
        const float l1 = (float)n->regs[r].l1, l2x2 = (float)(2 * n->regs[r].l2);
        for (int64_t k = 0; k < n->regs[r].len; k++)
            dw[k] += l1 * (float)((w[k] > 0) - (w[k] < 0)) + l2x2 * w[k];
    }
}

void net_update(Net *n)
{
    double t = n->prof ? nnm_now() : 0;
    nnm_optim_step(&n->m->optim, &n->opt, n->w, n->dw);
    if (n->prof)
        n->prof[2 * n->m->nlayers] += nnm_now() - t;
}

void net_profile_report(const Net *n)
{
    if (!n->prof)
        return;
    double total = 0;
    for (int i = 0; i <= 2 * n->m->nlayers; i++)
        total += n->prof[i];
    fprintf(stderr, "nnmc: profile of %s (%.3f s in layers and optimizer)\n", n->m->name, total);
    for (int i = 0; i < n->m->nlayers; i++)
        fprintf(stderr, "  %-28s forward %8.3f s  backward %8.3f s  %5.1f%%\n", n->m->layers[i].name,
                n->prof[2 * i], n->prof[2 * i + 1], 100 * (n->prof[2 * i] + n->prof[2 * i + 1]) / total);
    fprintf(stderr, "  %-28s          %8.3f s                     %5.1f%%\n", "optimizer",
                n->prof[2 * n->m->nlayers], 100 * n->prof[2 * n->m->nlayers] / total);
}

int net_weights_file(const NnmModel *m, float *w, const char *path, int save)
{
    const int max_arrays = LAYER_MAX_WEIGHTS * m->nlayers;
    NpzFile *f = NULL;
    if (!save && !(f = npz_open(path)))
        return -1;
    NpzArray *arr = nnm_xcalloc((size_t)max_arrays + 1, sizeof *arr);
    char (*names)[NNM_NAME_MAX + 24] = nnm_xcalloc((size_t)max_arrays + 1, sizeof *names);
    int na = 0, rc = 0;
    for (int i = 0; i < m->nlayers && rc == 0; i++) {
        WeightInfo wi[LAYER_MAX_WEIGHTS];
        if (m->layers[i].weights_of)
            continue; /* saved with the layer's first call */
        int k = layer_kinds[m->layers[i].kind]->weights(&m->layers[i], wi);
        for (int j = 0; j < k && rc == 0; j++) {
            NNM_ASSERT(na < max_arrays);
            snprintf(names[na], sizeof names[na], "%s/%s:0", m->layers[i].name, wi[j].suffix);
            if (save)
                arr[na] = (NpzArray){names[na], wi[j].shape, w};
            else
                rc = npz_read(f, names[na], &wi[j].shape, w);
            na++;
            w += shape_size(&wi[j].shape);
        }
    }
    npz_close(f);
    if (rc == 0 && save)
        rc = npz_write(path, arr, na);
    free(arr);
    free(names);
    return rc;
}
