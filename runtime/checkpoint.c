/* runtime/checkpoint.c — see checkpoint.h. */
#include "checkpoint.h"
#include "files.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

static const char MAGIC[8] = {'N', 'N', 'M', 'C', 'K', 'P', 'T', '1'};
#define ORDER_MARK 0x01020304u

/* ---- the program's fingerprint ------------------------------------------ */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ c[i]) * 0x100000001b3ull;
    return h;
}

/* What must match for a checkpoint to continue this program: the models'
 * layers and sizes, and the steps' kinds, models and training settings. */
static uint64_t fingerprint(const NnmProgram *p)
{
    uint64_t h = 0xcbf29ce484222325ull;
    h = fnv(h, &p->nmodels, sizeof p->nmodels);
    for (int m = 0; m < p->nmodels; m++) {
        const NnmModel *md = &p->models[m];
        h = fnv(h, &md->nlayers, sizeof md->nlayers);
        for (int i = 0; i < md->nlayers; i++) {
            const NnmLayer *l = &md->layers[i];
            h = fnv(h, &l->kind, sizeof l->kind);
            h = fnv(h, &l->nparams, sizeof l->nparams);
            h = fnv(h, l->out.dim, sizeof l->out.dim);
        }
        h = fnv(h, &md->optim.kind, sizeof md->optim.kind);
    }
    h = fnv(h, &p->nsteps, sizeof p->nsteps);
    h = fnv(h, &p->nresults, sizeof p->nresults);
    for (int i = 0; i < p->nsteps; i++) {
        const NnmStep *st = &p->steps[i];
        int v[5] = {(int)st->kind, st->model, st->epochs, st->ncallbacks, st->has_val_data};
        h = fnv(h, v, sizeof v);
        h = fnv(h, &st->batch_size, sizeof st->batch_size);
    }
    return h;
}

char *nnm_checkpoint_path(const char *dir)
{
    size_t n = strlen(dir) + 32;
    char *p = nnm_xmalloc(n);
    snprintf(p, n, "%s/checkpoint.nnmc", dir);
    return p;
}

/* ---- writing ---------------------------------------------------------------- */

typedef struct {
    FILE *f;
    uLong crc;
} W;

static void put(W *w, const void *p, size_t n)
{
    if (!n)
        return;
    fwrite(p, 1, n, w->f);
    w->crc = crc32(w->crc, p, (uInt)n);
}
static void put_i64(W *w, int64_t v) { put(w, &v, sizeof v); }
static void put_f64(W *w, double v) { put(w, &v, sizeof v); }
static void put_floats(W *w, const float *p, int64_t n)
{
    /* crc32 takes uInt lengths: feed big arrays in pieces */
    for (int64_t o = 0; o < n; o += 1 << 24)
        put(w, p + o, sizeof *p * (size_t)NNM_MIN(n - o, (int64_t)1 << 24));
}

/* How long a CSVLogger's file is (its rows are flushed as written): from
 * fstat, as ftell says 0 for an append stream not yet written to.  -1 for a
 * log that is not a regular file (nothing to truncate on resume). */
static int64_t csv_length(FILE *f)
{
    struct stat sb;
    if (!f || fflush(f) || fstat(fileno(f), &sb) || !S_ISREG(sb.st_mode))
        return -1;
    return (int64_t)sb.st_size;
}

int nnm_checkpoint_save(NnmSession *s, const char *dir, const NnmStep *st, const NnmFit *f, int epoch,
                        const int64_t *idx, int64_t n)
{
    const NnmProgram *p = s->p;
    char *path = nnm_checkpoint_path(dir);
    NnmOut *tmp;
    FILE *out = nnm_out_open(path, &tmp);
    if (!out) {
        free(path);
        return -1;
    }
    W w = {out, crc32(0, Z_NULL, 0)};
    uint32_t mark = ORDER_MARK;
    put(&w, MAGIC, sizeof MAGIC);
    put(&w, &mark, sizeof mark);
    put_i64(&w, (int64_t)fingerprint(p));
    put_i64(&w, (int64_t)s->o->seed);
    put_i64(&w, st - p->steps);
    put_i64(&w, epoch + 1);
    put_i64(&w, f->stop);
    put(&w, s->shuffle_rng.s, sizeof s->shuffle_rng.s);
    for (int m = 0; m < p->nmodels; m++) {
        const Net *net = &s->nets[m];
        put_i64(&w, net->nparams);
        put_floats(&w, net->w, net->nparams);
        put(&w, net->dropout_rng.s, sizeof net->dropout_rng.s);
        put_i64(&w, net->opt_ready);
        if (net->opt_ready) {
            const NnmOptState *o = &net->opt;
            put_i64(&w, o->iterations);
            put_f64(&w, o->lr);
            put_f64(&w, o->m_schedule);
            const float *slots[3] = {o->s1, o->s2, o->s3};
            for (int k = 0; k < 3; k++) {
                put_i64(&w, slots[k] != NULL);
                if (slots[k])
                    put_floats(&w, slots[k], o->n);
            }
        }
    }
    for (int r = 0; r < p->nresults; r++) {
        put_i64(&w, s->res[r].n);
        put_i64(&w, s->res[r].list);
        for (int i = 0; i < s->res[r].n; i++)
            put_f64(&w, s->res[r].v[i]);
    }
    put_i64(&w, n);
    put(&w, idx, sizeof *idx * (size_t)n);
    put_i64(&w, st->ncallbacks);
    for (int i = 0; i < st->ncallbacks; i++) {
        const NnmCbState *c = &f->cs[i];
        put_f64(&w, c->best);
        int64_t v[5] = {c->wait, c->cooldown, c->stopped_epoch, c->since_save, c->have_best};
        put(&w, v, sizeof v);
        put_i64(&w, c->best_weights ? f->n->nparams : 0);
        if (c->best_weights)
            put_floats(&w, c->best_weights, f->n->nparams);
        put_i64(&w, csv_length(c->csv));
        put_i64(&w, c->csv_keys);
    }
    uint32_t crc = (uint32_t)w.crc;
    fwrite(&crc, sizeof crc, 1, out);
    int rc = nnm_out_commit(out, tmp, 1);
    free(path);
    return rc;
}

/* ---- reading ---------------------------------------------------------------- */

typedef struct {
    const unsigned char *p;
    size_t len, at;
    int bad;
} R;

static void get(R *r, void *out, size_t n)
{
    if (r->bad || n > r->len - r->at) {
        r->bad = 1;
        memset(out, 0, n);
        return;
    }
    memcpy(out, r->p + r->at, n);
    r->at += n;
}
static int64_t get_i64(R *r)
{
    int64_t v;
    get(r, &v, sizeof v);
    return v;
}
static double get_f64(R *r)
{
    double v;
    get(r, &v, sizeof v);
    return v;
}

void nnm_fit_resume_free(NnmFitResume *fr)
{
    if (!fr)
        return;
    for (int i = 0; i < fr->ncallbacks; i++)
        free(fr->cs[i].best_weights);
    free(fr->cs);
    free(fr->csv_size);
    free(fr->idx);
    free(fr);
}

static int damaged(const char *path, const char *why)
{
    fprintf(stderr, "nnmc: error: %s: %s; nothing was resumed (remove the file to start from the beginning)\n",
            path, why);
    return -1;
}

/* idx[0..n) holds each of 0 .. n-1 once */
static int is_permutation(const int64_t *idx, int64_t n)
{
    unsigned char *seen = nnm_xcalloc((size_t)n + 1, 1);
    int64_t i = 0;
    for (; i < n && idx[i] >= 0 && idx[i] < n && !seen[idx[i]]; i++)
        seen[idx[i]] = 1;
    free(seen);
    return i == n;
}

int nnm_checkpoint_load(NnmSession *s, const char *dir)
{
    const NnmProgram *p = s->p;
    char *path = nnm_checkpoint_path(dir);
    unsigned char *buf = NULL;
    size_t len = 0;
    int got = nnm_read_file(path, (int64_t)nnm_memory_limit(), "what this process may allocate", 1, &buf, &len);
    if (got) {
        free(path);
        return got == -2 ? 1 : -1; /* none yet, or a message said why */
    }
    int rc = 0;
    NnmFitResume *fr = NULL;
    uint32_t crc, mark;
    if (len < sizeof MAGIC + sizeof mark + 4 || memcmp(buf, MAGIC, sizeof MAGIC)) {
        rc = damaged(path, "is not an nnmc checkpoint");
        goto out;
    }
    memcpy(&mark, buf + sizeof MAGIC, sizeof mark);
    memcpy(&crc, buf + len - 4, sizeof crc);
    if (mark != ORDER_MARK) {
        rc = damaged(path, "was written on a machine of another byte order");
        goto out;
    }
    uLong sum = crc32(0, Z_NULL, 0);
    for (size_t o = 0; o < len - 4; o += 1u << 24)
        sum = crc32(sum, buf + o, (uInt)NNM_MIN(len - 4 - o, (size_t)1 << 24));
    if ((uint32_t)sum != crc) {
        rc = damaged(path, "is damaged (truncated or its checksum does not match)");
        goto out;
    }
    R r = {buf, len - 4, sizeof MAGIC + sizeof mark, 0};
    if ((uint64_t)get_i64(&r) != fingerprint(p)) {
        rc = damaged(path, "was written by another program (its models or steps differ)");
        goto out;
    }
    uint64_t seed = (uint64_t)get_i64(&r);
    if (seed != s->o->seed) {
        char why[96];
        snprintf(why, sizeof why, "was written with --seed %llu, not %llu", (unsigned long long)seed,
                 (unsigned long long)s->o->seed);
        rc = damaged(path, why);
        goto out;
    }
    fr = nnm_xcalloc(1, sizeof *fr);
    fr->step = (int)get_i64(&r);
    fr->next_epoch = (int)get_i64(&r);
    fr->stopped = (int)get_i64(&r);
    if (fr->step < 0 || fr->step >= p->nsteps || p->steps[fr->step].kind != STEP_FIT || fr->next_epoch < 0) {
        rc = damaged(path, "names a step this program does not have");
        goto out;
    }
    get(&r, s->shuffle_rng.s, sizeof s->shuffle_rng.s);
    for (int m = 0; m < p->nmodels && !r.bad; m++) {
        Net *net = &s->nets[m];
        if (get_i64(&r) != net->nparams) {
            r.bad = 1;
            break;
        }
        get(&r, net->w, sizeof *net->w * (size_t)net->nparams);
        get(&r, net->dropout_rng.s, sizeof net->dropout_rng.s);
        if (get_i64(&r)) {
            if (!net->opt_ready) {
                nnm_optim_init(&net->opt, &net->m->optim, net->nparams);
                net->opt_ready = 1;
            }
            NnmOptState *o = &net->opt;
            o->iterations = get_i64(&r);
            /* updates a run can count to: no run makes 2^53 of them */
            if (o->iterations < 0 || o->iterations > ((int64_t)1 << 53))
                r.bad = 1;
            o->lr = get_f64(&r);
            o->m_schedule = get_f64(&r);
            float *slots[3] = {o->s1, o->s2, o->s3};
            for (int k = 0; k < 3; k++) {
                int has = (int)get_i64(&r);
                if (has != (slots[k] != NULL))
                    r.bad = 1;
                else if (has)
                    get(&r, slots[k], sizeof(float) * (size_t)o->n);
            }
        }
    }
    for (int i = 0; i < p->nresults && !r.bad; i++) {
        int64_t n = get_i64(&r), list = get_i64(&r);
        if (n < 0 || n > 100000000 || (size_t)n * 8 > r.len - r.at) {
            r.bad = 1;
            break;
        }
        NnmResult *res = &s->res[i];
        res->v = nnm_xrealloc(res->v, sizeof *res->v * (size_t)(n + 1));
        res->n = (int)n;
        res->list = (int)list;
        for (int64_t k = 0; k < n; k++)
            res->v[k] = get_f64(&r);
    }
    fr->n = get_i64(&r);
    if (r.bad || fr->n < 0 || (size_t)fr->n > (r.len - r.at) / sizeof(int64_t)) {
        rc = damaged(path, "does not fit this program");
        goto out;
    }
    fr->idx = nnm_xmalloc(sizeof *fr->idx * (size_t)(fr->n + 1));
    get(&r, fr->idx, sizeof *fr->idx * (size_t)fr->n);
    if (!is_permutation(fr->idx, fr->n)) {
        rc = damaged(path, "does not fit this program (its order of samples is not one)");
        goto out;
    }
    /* fr->ncallbacks counts fr->cs's entries: set only once they exist */
    if (get_i64(&r) != p->steps[fr->step].ncallbacks) {
        rc = damaged(path, "does not fit this program's callbacks");
        goto out;
    }
    fr->ncallbacks = p->steps[fr->step].ncallbacks;
    fr->cs = nnm_xcalloc((size_t)fr->ncallbacks + 1, sizeof *fr->cs);
    fr->csv_size = nnm_xcalloc((size_t)fr->ncallbacks + 1, sizeof *fr->csv_size);
    for (int i = 0; i < fr->ncallbacks && !r.bad; i++) {
        NnmCbState *c = &fr->cs[i];
        c->best = get_f64(&r);
        int64_t v[5];
        get(&r, v, sizeof v);
        c->wait = (int)v[0], c->cooldown = (int)v[1], c->stopped_epoch = (int)v[2], c->since_save = (int)v[3];
        c->have_best = (int)v[4];
        int64_t nw = get_i64(&r);
        if (nw) {
            const Net *net = &s->nets[p->steps[fr->step].model];
            if (nw != net->nparams) {
                r.bad = 1;
                break;
            }
            c->best_weights = nnm_xmalloc(sizeof(float) * (size_t)nw);
            get(&r, c->best_weights, sizeof(float) * (size_t)nw);
        }
        fr->csv_size[i] = get_i64(&r);
        int64_t keys = get_i64(&r);
        c->csv_keys = (int)keys;
        /* counters a run can reach; a file claiming others is not one nnmc wrote */
        if (keys < -2 || keys > NNM_MAX_KEYS || fr->csv_size[i] < -1 || v[0] < 0 || v[1] < 0 || v[2] < 0 ||
            v[3] < 0 || v[0] > INT32_MAX || v[1] > INT32_MAX || v[2] > INT32_MAX || v[3] > INT32_MAX ||
            (v[4] != 0 && v[4] != 1))
            r.bad = 1;
    }
    if (r.bad || r.at != r.len) {
        rc = damaged(path, "does not fit this program");
        goto out;
    }
    s->resume = fr;
    s->skip_until = fr->step;
    fr = NULL;
out:
    nnm_fit_resume_free(fr);
    free(buf);
    free(path);
    return rc;
}
