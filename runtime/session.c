/* runtime/session.c — see session.h.
 *
 * Data sets are read when a step first needs them and are kept. */
#include "session.h"
#include "isa.h"
#include "augment.h"
#include "callbacks.h"
#include "checkpoint.h"
#include "csv.h"
#include "metrics.h"
#include "npz.h"
#include "parallel.h"
#include "plot.h"
#include "progbar.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* A resolved view: rows [begin, end) of a split; labels through ref's map. */
typedef struct {
    const NnmSplit *s;
    const NnmArrayRef *ref;
    int64_t begin, n;
} View;

/* What one step reads: a view per model input, and one of labels per
 * output (same samples, row for row). */
typedef struct {
    int nx, ny;
    View x[NNM_MAX_IO], y[NNM_MAX_IO];
    int64_t n;
} Data;

/* Rows of a data set: input k of model m, or labels (k < 0).  Every step's
 * data comes through here, so this is where a data file that does not hold
 * what the model was compiled for (28x28 images in the program, 32x32 in
 * the file) is refused, before any sample is copied into the model's
 * buffers. */
static int get_view(NnmSession *e, const NnmArrayRef *r, int m, int k, View *v)
{
    if (!e->data_ready[r->dataset]) {
        const NnmDataset *d = &e->p->datasets[r->dataset];
        if (d->source == DS_CSV ? nnm_csv_load(d, &e->data[r->dataset])
                                : nnm_data_load(d, e->o->data_dir, &e->data[r->dataset]))
            return -1;
        e->data_ready[r->dataset] = 1;
    }
    const NnmSplit *s = r->test ? &e->data[r->dataset].test : &e->data[r->dataset].train;
    const NnmModel *md = &e->p->models[m];
    int64_t want = k >= 0 ? shape_size(&md->inputs[k]) : 0, have = nnm_split_sample(s);
    if (k >= 0 && have != want) {
        char dims[96], which[NNM_NAME_MAX + 16] = "";
        if (s->rows == 1)
            snprintf(dims, sizeof dims, "%lld features", (long long)s->cols);
        else
            snprintf(dims, sizeof dims, "%lldx%lldx%lld", (long long)s->rows, (long long)s->cols, (long long)s->chans);
        if (md->ninputs > 1)
            snprintf(which, sizeof which, " (input '%s')", md->input_names[k]);
        fprintf(stderr,
                "nnmc: error: %s: its samples have %lld values (%s), but model '%s'%s was compiled for %lld "
                "(%s:%d)\n", s->x_file ? s->x_file : "the data", (long long)have, dims, md->name, which,
                (long long)want, e->p->file, r->line);
        return -1;
    }
    int64_t b = NNM_MIN(r->begin, s->n), end = r->end < 0 ? s->n : NNM_MIN(r->end, s->n);
    v->s = s;
    v->ref = r;
    v->begin = b;
    v->n = end > b ? end - b : 0;
    if (e->o->max_samples > 0 && v->n > e->o->max_samples)
        v->n = e->o->max_samples;
    if (v->n == 0) {
        fprintf(stderr, "nnmc: error: %s:%d: the array has no samples%s\n", e->p->file, r->line,
                e->p->datasets[r->dataset].filtered ? " (none of the data set's samples is of the classes= chosen)" : "");
        return -1;
    }
    if (r->expect_n >= 0 && r->expect_n != end - b) {
        fprintf(stderr,
                "nnmc: error: %s:%d: the array was reshaped for %lld samples, but the data has %lld\n",
                e->p->file, r->line, (long long)r->expect_n, (long long)v->n);
        return -1;
    }
    return 0;
}

/* The views of a step's arrays x (one per input) and, with y, the labels
 * (one per output); all must have as many samples. */
static int get_data(NnmSession *e, const NnmArrayRef *x, const NnmArrayRef *y, int m, Data *d)
{
    const NnmModel *md = &e->p->models[m];
    memset(d, 0, sizeof *d);
    d->nx = md->ninputs;
    d->ny = y ? md->noutputs : 0;
    for (int k = 0; k < d->nx; k++)
        if (get_view(e, &x[k], m, k, &d->x[k]))
            return -1;
    for (int k = 0; k < d->ny; k++)
        if (get_view(e, &y[k], m, -1, &d->y[k]))
            return -1;
    d->n = d->x[0].n;
    for (int k = 1; k < d->nx + d->ny; k++) {
        const View *v = k < d->nx ? &d->x[k] : &d->y[k - d->nx];
        if (v->n != d->n) {
            fprintf(stderr, "nnmc: error: %s:%d: the arrays of one step have different numbers of samples "
                    "(%lld and %lld)\n", e->p->file, v->ref->line, (long long)d->n, (long long)v->n);
            return -1;
        }
    }
    return 0;
}

/* Rows [from, from + n) of every view of d (a validation split). */
static Data data_rows(const Data *d, int64_t from, int64_t n)
{
    Data r = *d;
    for (int k = 0; k < d->nx + d->ny; k++) {
        View *v = k < d->nx ? &r.x[k] : &r.y[k - d->nx];
        v->begin += from;
        v->n = n;
    }
    r.n = n;
    return r;
}

static int view_label(const View *v, int64_t row)
{
    int lab = v->s->label[v->begin + row];
    return v->ref->mapped && lab < NNM_MAX_CLASSES ? v->ref->map[lab] : lab;
}

static Net *get_net(NnmSession *e, int m) { return &e->nets[m]; }

/* Copies samples idx[0..b) of d into the net's input and target buffers. */
static void load_batch(Net *n, const Data *d, const int64_t *idx, int64_t b)
{
    for (int k = 0; k < d->nx; k++) {
        const View *v = &d->x[k];
        int64_t px = nnm_split_sample(v->s);
        const NnmArrayRef *r = v->ref;
        for (int64_t i = 0; i < b; i++) {
            nnm_split_row(v->s, v->begin + idx[i], n->in[k] + i * px);
            nnm_array_scale(r, n->in[k] + i * px, n->in[k] + i * px, px);
        }
    }
    for (int k = 0; k < d->ny; k++) {
        int64_t C = n->out_size[k];
        for (int64_t i = 0; i < b; i++) {
            float *t = n->t[k] + i * C;
            int lab = view_label(&d->y[k], idx[i]);
            if (C == 1) {
                t[0] = (float)lab;
            } else {
                memset(t, 0, (size_t)C * sizeof *t);
                if (lab < C)
                    t[lab] = 1.0f;
            }
        }
    }
}

/* The figures of a pass as nnm_fit_keys orders them: the loss, each
 * output's loss (several outputs), each output's metrics. */
static void pass_values(const Net *n, const NnmMetrics *ms, double loss, const double *out_loss, double seen,
                        double *out)
{
    const NnmModel *m = n->m;
    int j = 0;
    out[j++] = loss;
    for (int k = 0; k < m->noutputs && m->noutputs > 1; k++)
        out[j++] = seen > 0 ? out_loss[k] / seen : 0;
    for (int k = 0; k < m->noutputs; k++) {
        nnm_metrics_values(&ms[k], out + j);
        j += m->outputs[k].nmetrics;
    }
}

/* Mean loss and the metrics over d, in batches, without training, as
 * pass_values lays them out.  The progress bar (evaluate(verbose=1)) ends
 * with them.  With keep, the model's (single) output is copied there too
 * ([d->n, outputs]); ms[k], output k's metrics, may bring a confusion
 * matrix. */
static void evaluate_view(Net *n, const Data *d, int64_t bs, double *out, Progbar *pb, float *keep,
                          NnmMetrics *ms, const char *const *keys)
{
    const NnmModel *m = n->m;
    int nv = nnm_eval_count(m);
    int64_t *idx = nnm_xmalloc((size_t)(bs > 0 ? bs : 1) * sizeof *idx);
    double lsum = 0, osum[NNM_MAX_IO] = {0};
    memset(n->use_rw, 0, sizeof n->use_rw); /* class weights weigh training only */
    for (int k = 0; k < m->noutputs; k++)
        nnm_metrics_reset(&ms[k]);
    pass_values(n, ms, 0, osum, 0, out);
    for (int64_t s = 0; s < d->n; s += bs) {
        int64_t b = NNM_MIN(bs, d->n - s);
        for (int64_t i = 0; i < b; i++)
            idx[i] = s + i;
        load_batch(n, d, idx, b);
        net_forward(n, b, 0);
        if (keep)
            memcpy(keep + s * n->out_size[0], net_output(n, 0), sizeof *keep * (size_t)(b * n->out_size[0]));
        lsum += net_loss(n, b);
        for (int k = 0; k < m->noutputs; k++) {
            osum[k] += n->out_loss[k];
            nnm_metrics_add(&ms[k], net_output(n, k), n->t[k], b);
        }
        pass_values(n, ms, lsum / (double)(s + b), osum, (double)(s + b), out);
        if (pb)
            progbar_update(pb, s + b, nv, keys, out, s + b >= d->n);
    }
    free(idx);
}

static void metrics_init(NnmMetrics *ms, const Net *n, int with_confusion)
{
    for (int k = 0; k < n->m->noutputs; k++)
        nnm_metrics_init(&ms[k], &n->m->outputs[k], n->out_size[k], with_confusion);
}

static void metrics_free(NnmMetrics *ms, const Net *n)
{
    for (int k = 0; k < n->m->noutputs; k++)
        nnm_metrics_free(&ms[k]);
}

static void set_result(NnmSession *e, int slot, int list, int i, double val)
{
    NnmResult *r = &e->res[slot];
    if (i >= r->n) {
        r->v = nnm_xrealloc(r->v, (size_t)(i + 1) * sizeof *r->v);
        r->n = i + 1;
    }
    r->v[i] = val;
    r->list = list;
}

/* ImageDataGenerator: the batch's images (as load_batch made them, so
 * after the file's (x - mean) / std, as Keras transforms the arrays it is
 * given) replaced by transformed ones, each from its own random stream (so
 * in parallel, in any order). */
typedef struct {
    const NnmAugment *aug;
    const View *v;           /* the model's one input (generators feed single-input models) */
    const int64_t *idx;
    float *in;
    uint64_t seed;
    int epoch;
} AugJob;

static void augment_range(void *p, int64_t lo, int64_t hi)
{
    const AugJob *j = p;
    const NnmSplit *s = j->v->s;
    int64_t px = nnm_split_sample(s);
    float *img = nnm_xmalloc((size_t)px * sizeof *img);
    for (int64_t i = lo; i < hi; i++) {
        int64_t row = j->v->begin + j->idx[i];
        NnmRng r;
        nnm_augment_rng(&r, j->seed, j->epoch, row);
        memcpy(img, j->in + i * px, (size_t)px * sizeof *img);
        nnm_augment_image(j->aug, img, j->in + i * px, s->rows, s->cols, s->chans, &r);
    }
    free(img);
}

/* class_weight=: each sample's loss in output k is weighed by the weight
 * of its class there, and the batch's by 1 / (the fraction of samples with
 * a non-zero weight), as Keras 2.2 does (weighted_masked_objective). */
static void class_weights(Net *n, const Data *d, const int64_t *idx, int64_t b, const NnmStep *st)
{
    for (int k = 0; k < d->ny; k++) {
        const int nw = st->nclass_weights[k];
        float *rw = n->rw[k];
        n->use_rw[k] = nw > 0;
        if (!nw)
            continue;
        int64_t nonzero = 0;
        for (int64_t i = 0; i < b; i++) {
            int lab = view_label(&d->y[k], idx[i]);
            rw[i] = lab < nw ? (float)st->class_weight[k][lab] : 1.0f;
            nonzero += rw[i] != 0;
        }
        if (nonzero)
            for (int64_t i = 0; i < b; i++)
                rw[i] *= (float)b / (float)nonzero;
    }
}

/* The ordinal (1, 2, ...) of step st among the program's steps of its kind. */
static int ordinal(const NnmSession *e, const NnmStep *st)
{
    int k = 0;
    for (const NnmStep *s = e->p->steps; s <= st; s++)
        k += s->kind == st->kind;
    return k;
}


static int plot_fit(NnmSession *e, const NnmStep *st, const NnmFit *f)
{
    char *path = nnm_plot_path(e->o->plot_dir, "fit", ordinal(e, st)), title[256];
    snprintf(title, sizeof title, "training %s, %s:%d", e->p->models[st->model].name, e->p->file, st->line);
    int rc = nnm_plot_history(path, title, f->keys, e->res + st->result, f->nkeys, st->initial_epoch);
    free(path);
    return rc;
}

/* --resume: the steps before the checkpoint's fit ran before it */
static int skipped(const NnmSession *e, const NnmStep *st) { return st - e->p->steps < e->skip_until; }

int nnm_step_fit(NnmSession *e, const NnmStep *st)
{
    if (skipped(e, st))
        return 0;
    struct NnmFitResume *fr = e->resume && e->resume->step == st - e->p->steps ? e->resume : NULL;
    Net *n = get_net(e, st->model);
    if (!fr)
        nnm_session_sync(e, st->model); /* (a resumed fit has its model's weights from the checkpoint) */
    nnm_session_touch(e, st->model);
    Data x, vx;
    if (get_data(e, st->x, st->y, st->model, &x))
        return -1;
    int has_val = 0;
    if (st->has_val_data) {
        if (get_data(e, st->vx, st->vy, st->model, &vx))
            return -1;
        has_val = 1;
    } else if (st->val_split > 0) {
        int64_t split_at = (int64_t)((double)x.n * (1.0 - st->val_split));
        vx = data_rows(&x, split_at, x.n - split_at);
        x = data_rows(&x, 0, split_at);
        has_val = 1;
    }
    int verbose = e->o->quiet ? 0 : st->verbose;
    int epochs = e->o->epochs > 0 ? e->o->epochs : st->epochs;
    int64_t bs = st->batch_size;
    net_plan(n, bs);
    if (fr && fr->n != x.n) {
        fprintf(stderr, "nnmc: error: %s/checkpoint.nnmc: its fit has %lld samples, this data %lld\n",
                e->o->resume_dir, (long long)fr->n, (long long)x.n);
        return -1;
    }
    NnmFit f;
    if (nnm_fit_begin(&f, e->p->file, st, n, !e->o->quiet, fr))
        return -1;
    if (verbose && has_val && !st->steps)
        printf("Train on %lld samples, validate on %lld samples\n", (long long)x.n, (long long)vx.n);
    /* a generator (fit_generator, fit on flow()) may stop an epoch early, and
     * its progress bar counts batches */
    int64_t nbatch = bs > 0 ? (x.n + bs - 1) / bs : 0;
    if (st->steps > 0 && st->steps < nbatch)
        nbatch = st->steps;
    int64_t limit = NNM_MIN(x.n, nbatch * bs);
    int64_t *idx = nnm_xmalloc((size_t)(x.n ? x.n : 1) * sizeof *idx);
    for (int64_t i = 0; i < x.n; i++)
        idx[i] = fr ? fr->idx[i] : i;
    int first = fr ? (fr->stopped ? epochs : fr->next_epoch) : st->initial_epoch;
    double t_start = nnm_now(), t_train = 0;
    for (int k = 0; k < f.nkeys; k++)
        e->res[st->result + k].list = 1; /* history lists print as [] even when empty */
    /* the progress line shows the figures before lr; without validation
     * the training ones alone */
    int nshow = f.nkeys - (nnm_key_index(f.keys, f.nkeys, "lr") >= 0);
    int ntrain = nnm_key_index(f.keys, f.nkeys, "val_loss");
    ntrain = ntrain < 0 ? nshow : ntrain;
    int rc = 0, neval = nnm_eval_count(n->m), nout = n->m->noutputs;
    NnmMetrics ms[NNM_MAX_IO], vms[NNM_MAX_IO];
    metrics_init(ms, n, 0);
    metrics_init(vms, n, 0);
    /* --checkpoint: a fit's first commit point is its start, so that a kill
     * in its first epoch resumes from here, with every CSVLogger cut back to
     * what it held then (not from an earlier fit, with rows of this one) */
    if (!fr && e->o->checkpoint_dir) {
        nnm_session_sync_all(e);
        rc = nnm_checkpoint_save(e, e->o->checkpoint_dir, st, &f, first - 1, idx, x.n);
    }
    for (int ep = first; ep < epochs && !f.stop && rc == 0; ep++) {
        if (verbose)
            printf("Epoch %d/%d\n", ep + 1, epochs);
        fflush(stdout);
        nnm_fit_epoch_begin(&f, ep);
        if (st->shuffle)
            for (int64_t i = x.n - 1; i > 0; i--) {
                int64_t j = (int64_t)nnm_rng_below(&e->shuffle_rng, (uint64_t)i + 1), t = idx[i];
                idx[i] = idx[j];
                idx[j] = t;
            }
        Progbar pb;
        progbar_start(&pb, stdout, st->steps ? nbatch : limit, verbose);
        double lsum = 0, osum[NNM_MAX_IO] = {0}, vals[NNM_MAX_KEYS] = {0}, t_epoch = nnm_now();
        int64_t seen = 0;
        int halted = 0;
        for (int k = 0; k < nout; k++)
            nnm_metrics_reset(&ms[k]);
        for (int64_t s = 0; s < limit; s += bs) {
            int64_t b = NNM_MIN(bs, limit - s);
            load_batch(n, &x, idx + s, b);
            if (st->aug.on) {
                AugJob job = {&st->aug, &x.x[0], idx + s, n->in[0], e->o->seed, ep};
                nnm_par_for(b, 1, 1, augment_range, &job);
            }
            class_weights(n, &x, idx + s, b, st);
            net_forward(n, b, 1);
            double l = net_loss(n, b);
            for (int k = 0; k < nout; k++) {
                osum[k] += n->out_loss[k];
                nnm_metrics_add(&ms[k], net_output(n, k), n->t[k], b);
            }
            seen = s + b;
            lsum += l;
            pass_values(n, ms, lsum / (double)seen, osum, (double)seen, vals);
            if ((halted = nnm_fit_batch_end(&f, s / bs, l / (double)b)))
                break;
            if (!isfinite(l)) {
                /* nnmc's own guard (Keras would go on with NaN weights) */
                if (pb.width)
                    fputc('\n', stdout); /* end the bar a terminal shows */
                fflush(stdout);
                fprintf(stderr, "nnmc: error: %s:%d: the loss became %s in epoch %d, batch %lld; training stopped "
                        "(add TerminateOnNaN() to the callbacks to go on with the rest of the file)\n",
                        e->p->file, st->line, isnan(l) ? "nan" : "inf", ep + 1, (long long)(s / bs + 1));
                rc = -1;
                break;
            }
            net_backward(n, b);
            net_update(n);
            if (seen < limit)
                progbar_update(&pb, st->steps ? s / bs + 1 : seen, ntrain, f.keys, vals, 0);
        }
        if (rc)
            break;
        t_train += nnm_now() - t_epoch;
        pass_values(n, ms, seen ? lsum / (double)seen : 0, osum, (double)seen, vals);
        if (has_val && !halted)
            evaluate_view(n, &vx, bs, vals + neval, NULL, NULL, vms, NULL);
        progbar_update(&pb, st->steps ? (seen + bs - 1) / bs : seen, halted ? ntrain : nshow, f.keys, vals, 1);
        f.absent = 0;
        for (int k = ntrain; halted && k < nshow; k++)
            f.absent |= 1u << k;
        rc = nnm_fit_epoch_end(&f, ep, vals);
        /* an epoch cut short has no validation figures (Keras's logs lack them) */
        for (int k = 0; k < f.nkeys; k++)
            if (!halted || k < ntrain || k >= nshow)
                set_result(e, st->result + k, 1, ep - st->initial_epoch, vals[k]);
        if (rc == 0 && e->o->plot_dir)
            rc = plot_fit(e, st, &f);
        if (rc == 0 && e->o->checkpoint_dir) {
            nnm_session_sync_all(e);
            rc = nnm_checkpoint_save(e, e->o->checkpoint_dir, st, &f, ep, idx, x.n);
        }
    }
    if (fr) {
        nnm_fit_resume_free(e->resume);
        e->resume = NULL;
    }
    if (nnm_fit_end(&f))
        rc = -1;
    metrics_free(ms, n);
    metrics_free(vms, n);
    free(idx);
    /* NNM_TIMING=1: training throughput for bench/ (validation excluded) */
    const char *timing = getenv("NNM_TIMING");
    if (timing && *timing == '1')
        fprintf(stderr, "nnmc: fit: %lld samples x %d epochs in %.3f s of training, %.3f s in all (%.0f samples/s), kernels %s\n",
                (long long)limit, epochs, t_train, nnm_now() - t_start,
                t_train > 0 ? (double)limit * (epochs - st->initial_epoch) / t_train : 0.0, nnm_isa_name(nnm_isa_active));
    return rc;
}

/* evaluate() and predict(): one pass over x without training.  predict
 * keeps no result yet (its outputs are not printable in this version). */
int nnm_step_infer(NnmSession *e, const NnmStep *st)
{
    if (skipped(e, st))
        return 0;
    const NnmModel *m = &e->p->models[st->model];
    Net *n = get_net(e, st->model);
    nnm_session_sync(e, st->model);
    Data x;
    if (get_data(e, st->x, st->kind == STEP_EVALUATE ? st->y : NULL, st->model, &x))
        return -1;
    net_plan(n, st->batch_size);
    Progbar pb;
    int verbose = e->o->quiet ? 0 : st->verbose;
    progbar_start(&pb, stdout, x.n, verbose);
    double vals[NNM_MAX_KEYS];
    const char *keys[NNM_MAX_KEYS];
    static NnmKeyText text; /* one step at a time */
    NnmStep none = {.kind = STEP_FIT};
    nnm_fit_keys(m, &none, keys, text);
    /* predict() with np.save(path, ...): the outputs go to a .npy file */
    float *keep = st->kind == STEP_PREDICT && st->path ? nnm_alloc_floats(x.n * n->out_size[0] + 1) : NULL;
    int report = st->kind == STEP_EVALUATE && e->o->report, plot = st->kind == STEP_EVALUATE && e->o->plot_dir;
    NnmMetrics ms[NNM_MAX_IO];
    metrics_init(ms, n, report || plot);
    evaluate_view(n, &x, st->batch_size, vals, verbose ? &pb : NULL, keep, ms, keys);
    int rc = 0;
    for (int k = 0; k < m->noutputs && (report || plot) && rc == 0; k++) {
        const char *names[NNM_MAX_CLASSES], *out = m->layers[m->outputs[k].node].name;
        /* labels mapped in the file (y % 2) are no longer the data set's classes */
        const char *const *cls = x.y[k].ref->mapped ? NULL
                               : nnm_class_names(&e->p->datasets[x.y[k].ref->dataset], ms[k].classes, names);
        if (report) {
            if (m->noutputs > 1)
                printf("output '%s':\n", out);
            nnm_metrics_report(&ms[k], stdout, cls);
            fflush(stdout);
        }
        if (plot) {
            char *path = nnm_confusion_path(e->o->plot_dir, m, k, ordinal(e, st)), title[256 + NNM_NAME_MAX];
            snprintf(title, sizeof title, "confusion matrix of %s%s%s, %s:%d", m->name, m->noutputs > 1 ? " output " : "",
                     m->noutputs > 1 ? out : "", e->p->file, st->line);
            rc = nnm_plot_confusion(path, title, ms[k].classes, cls, ms[k].confusion);
            free(path);
        }
    }
    metrics_free(ms, n);
    if (rc) {
        nnm_free_aligned(keep);
        return -1;
    }
    if (keep) {
        const NnmShape *out = &m->layers[m->outputs[0].node].out;
        NnmShape sh = {2, {x.n, n->out_size[0], 0, 0}}; /* (n, outputs) when the rank has no room */
        if (out->rank + 1 <= NNM_MAX_RANK) {
            sh.rank = out->rank + 1;
            for (int i = 0; i < out->rank; i++)
                sh.dim[i + 1] = out->dim[i];
        }
        int wrc = npy_write(st->path, &sh, keep);
        nnm_free_aligned(keep);
        if (wrc)
            return -1;
    }
    if (st->kind == STEP_EVALUATE) {
        int nv = nnm_eval_count(m);
        for (int k = 0; k < nv; k++)
            set_result(e, st->result, nv > 1, k, vals[k]);
    }
    return 0;
}

int nnm_step_weights(NnmSession *e, const NnmStep *st)
{
    if (skipped(e, st))
        return 0;
    nnm_session_sync(e, st->model);
    if (st->kind == STEP_LOAD)
        nnm_session_touch(e, st->model);
    return net_weights_file(&e->p->models[st->model], get_net(e, st->model)->w, st->path, st->kind == STEP_SAVE);
}

static void print_result(const NnmResult *r, int index)
{
    char buf[40];
    if (index >= 0) {
        if (index < r->n) {
            nnm_pyfloat(buf, sizeof buf, r->v[index]);
            fputs(buf, stdout);
        }
        return;
    }
    if (!r->list) {
        nnm_pyfloat(buf, sizeof buf, r->n ? r->v[0] : 0.0);
        fputs(buf, stdout);
        return;
    }
    fputc('[', stdout);
    for (int i = 0; i < r->n; i++) {
        nnm_pyfloat(buf, sizeof buf, r->v[i]);
        printf("%s%s", i ? ", " : "", buf);
    }
    fputc(']', stdout);
}

void nnm_step_print(NnmSession *e, const NnmStep *st)
{
    if (skipped(e, st))
        return;
    if (st->chatter && e->o->quiet)
        return;
    for (int k = 0; k < st->nitems; k++) {
        if (st->items[k].text)
            fputs(st->items[k].text, stdout);
        else
            print_result(&e->res[st->items[k].result], st->items[k].index);
    }
    fflush(stdout);
}

/* One layer object held by several models: node[m] in model m (-1: not in m). */
struct NnmShared {
    int id;
    int newest;             /* the model whose copy is newest, or -1: all equal */
    int64_t len;
    int *node;              /* [nmodels] */
};

static float *shared_w(NnmSession *e, const struct NnmShared *sh, int m)
{
    return e->nets[m].w + e->nets[m].woff[sh->node[m]];
}

static void shared_copy(NnmSession *e, struct NnmShared *sh, int from)
{
    for (int m = 0; m < e->p->nmodels; m++)
        if (m != from && sh->node[m] >= 0)
            memcpy(shared_w(e, sh, m), shared_w(e, sh, from), sizeof(float) * (size_t)sh->len);
}

/* The layer objects in more than one model, each starting with the
 * weights of the first model that has it, as if made once. */
static void shared_open(NnmSession *e)
{
    const NnmProgram *p = e->p;
    int most = 0;
    for (int m = 0; m < p->nmodels; m++)
        for (int i = 0; i < p->models[m].nlayers; i++)
            most = NNM_MAX(most, p->models[m].layers[i].layer_id);
    int *count = nnm_xcalloc((size_t)most + 1, sizeof *count);
    for (int m = 0; m < p->nmodels; m++)
        for (int i = 0; i < p->models[m].nlayers; i++)
            if (p->models[m].layers[i].nparams)
                count[p->models[m].layers[i].layer_id]++;
    for (int id = 1; id <= most; id++)
        e->nshared += count[id] > 1;
    e->shared = nnm_xcalloc((size_t)e->nshared + 1, sizeof *e->shared);
    int k = 0;
    for (int id = 1; id <= most; id++) {
        if (count[id] < 2)
            continue;
        struct NnmShared *sh = &e->shared[k++];
        sh->id = id;
        sh->newest = -1;
        sh->node = nnm_xmalloc(sizeof *sh->node * (size_t)p->nmodels);
        int first = -1;
        for (int m = 0; m < p->nmodels; m++) {
            sh->node[m] = -1;
            for (int i = 0; i < p->models[m].nlayers; i++)
                if (p->models[m].layers[i].layer_id == id && p->models[m].layers[i].nparams) {
                    sh->node[m] = i;
                    sh->len = p->models[m].layers[i].nparams;
                    first = first < 0 ? m : first;
                }
        }
        shared_copy(e, sh, first);
    }
    free(count);
}

void nnm_session_sync(NnmSession *e, int model)
{
    for (int k = 0; k < e->nshared; k++) {
        struct NnmShared *sh = &e->shared[k];
        if (sh->node[model] >= 0 && sh->newest >= 0 && sh->newest != model)
            memcpy(shared_w(e, sh, model), shared_w(e, sh, sh->newest), sizeof(float) * (size_t)sh->len);
    }
}

void nnm_session_touch(NnmSession *e, int model)
{
    for (int k = 0; k < e->nshared; k++)
        if (e->shared[k].node[model] >= 0)
            e->shared[k].newest = model;
}

/* (newest stays: the fit under way goes on changing its model's copy; a
 * resumed run starts with every copy equal, which -1 says) */
void nnm_session_sync_all(NnmSession *e)
{
    for (int k = 0; k < e->nshared; k++)
        if (e->shared[k].newest >= 0)
            shared_copy(e, &e->shared[k], e->shared[k].newest);
}

int nnm_session_open(NnmSession *e, const NnmProgram *p, const NnmRunOpts *o)
{
    memset(e, 0, sizeof *e);
    e->p = p;
    e->o = o;
    e->data = nnm_xcalloc((size_t)p->ndatasets + 1, sizeof *e->data);
    e->data_ready = nnm_xcalloc((size_t)p->ndatasets + 1, sizeof *e->data_ready);
    e->nets = nnm_xcalloc((size_t)p->nmodels + 1, sizeof *e->nets);
    e->res = nnm_xcalloc((size_t)p->nresults + 1, sizeof *e->res);
    nnm_rng_seed(&e->init_rng, o->seed, RNG_INIT);
    nnm_rng_seed(&e->shuffle_rng, o->seed, RNG_SHUFFLE);
    if (o->threads > 0)
        nnm_par_init(o->threads);
    for (int m = 0; m < p->nmodels; m++)
        net_init(&e->nets[m], &p->models[m], &e->init_rng, o->seed + (uint64_t)m);
    shared_open(e);
    if (!o->resume_dir)
        return 0;
    int rc = nnm_checkpoint_load(e, o->resume_dir);
    if (rc == 1)
        fprintf(stderr, "nnmc: no checkpoint in %s yet: starting from the beginning\n", o->resume_dir);
    return rc < 0 ? -1 : 0;
}

void nnm_session_close(NnmSession *e)
{
    const NnmProgram *p = e->p;
    for (int m = 0; m < p->nmodels; m++) {
        net_profile_report(&e->nets[m]);
        net_free(&e->nets[m]);
    }
    for (int d = 0; d < p->ndatasets; d++)
        if (e->data_ready[d]) {
            nnm_split_free(&e->data[d].train);
            nnm_split_free(&e->data[d].test);
        }
    for (int r = 0; r < p->nresults; r++)
        free(e->res[r].v);
    nnm_fit_resume_free(e->resume);
    for (int k = 0; k < e->nshared; k++)
        free(e->shared[k].node);
    free(e->shared);
    free(e->res);
    free(e->data);
    free(e->data_ready);
    free(e->nets);
    memset(e, 0, sizeof *e);
}
