/* runtime/callbacks.c — see callbacks.h.  The rules and messages are Keras
 * 2.2.4's (keras/callbacks.py), including its quirks: ModelCheckpoint and
 * the learning-rate callbacks print a blank line first, EarlyStopping says
 * nothing when it stops after the first epoch, and ReduceLROnPlateau prints
 * the new rate computed in double from the float32 one. */
#include "callbacks.h"
#include "files.h"
#include "checkpoint.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

int nnm_eval_count(const NnmModel *m)
{
    int n = 1 + (m->noutputs > 1 ? m->noutputs : 0);
    for (int k = 0; k < m->noutputs; k++)
        n += m->outputs[k].nmetrics;
    return n;
}

/* keys[n] = prefix + (output name + '_', with several) + name */
static const char *key(const NnmModel *m, int out, const char *prefix, const char *name, NnmKeyText text, int n)
{
    if (m->noutputs > 1 && out >= 0)
        snprintf(text[n], NNM_KEY_MAX, "%s%s_%s", prefix, m->layers[m->outputs[out].node].name, name);
    else
        snprintf(text[n], NNM_KEY_MAX, "%s%s", prefix, name);
    return text[n];
}

int nnm_fit_keys(const NnmModel *m, const NnmStep *st, const char *keys[NNM_MAX_KEYS], NnmKeyText text)
{
    int n = 0, lr = 0, val = st->has_val_data || st->val_split > 0;
    for (int pass = 0; pass <= val; pass++) {
        const char *prefix = pass ? "val_" : "";
        keys[n] = key(m, -1, prefix, "loss", text, n), n++;
        for (int k = 0; k < m->noutputs && m->noutputs > 1; k++)
            keys[n] = key(m, k, prefix, "loss", text, n), n++;
        for (int k = 0; k < m->noutputs; k++)
            for (int j = 0; j < m->outputs[k].nmetrics; j++)
                keys[n] = key(m, k, prefix, nnm_metric_names[m->outputs[k].metrics[j].kind], text, n), n++;
    }
    for (int i = 0; i < st->ncallbacks; i++)
        lr |= st->callbacks[i].kind == CB_REDUCE_LR || st->callbacks[i].kind == CB_LR_SCHEDULER;
    if (lr)
        keys[n] = key(m, -1, "", "lr", text, n), n++;
    return n;
}

int nnm_key_index(const char *const *keys, int n, const char *name)
{
    char alias[NNM_KEY_MAX + 8];
    size_t len = strlen(name);
    snprintf(alias, sizeof alias, "%s", name);
    if (len >= 8 && len < NNM_KEY_MAX && !strcmp(name + len - 8, "accuracy") && (len == 8 || name[len - 9] == '_'))
        snprintf(alias + len - 8, sizeof alias - (len - 8), "acc");
    for (int i = 0; i < n; i++)
        if (!strcmp(keys[i], alias))
            return i;
    return -1;
}

int nnm_monitor_mode(const char *monitor)
{
    static const char *const up[] = {"acc", "precision", "recall", "f1", "auc", NULL};
    for (int i = 0; up[i]; i++)
        if (strstr(monitor, up[i]))
            return 1;
    return -1;
}

/* ---- ModelCheckpoint's file names ---------------------------------------- */

typedef struct {
    char sign;          /* '+', ' ' or 0 */
    int zero, width, prec;
    char type;          /* d f F e E g G %, or 0 */
} Spec;

static int parse_spec(const char *s, size_t len, Spec *sp)
{
    size_t i = 0;
    memset(sp, 0, sizeof *sp);
    sp->prec = -1;
    if (i < len && (s[i] == '+' || s[i] == '-' || s[i] == ' '))
        sp->sign = s[i] == '-' ? 0 : s[i], i++;
    if (i < len && s[i] == '0')
        sp->zero = 1, i++;
    while (i < len && s[i] >= '0' && s[i] <= '9' && sp->width < 1000)
        sp->width = sp->width * 10 + (s[i++] - '0');
    if (i < len && s[i] == '.') {
        i++;
        if (i >= len || s[i] < '0' || s[i] > '9')
            return -1;
        sp->prec = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9' && sp->prec < 100)
            sp->prec = sp->prec * 10 + (s[i++] - '0');
    }
    if (i < len && strchr("dfFeEgG%", s[i]))
        sp->type = s[i++];
    return i == len && sp->width < 1000 && sp->prec < 100 ? 0 : -1;
}

/* One field: an integer (is_int) or a float, formatted as Python's format(). */
static int format_field(char *out, size_t size, const Spec *sp, int is_int, double v)
{
    char fmt[32], body[160];
    if (sp->type == 0 && sp->prec < 0) {
        if (is_int)
            snprintf(body, sizeof body, "%s%lld", sp->sign && v >= 0 ? (char[2]){sp->sign, 0} : "",
                     (long long)v);
        else {
            char r[40];
            nnm_pyfloat(r, sizeof r, v);
            snprintf(body, sizeof body, "%s%s", sp->sign && !signbit(v) ? (char[2]){sp->sign, 0} : "", r);
        }
    } else if (sp->type == 'd') {
        snprintf(body, sizeof body, sp->sign == '+' ? "%+lld" : sp->sign == ' ' ? "% lld" : "%lld", (long long)v);
    } else {
        char t = sp->type == 0 ? 'g' : sp->type == '%' ? 'f' : sp->type;
        double x = sp->type == '%' ? v * 100 : v;
        if (isnan(x))
            x = fabs(x); /* Python writes nan, never -nan */
        snprintf(fmt, sizeof fmt, "%%%s.%d%c", sp->sign == '+' ? "+" : sp->sign == ' ' ? " " : "",
                 sp->prec < 0 ? 6 : sp->prec, t);
        snprintf(body, sizeof body, fmt, x);
        if (sp->type == '%')
            strcat(body, "%");
    }
    /* width: numbers align right; '0' pads with zeros after the sign */
    size_t bl = strlen(body);
    int pad = sp->width > (int)bl ? sp->width - (int)bl : 0;
    size_t o = 0;
    char buf[1200];
    if (sp->zero && pad && (body[0] == '-' || body[0] == '+' || body[0] == ' ')) {
        buf[o++] = body[0];
        memmove(body, body + 1, bl--);
    }
    for (int k = 0; k < pad; k++)
        buf[o++] = sp->zero ? '0' : ' ';
    memcpy(buf + o, body, bl + 1);
    if (strlen(buf) >= size)
        return -1;
    memcpy(out, buf, strlen(buf) + 1);
    return 0;
}

int nnm_format_path(char *out, size_t size, const char *fmt, int epoch, const char *const *keys,
                    const double *vals, int nkeys, char *err, size_t errsize)
{
    size_t o = 0;
    for (const char *p = fmt; *p;) {
        char piece[1200];
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            piece[0] = p[0], piece[1] = 0;
            p += 2;
        } else if (*p == '}') {
            snprintf(err, errsize, "a single '}' in the file name (write '}}' for one)");
            return -1;
        } else if (*p == '{') {
            const char *close = strchr(p, '}');
            if (!close) {
                snprintf(err, errsize, "a '{' in the file name is never closed (write '{{' for one)");
                return -1;
            }
            const char *colon = memchr(p, ':', (size_t)(close - p));
            const char *name_end = colon ? colon : close;
            char name[NNM_NAME_MAX];
            size_t nl = (size_t)(name_end - p - 1);
            if (nl == 0 || nl >= sizeof name) {
                snprintf(err, errsize, "a field of the file name needs a key, as in {epoch:02d} or {val_loss:.2f}");
                return -1;
            }
            memcpy(name, p + 1, nl);
            name[nl] = 0;
            int is_int = !strcmp(name, "epoch"), k = is_int ? -1 : nnm_key_index(keys, nkeys, name);
            if (!is_int && k < 0) {
                size_t l = (size_t)snprintf(err, errsize, "the file name names '%s', but this fit logs only epoch", name);
                for (int i = 0; i < nkeys && l < errsize; i++)
                    l += (size_t)snprintf(err + l, errsize - l, "%s %s", i == nkeys - 1 ? " and" : ",", keys[i]);
                return -1;
            }
            Spec sp;
            size_t sl = colon ? (size_t)(close - colon - 1) : 0;
            if (colon && parse_spec(colon + 1, sl, &sp)) {
                snprintf(err, errsize, "nnmc does not support the format spec ':%.*s' in the file name", (int)sl, colon + 1);
                return -1;
            }
            if (!colon)
                parse_spec("", 0, &sp);
            if (!is_int && sp.type == 'd') {
                snprintf(err, errsize, "'%s' is a float: format it with f, e or g, not d", name);
                return -1;
            }
            if (format_field(piece, sizeof piece, &sp, is_int, is_int ? (double)epoch : vals[k])) {
                snprintf(err, errsize, "the file name is too long");
                return -1;
            }
            p = close + 1;
        } else {
            piece[0] = *p++, piece[1] = 0;
        }
        size_t pl = strlen(piece);
        if (o + pl >= size) {
            snprintf(err, errsize, "the file name is too long");
            return -1;
        }
        memcpy(out + o, piece, pl + 1);
        o += pl;
    }
    if (size)
        out[o] = 0;
    return 0;
}

/* ---- the callbacks -------------------------------------------------------- */

static int improved(const NnmCallback *cb, double cur, double best, double delta)
{
    return cb->mode > 0 ? cur - delta > best : cur + delta < best;
}

/* A float32 learning rate as the double of its shortest decimal, so that
 * history['lr'] prints 0.001 rather than 0.0010000000474974513 (Keras's
 * lr is a float32 variable, and numpy prints float32 that way). */
static double float32_decimal(float f)
{
    char buf[40];
    for (int prec = 1; prec <= 9; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, (double)f);
        if (strtof(buf, NULL) == f)
            break;
    }
    return strtod(buf, NULL);
}

int nnm_fit_begin(NnmFit *f, const char *file, const NnmStep *st, Net *n, int chatter,
                  const struct NnmFitResume *resume)
{
    memset(f, 0, sizeof *f);
    f->file = file;
    f->st = st;
    f->n = n;
    f->chatter = chatter;
    f->nkeys = nnm_fit_keys(n->m, st, f->keys, f->key_text);
    f->cs = nnm_xcalloc((size_t)st->ncallbacks + 1, sizeof *f->cs);
    for (int i = 0; i < st->ncallbacks; i++) {
        const NnmCallback *cb = &st->callbacks[i];
        NnmCbState *c = &f->cs[i];
        c->best = cb->has_baseline ? cb->baseline : cb->mode > 0 ? -INFINITY : INFINITY;
        c->csv_keys = -1;
        if (cb->kind == CB_EARLY_STOPPING && cb->restore_best)
            c->best_weights = nnm_xmalloc((size_t)(n->nparams ? n->nparams : 1) * sizeof(float));
        if (resume) {
            const NnmCbState *r = &resume->cs[i];
            c->best = r->best, c->wait = r->wait, c->cooldown = r->cooldown;
            c->stopped_epoch = r->stopped_epoch, c->since_save = r->since_save, c->have_best = r->have_best;
            if (c->best_weights && r->best_weights)
                memcpy(c->best_weights, r->best_weights, sizeof(float) * (size_t)n->nparams);
        }
        if (cb->kind == CB_CSV_LOGGER && resume && resume->csv_size[i] >= 0) {
            /* the rows up to the checkpoint, not those of an epoch it lost;
             * a log shorter than then lost rows nnmc cannot write again */
            struct stat sb;
            if (stat(cb->path, &sb) == 0 && (int64_t)sb.st_size < resume->csv_size[i]) {
                fprintf(stderr, "nnmc: error: %s: shorter than when the checkpoint was written (%lld bytes, not %lld)\n",
                        cb->path, (long long)sb.st_size, (long long)resume->csv_size[i]);
                nnm_fit_end(f);
                return -1;
            }
            if (truncate(cb->path, (off_t)resume->csv_size[i]))
                fprintf(stderr, "nnmc: error: %s: cannot go on writing it: %s\n", cb->path, strerror(errno));
            else
                c->csv = nnm_log_open(cb->path, "a");
            if (!c->csv) {
                nnm_fit_end(f);
                return -1;
            }
            c->csv_keys = resume->cs[i].csv_keys;
        } else if (cb->kind == CB_CSV_LOGGER) {
            /* appending to a file that has rows: they have their header */
            struct stat sb;
            int header = !cb->append || stat(cb->path, &sb) || !S_ISREG(sb.st_mode) || sb.st_size == 0;
            c->csv = nnm_log_open(cb->path, cb->append ? "a" : "w");
            if (!c->csv) {
                nnm_fit_end(f);
                return -1;
            }
            c->csv_keys = header ? -1 : -2; /* -2: the file has its header already */
        }
    }
    return 0;
}

void nnm_fit_epoch_begin(NnmFit *f, int epoch)
{
    for (int i = 0; i < f->st->ncallbacks; i++) {
        const NnmCallback *cb = &f->st->callbacks[i];
        if (cb->kind != CB_LR_SCHEDULER)
            continue;
        double lr = nnm_schedule_lr(&cb->schedule, epoch);
        f->n->opt.lr = (float)lr;
        if (cb->verbose && f->chatter) {
            char r[40];
            nnm_pyfloat(r, sizeof r, lr);
            printf("\nEpoch %05d: LearningRateScheduler setting learning rate to %s.\n", epoch + 1, r);
        }
    }
}

int nnm_fit_batch_end(NnmFit *f, int64_t batch, double loss)
{
    if (isfinite(loss))
        return 0;
    for (int i = 0; i < f->st->ncallbacks; i++)
        if (f->st->callbacks[i].kind == CB_TERMINATE_ON_NAN) {
            if (f->chatter)
                printf("Batch %lld: Invalid loss, terminating training\n", (long long)batch);
            f->stop = 1;
            return 1;
        }
    return 0;
}

static int checkpoint(NnmFit *f, const NnmCallback *cb, NnmCbState *c, int epoch, const double *vals)
{
    if (++c->since_save < cb->period)
        return 0;
    c->since_save = 0;
    for (int k = 0; k < f->nkeys; k++) {
        size_t kl = strlen(f->keys[k]);
        for (const char *at = strchr(cb->path, '{'); at && (f->absent >> k & 1); at = strchr(at + 1, '{'))
            if (!strncmp(at + 1, f->keys[k], kl) && (at[1 + kl] == ':' || at[1 + kl] == '}')) {
                fprintf(stderr, "nnmc: warning: %s:%d: ModelCheckpoint: %s is not available this epoch, skipping\n",
                        f->file, cb->line, f->keys[k]);
                return 0;
            }
    }
    char path[4096], err[300];
    if (nnm_format_path(path, sizeof path, cb->path, epoch + 1, f->keys, vals, f->nkeys, err, sizeof err)) {
        fprintf(stderr, "nnmc: error: %s:%d: ModelCheckpoint: %s\n", f->file, cb->line, err);
        return -1;
    }
    int say = cb->verbose && f->chatter;
    if (cb->save_best_only) {
        int k = nnm_key_index(f->keys, f->nkeys, cb->monitor);
        double cur = vals[k];
        if (!improved(cb, cur, c->best, 0)) {
            if (say)
                printf("\nEpoch %05d: %s did not improve from %0.5f\n", epoch + 1, cb->monitor, c->best);
            return 0;
        }
        if (say)
            printf("\nEpoch %05d: %s improved from %0.5f to %0.5f, saving model to %s\n", epoch + 1, cb->monitor,
                   c->best, cur, path);
        c->best = cur;
    } else if (say) {
        printf("\nEpoch %05d: saving model to %s\n", epoch + 1, path);
    }
    fflush(stdout);
    return net_weights_file(f->n->m, f->n->w, path, 1);
}

static void reduce_lr(NnmFit *f, const NnmCallback *cb, NnmCbState *c, int epoch, double cur)
{
    if (c->cooldown > 0) {
        c->cooldown--;
        c->wait = 0;
    }
    if (improved(cb, cur, c->best, cb->min_delta)) {
        c->best = cur;
        c->wait = 0;
        return;
    }
    if (c->cooldown > 0 || ++c->wait < cb->patience)
        return;
    double old = f->n->opt.lr;
    if (old > cb->min_lr) {
        double lr = old * cb->factor;
        lr = lr > cb->min_lr ? lr : cb->min_lr;
        f->n->opt.lr = (float)lr;
        if (cb->verbose && f->chatter) {
            char r[40];
            nnm_pyfloat(r, sizeof r, lr);
            printf("\nEpoch %05d: ReduceLROnPlateau reducing learning rate to %s.\n", epoch + 1, r);
        }
        c->cooldown = cb->cooldown;
        c->wait = 0;
    }
}

static int compare_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* CSVLogger: the columns are fixed at the first row, sorted; lr is among
 * them when a learning-rate callback ran before this one (it adds lr to
 * the logs).  Rows end in \r\n: Python's csv module writes the excel
 * dialect. */
static int csv_row(NnmFit *f, const NnmCallback *cb, NnmCbState *c, int epoch, const double *vals, int lr_logged)
{
    const char *cols[NNM_MAX_KEYS];
    int nc = 0;
    for (int k = 0; k < f->nkeys; k++)
        if (strcmp(f->keys[k], "lr") || lr_logged)
            cols[nc++] = f->keys[k];
    qsort(cols, (size_t)nc, sizeof *cols, compare_keys);
    if (c->csv_keys == -1) {
        fprintf(c->csv, "epoch");
        for (int k = 0; k < nc; k++)
            fprintf(c->csv, "%c%s", cb->separator, cols[k]);
        fputs("\r\n", c->csv);
    }
    if (c->csv_keys < 0)
        c->csv_keys = nc;
    fprintf(c->csv, "%d", epoch);
    for (int k = 0; k < c->csv_keys; k++) {
        char r[40] = "NA";
        int key = k < nc ? nnm_key_index(f->keys, f->nkeys, cols[k]) : -1;
        if (key >= 0 && !(f->absent >> key & 1))
            nnm_pyfloat(r, sizeof r, vals[key]);
        fprintf(c->csv, "%c%s", cb->separator, r);
    }
    fputs("\r\n", c->csv);
    if (fflush(c->csv) || ferror(c->csv)) {
        fprintf(stderr, "nnmc: error: %s: cannot write: %s\n", cb->path, strerror(errno));
        return -1;
    }
    return 0;
}

int nnm_fit_epoch_end(NnmFit *f, int epoch, double *vals)
{
    int lr_key = nnm_key_index(f->keys, f->nkeys, "lr"), lr_logged = 0;
    if (lr_key >= 0)
        vals[lr_key] = float32_decimal(f->n->opt.lr);
    for (int i = 0; i < f->st->ncallbacks; i++) {
        const NnmCallback *cb = &f->st->callbacks[i];
        NnmCbState *c = &f->cs[i];
        int k = cb->monitor[0] ? nnm_key_index(f->keys, f->nkeys, cb->monitor) : -1;
        int monitored = cb->kind == CB_EARLY_STOPPING || cb->kind == CB_REDUCE_LR ||
                        (cb->kind == CB_MODEL_CHECKPOINT && cb->save_best_only);
        if (k >= 0 && monitored && (f->absent >> k & 1)) {
            /* as Keras 2.2 warns and goes on */
            fprintf(stderr, "nnmc: warning: %s:%d: %s: %s is not available this epoch, skipping\n", f->file,
                    cb->line, nnm_callback_names[cb->kind], cb->monitor);
            continue;
        }
        switch ((NnmCallbackKind)cb->kind) {
        case CB_EARLY_STOPPING:
            NNM_ASSERT(k >= 0);
            if (improved(cb, vals[k], c->best, cb->min_delta)) {
                c->best = vals[k];
                c->wait = 0;
                if (c->best_weights)
                    memcpy(c->best_weights, f->n->w, (size_t)f->n->nparams * sizeof(float));
                c->have_best = 1;
            } else if (++c->wait >= cb->patience) {
                c->stopped_epoch = epoch;
                f->stop = 1;
                if (c->best_weights && c->have_best) {
                    if (cb->verbose && f->chatter)
                        printf("Restoring model weights from the end of the best epoch\n");
                    memcpy(f->n->w, c->best_weights, (size_t)f->n->nparams * sizeof(float));
                }
            }
            break;
        case CB_MODEL_CHECKPOINT:
            if (checkpoint(f, cb, c, epoch, vals))
                return -1;
            break;
        case CB_REDUCE_LR:
            NNM_ASSERT(k >= 0);
            reduce_lr(f, cb, c, epoch, vals[k]);
            lr_logged = 1;
            break;
        case CB_LR_SCHEDULER:
            lr_logged = 1;
            break;
        case CB_CSV_LOGGER:
            if (csv_row(f, cb, c, epoch, vals, lr_logged))
                return -1;
            break;
        case CB_TERMINATE_ON_NAN:
            break;
        case CB_COUNT:
            NNM_UNREACHABLE();
        }
    }
    fflush(stdout);
    return 0;
}

int nnm_fit_end(NnmFit *f)
{
    int rc = 0;
    for (int i = 0; i < f->st->ncallbacks; i++) {
        const NnmCallback *cb = &f->st->callbacks[i];
        NnmCbState *c = &f->cs[i];
        if (cb->kind == CB_EARLY_STOPPING && c->stopped_epoch > 0 && cb->verbose && f->chatter)
            printf("Epoch %05d: early stopping\n", c->stopped_epoch + 1);
        if (c->csv && fclose(c->csv)) {
            fprintf(stderr, "nnmc: error: %s: cannot write: %s\n", cb->path, strerror(errno));
            rc = -1;
        }
        free(c->best_weights);
    }
    free(f->cs);
    f->cs = NULL;
    fflush(stdout);
    return rc;
}
