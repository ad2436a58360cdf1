/* compiler/emit.c — see emit.h.
 *
 * Layout of an emitted program:
 *   1. a header comment and the settings the runtime text expects
 *   2. the runtime sources, each #include "..." replaced by the file's text
 *      (headers once; the .def X-macro lists every time), exec.c left out
 *   3. the program's IR as static const data: layers, models, data sets,
 *      print items, steps
 *   4. per model, forward and backward functions that call the layer kinds'
 *      functions directly with constant layer descriptions
 *   5. main(): options, then every step in source order
 *
 * Text from the .nnm file (names, strings, paths, source lines) reaches the
 * C only through nnm_emit_cstr (string literals) and put_comment (comments
 * that cannot be closed early), so no input can change the program's
 * meaning. */
#include "emit.h"
#include "layer.h"
#include "util.h"

#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

/* A new field in these structs must be emitted below: the sizes (on 64-bit
 * Linux) are a reminder, checked at build time. */
#if UINTPTR_MAX == 0xffffffffffffffffu && defined(__linux__)
_Static_assert(sizeof(NnmLayer) == 320, "NnmLayer changed: update put_layer() in emit.c");
_Static_assert(sizeof(NnmStep) == 6176, "NnmStep changed: update put_step() in emit.c");
_Static_assert(sizeof(NnmAugment) == 80, "NnmAugment changed: update put_step() in emit.c");
_Static_assert(sizeof(NnmOptim) == 424, "NnmOptim changed: update put_optim() in emit.c");
_Static_assert(sizeof(NnmModel) == 2768, "NnmModel changed: update the models in emit.c");
_Static_assert(sizeof(NnmMetric) == 24, "NnmMetric changed: update the models in emit.c");
_Static_assert(sizeof(NnmCallback) == 512, "NnmCallback changed: update put_callback() in emit.c");
_Static_assert(sizeof(NnmSchedule) == 344, "NnmSchedule changed: update put_schedule() in emit.c");
_Static_assert(sizeof(NnmDataset) == 104, "NnmDataset changed: update the data sets in emit.c");
#endif

/* enum constant names, without their prefix */
#define ID(id, name) #id,
static const char *const kind_ids[] = {
#define X(ID_, sym) #ID_,
#include "layers.def"
#undef X
};
static const char *const kind_syms[] = {
#define X(ID_, sym) #sym,
#include "layers.def"
#undef X
};
static const char *const act_ids[] = {NNM_ACTIVATIONS(ID)};
static const char *const init_ids[] = {NNM_INITIALIZERS(ID)};
static const char *const loss_ids[] = {NNM_LOSSES(ID)};
static const char *const optim_ids[] = {NNM_OPTIMIZERS(ID)};
static const char *const sched_ids[] = {NNM_SCHEDULES(ID)};
static const char *const callback_ids[] = {NNM_CALLBACKS(ID)};
static const char *const metric_ids[] = {NNM_METRICS(ID)};
#undef ID
static const char *const step_ids[] = {"STEP_PRINT", "STEP_FIT",  "STEP_EVALUATE",
                                       "STEP_PREDICT", "STEP_SAVE", "STEP_LOAD"};
static const char *const pad_ids[] = {"PAD_VALID", "PAD_SAME", "PAD_CAUSAL"};
static const char *const source_ids[] = {"DS_MNIST", "DS_FASHION_MNIST", "DS_CIFAR10", "DS_CSV"};

void nnm_emit_cstr(FILE *out, const char *s)
{
    if (!s) {
        fputs("NULL", out);
        return;
    }
    fputc('"', out);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\' || *c == '?')
            fprintf(out, "\\%c", *c);
        else if (*c == '\n')
            fputs("\\n", out);
        else if (*c < 32 || *c > 126)
            fprintf(out, "\\%03o", *c); /* always 3 digits: a following digit cannot join */
        else
            fputc(*c, out);
    }
    fputc('"', out);
}

/* Text inside a comment: no way to end the comment, no line splice, no
 * trigraph, printable ASCII only. */
void emit_comment_text(FILE *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n && s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '*' && i + 1 < n && s[i + 1] == '/')
            fputs("* ", out);
        else if (c == '/' && i + 1 < n && s[i + 1] == '*')
            fputs("/ ", out);
        else if (c == '?' || c == '\\' || c < 32 || c > 126)
            fputc(c == '\t' ? ' ' : '_', out);
        else
            fputc(c, out);
    }
}

/* "/ * file.nnm:LINE: the source line * /" before the code it produced. */
void emit_origin(Emitter *e, int line, const char *indent)
{
    const char *t = e->src->text, *end = t + e->src->size;
    for (int l = 1; l < line && t < end; t++)
        if (*t == '\n')
            l++;
    const char *eol = t;
    while (eol < end && *eol != '\n')
        eol++;
    while (t < eol && (*t == ' ' || *t == '\t'))
        t++;
    fprintf(e->out, "%s/* ", indent);
    emit_comment_text(e->out, e->src->name, strlen(e->src->name));
    fprintf(e->out, ":%d: ", line);
    size_t n = (size_t)(eol - t);
    emit_comment_text(e->out, t, n > 160 ? 160 : n);
    fputs(n > 160 ? " ... */\n" : " */\n", e->out);
}

static void put_double(FILE *out, double v)
{
    char buf[40];
    if (isnan(v))
        fputs("NAN", out);
    else if (isinf(v))
        fputs(v > 0 ? "HUGE_VAL" : "-HUGE_VAL", out);
    else {
        nnm_pyfloat(buf, sizeof buf, v); /* the shortest text that reads back as v */
        fputs(buf, out);
    }
}

/* ", .name = value" for the double fields of a struct */
typedef struct {
    const char *name;
    size_t off;
} DoubleField;

static void put_double_fields(FILE *o, const void *obj, const DoubleField *f)
{
    for (; f->name; f++) {
        double v;
        memcpy(&v, (const char *)obj + f->off, sizeof v);
        fprintf(o, ", .%s = ", f->name);
        put_double(o, v);
    }
}

static void put_doubles(FILE *o, const double *v, int n)
{
    fputc('{', o);
    for (int i = 0; i < n; i++) {
        if (i)
            fputs(", ", o);
        put_double(o, v[i]);
    }
    fputc('}', o);
}

static void put_i64s(FILE *out, const int64_t *v, int n)
{
    fputc('{', out);
    for (int i = 0; i < n; i++)
        fprintf(out, "%s%" PRId64, i ? ", " : "", v[i]);
    fputc('}', out);
}

static void put_shape(FILE *out, const NnmShape *s)
{
    fprintf(out, "{%d, ", s->rank);
    put_i64s(out, s->dim, NNM_MAX_RANK);
    fputc('}', out);
}

/* ---- 2. the runtime text ---------------------------------------------- */

int emit_find_text(const char *name)
{
    for (int i = 0; nnm_runtime_texts[i].name; i++)
        if (!strcmp(nnm_runtime_texts[i].name, name))
            return i;
    return -1;
}

int emit_text_is(int i, const char *suffix)
{
    size_t n = strlen(nnm_runtime_texts[i].name), k = strlen(suffix);
    return n > k && !strcmp(nnm_runtime_texts[i].name + n - k, suffix);
}

int emit_is_program_source(int i) { return emit_text_is(i, ".c") && strcmp(nnm_runtime_texts[i].name, "exec.c"); }

void emit_runtime_file(Emitter *e, int idx)
{
    const NnmSourceText *f = &nnm_runtime_texts[idx];
    NNM_ASSERT(idx < (int)sizeof e->done);
    e->done[idx] = 1;
    fprintf(e->out, "/* ---- %s ---- */\n", f->path);
    for (const char *line = f->text; *line;) {
        const char *eol = strchr(line, '\n');
        size_t n = eol ? (size_t)(eol - line) + 1 : strlen(line);
        const char *q = line;
        while (*q == ' ')
            q++;
        char inc[64];
        int j;
        if (sscanf(q, "#include \"%63[^\"]\"", inc) == 1 && (j = emit_find_text(inc)) >= 0) {
            int is_def = strstr(inc, ".def") != NULL;
            if (is_def) { /* an X-macro list: its text wherever it is included */
                fputs(nnm_runtime_texts[j].text, e->out);
            } else if (!e->done[j]) {
                emit_runtime_file(e, j);
                fprintf(e->out, "/* ---- (back in) %s ---- */\n", f->path);
            }
        } else {
            fwrite(line, 1, n, e->out);
        }
        line += n;
    }
}

static void put_runtime(Emitter *e)
{
    for (int i = 0; nnm_runtime_texts[i].name; i++)
        if (emit_is_program_source(i) && !e->done[i])
            emit_runtime_file(e, i);
}

/* ---- 3. the IR as constants ------------------------------------------- */

/* One schema entry's value, as a C initializer of its member. */
static void put_arg(FILE *o, const ArgSpec *as, const void *p)
{
    int iv;
    memcpy(&iv, p, sizeof iv);
    switch (as->type) {
    case ARG_INT: {
        int64_t v;
        memcpy(&v, p, sizeof v);
        fprintf(o, "%" PRId64, v);
        return;
    }
    case ARG_FLOAT: {
        double v;
        memcpy(&v, p, sizeof v);
        put_double(o, v);
        return;
    }
    case ARG_ACT: fprintf(o, "ACT_%s", act_ids[iv]); return;
    case ARG_INIT: fprintf(o, "INIT_%s", init_ids[iv]); return;
    case ARG_PADDING: fputs(pad_ids[iv], o); return;
    case ARG_BOOL: case ARG_CHOICE: fprintf(o, "%d", iv); return;
    case ARG_PAIR: put_i64s(o, p, 2); return;
    case ARG_EDGES: put_i64s(o, p, 4); return;
    case ARG_INTS: put_i64s(o, p, as->count); return;
    case ARG_SHAPE: put_shape(o, p); return;
    case ARG_REGULARIZER: case ARG_RANGE: put_doubles(o, p, 2); return;
    case ARG_FORMAT: case ARG_NONE_ONLY: case ARG_IGNORED: break;
    }
    NNM_UNREACHABLE();
}

/* Whether the member of entry i is written by another entry: one whose
 * member holds it (Conv1D's kernel_size is kernel[1] of the derived
 * kernel), or an earlier one for the same member. */
static int arg_covered(const ArgSpec *args, int i)
{
    size_t lo = args[i].off, hi = lo + layer_arg_size(&args[i]);
    for (int j = 0; args[j].name; j++) {
        size_t jl = args[j].off, jh = jl + layer_arg_size(&args[j]);
        if (j == i || args[j].hdr || jh == jl || jl > lo || jh < hi)
            continue;
        if (jh - jl > hi - lo || j < i)
            return 1;
    }
    return 0;
}

/* "static T NAME = {.member = value, ...};": the attributes of a layer,
 * every member the kind's schema describes. */
static void put_layer_attr(Emitter *e, const NnmLayer *l, const char *name)
{
    const LayerKind *lk = layer_kinds[l->kind];
    FILE *o = e->out;
    fprintf(o, "static %s %s = {", lk->attr_type, name);
    int n = 0;
    for (int i = 0; lk->args[i].name; i++) {
        const ArgSpec *as = &lk->args[i];
        const void *p = layer_arg_ptr(l, as);
        if (!p || as->hdr || arg_covered(lk->args, i))
            continue;
        fprintf(o, "%s.%s = ", n++ ? ", " : "", as->field);
        put_arg(o, as, p);
    }
    fputs("};\n", o);
}

/* One NnmLayer initializer; attr names its attributes' static, or NULL. */
static void put_layer(Emitter *e, const NnmLayer *l, const char *attr)
{
    FILE *o = e->out;
    emit_origin(e, l->line, "    ");
    fprintf(o, "    {.kind = LK_%s, .name = ", kind_ids[l->kind]);
    nnm_emit_cstr(o, l->name);
    fputs(", .in = ", o);
    put_shape(o, &l->in);
    fputs(", .out = ", o);
    put_shape(o, &l->out);
    fprintf(o, ", .nin = %d, .inputs = {", l->nin);
    for (int k = 0; k < l->nin; k++)
        fprintf(o, "%s%d", k ? ", " : "", l->inputs[k]);
    fprintf(o, "}, .weights_of = %d, .layer_id = %d", l->weights_of, l->layer_id);
    fprintf(o, ",\n     .act = ACT_%s, .alpha = ", act_ids[l->act]);
    put_double(o, l->alpha);
    fputs(", .reg = {", o);
    for (int r = 0; r < 3; r++) {
        fputs(r ? ", " : "", o);
        put_doubles(o, l->reg[r], 2);
    }
    fputc('}', o);
    fprintf(o, ", .nparams = %" PRId64 ", .nfrozen = %" PRId64 ", .line = %d", l->nparams, l->nfrozen, l->line);
    if (attr)
        fprintf(o, ",\n     .attr = &%s", attr);
    fputs("},\n", o);
}

void emit_layers(Emitter *e, const char *array, const NnmLayer *layers, int n)
{
    FILE *o = e->out;
    char name[64];
    for (int i = 0; i < n; i++)
        if (layers[i].attr) {
            snprintf(name, sizeof name, "%s_attr%d", array, i);
            put_layer_attr(e, &layers[i], name);
        }
    fprintf(o, "static const NnmLayer %s[%d] = {\n", array, n);
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "%s_attr%d", array, i);
        put_layer(e, &layers[i], layers[i].attr ? name : NULL);
    }
    fputs("};\n", o);
}

static void put_schedule(FILE *o, const NnmSchedule *sc)
{
    static const DoubleField fields[] = {
        {"initial", offsetof(NnmSchedule, initial)}, {"steps", offsetof(NnmSchedule, steps)},
        {"rate", offsetof(NnmSchedule, rate)},       {"alpha", offsetof(NnmSchedule, alpha)},
        {"power", offsetof(NnmSchedule, power)},     {"warmup_target", offsetof(NnmSchedule, warmup_target)},
        {"warmup_steps", offsetof(NnmSchedule, warmup_steps)}, {NULL, 0}};
    fprintf(o, "{.kind = SCHED_%s", sched_ids[sc->kind]);
    if (sc->kind != SCHED_NONE) {
        put_double_fields(o, sc, fields);
        fprintf(o, ", .staircase = %d, .cycle = %d, .npieces = %d, .boundaries = ", sc->staircase, sc->cycle,
                sc->npieces);
        put_doubles(o, sc->boundaries, sc->npieces ? sc->npieces : 1);
        fputs(", .values = ", o);
        put_doubles(o, sc->values, sc->npieces + 1);
    }
    fputc('}', o);
}

static void put_callback(FILE *o, const NnmCallback *cb)
{
    static const DoubleField fields[] = {
        {"min_delta", offsetof(NnmCallback, min_delta)}, {"baseline", offsetof(NnmCallback, baseline)},
        {"factor", offsetof(NnmCallback, factor)},       {"min_lr", offsetof(NnmCallback, min_lr)},
        {NULL, 0}};
    fprintf(o, "    {.kind = CB_%s, .line = %d, .monitor = ", callback_ids[cb->kind], cb->line);
    nnm_emit_cstr(o, cb->monitor);
    fprintf(o, ", .mode = %d, .has_baseline = %d", cb->mode, cb->has_baseline);
    put_double_fields(o, cb, fields);
    fprintf(o, ",\n     .patience = %d, .verbose = %d, .restore_best = %d, .cooldown = %d, .save_best_only = %d,"
               " .save_weights_only = %d, .period = %d, .append = %d, .separator = %d, .path = ",
            cb->patience, cb->verbose, cb->restore_best, cb->cooldown, cb->save_best_only, cb->save_weights_only,
            cb->period, cb->append, cb->separator);
    nnm_emit_cstr(o, cb->path);
    fputs(",\n     .schedule = ", o);
    put_schedule(o, &cb->schedule);
    fputs("},\n", o);
}

static void put_optim(FILE *o, const NnmOptim *op)
{
    static const DoubleField fields[] = {
        {"lr", offsetof(NnmOptim, lr)},         {"momentum", offsetof(NnmOptim, momentum)},
        {"rho", offsetof(NnmOptim, rho)},       {"epsilon", offsetof(NnmOptim, epsilon)},
        {"beta_1", offsetof(NnmOptim, beta_1)}, {"beta_2", offsetof(NnmOptim, beta_2)},
        {"decay", offsetof(NnmOptim, decay)},   {"schedule_decay", offsetof(NnmOptim, schedule_decay)},
        {NULL, 0}};
    fprintf(o, "{.kind = OPT_%s", optim_ids[op->kind]);
    put_double_fields(o, op, fields);
    fprintf(o, ",\n               .nesterov = %d, .amsgrad = %d, .schedule = ", op->nesterov, op->amsgrad);
    put_schedule(o, &op->schedule);
    fputc('}', o);
}

/* the first n array references of a step's field (one per input or output) */
static void put_refs(FILE *o, const char *field, const NnmArrayRef *refs, int n)
{
    if (n == 0)
        return;
    fprintf(o, ", .%s = {", field);
    for (int k = 0; k < n; k++) {
        const NnmArrayRef *r = &refs[k];
        fprintf(o, "%s{%d, %d, %" PRId64 ", %" PRId64 ", %" PRId64 ", %d, %d, {", k ? ", " : "", r->dataset, r->test,
                r->begin, r->end, r->expect_n, r->line, r->mapped);
        for (int c = 0; c < NNM_MAX_CLASSES; c++)
            fprintf(o, "%s%d", c ? ", " : "", r->map[c]);
        fprintf(o, "}, %d, {", r->nchan);
        for (int c = 0; c < r->nchan; c++) /* hexadecimal: the very same floats */
            fprintf(o, "%s%a", c ? ", " : "", (double)r->mul[c]);
        fputs(r->nchan ? "}, {" : "0}, {", o);
        for (int c = 0; c < r->nchan; c++)
            fprintf(o, "%s%a", c ? ", " : "", (double)r->add[c]);
        fputs(r->nchan ? "}}" : "0}}", o);
    }
    fputc('}', o);
}

static void put_step(Emitter *e, int i, const NnmStep *st)
{
    FILE *o = e->out;
    emit_origin(e, st->line, "    ");
    fprintf(o, "    {.kind = %s, .line = %d, .model = %d", step_ids[st->kind], st->line, st->model);
    const NnmModel *md = st->model >= 0 ? &e->p->models[st->model] : NULL;
    int nx = md ? md->ninputs : 0, ny = md ? md->noutputs : 0;
    put_refs(o, "x", st->x, nx);
    put_refs(o, "y", st->y, ny);
    put_refs(o, "vx", st->vx, nx);
    put_refs(o, "vy", st->vy, ny);
    fprintf(o, ",\n     .has_val_data = %d, .val_split = ", st->has_val_data);
    put_double(o, st->val_split);
    fprintf(o, ", .batch_size = %" PRId64 ", .epochs = %d, .verbose = %d, .shuffle = %d,\n"
               "     .initial_epoch = %d, .ncallbacks = %d, .callbacks = ",
            st->batch_size, st->epochs, st->verbose, st->shuffle, st->initial_epoch, st->ncallbacks);
    if (st->ncallbacks)
        fprintf(o, "callbacks_%d", i);
    else
        fputs("NULL", o);
    const NnmAugment *au = &st->aug;
    fprintf(o, ", .steps = %d,\n     .aug = {.on = %d, .rotation = ", st->steps, au->on);
    put_double(o, au->rotation);
    fputs(", .width_shift = ", o);
    put_double(o, au->width_shift);
    fputs(", .height_shift = ", o);
    put_double(o, au->height_shift);
    fputs(", .shear = ", o);
    put_double(o, au->shear);
    fputs(", .zoom = ", o);
    put_doubles(o, au->zoom, 2);
    fprintf(o, ", .hflip = %d, .vflip = %d, .fill = %d, .cval = ", au->hflip, au->vflip, au->fill);
    put_double(o, au->cval);
    fputs("},\n    ", o);
    int weighed = 1; /* the outputs written: up to the last with class weights */
    for (int k = 0; k < NNM_MAX_IO; k++)
        if (st->nclass_weights[k])
            weighed = k + 1;
    fputs(" .nclass_weights = {", o);
    for (int k = 0; k < weighed; k++)
        fprintf(o, "%s%d", k ? ", " : "", st->nclass_weights[k]);
    fputs("}, .class_weight = {", o);
    for (int k = 0; k < weighed; k++) {
        if (st->nclass_weights[k])
            fprintf(o, "%sclass_weight_%d_%d", k ? ", " : "", i, k);
        else
            fprintf(o, "%sNULL", k ? ", " : "");
    }
    fputs("}", o);
    fputs(", .path = ", o);
    nnm_emit_cstr(o, st->path);
    fprintf(o, ",\n     .result = %d, .nitems = %d, .items = ", st->result, st->nitems);
    if (st->nitems)
        fprintf(o, "items_%d", i);
    else
        fputs("NULL", o);
    fprintf(o, ", .chatter = %d},\n", st->chatter);
}

static void put_program(Emitter *e)
{
    const NnmProgram *p = e->p;
    FILE *o = e->out;
    fputs("\n/* ==== the program: its IR as constants ==== */\n\n", o);
    for (int m = 0; m < p->nmodels; m++) {
        const NnmModel *md = &p->models[m];
        if (md->nlayers) {
            char array[32];
            snprintf(array, sizeof array, "m%d_layers", m);
            emit_layers(e, array, md->layers, md->nlayers);
        }
    }
    fprintf(o, "static const NnmModel models[%d] = {\n", p->nmodels ? p->nmodels : 1);
    for (int m = 0; m < p->nmodels; m++) {
        const NnmModel *md = &p->models[m];
        fputs("    {.name = ", o);
        nnm_emit_cstr(o, md->name);
        fprintf(o, ", .nlayers = %d, .layers = ", md->nlayers);
        if (md->nlayers)
            fprintf(o, "m%d_layers", m);
        else
            fputs("NULL", o);
        fprintf(o, ", .ninputs = %d, .inputs = {", md->ninputs);
        for (int k = 0; k < md->ninputs; k++) {
            fputs(k ? ", " : "", o);
            put_shape(o, &md->inputs[k]);
        }
        fputs("}, .input_names = {", o);
        for (int k = 0; k < md->ninputs; k++) {
            fputs(k ? ", " : "", o);
            nnm_emit_cstr(o, md->input_names[k]);
        }
        fprintf(o, "},\n     .compiled = %d, .noutputs = %d, .outputs = {", md->compiled, md->noutputs);
        for (int j = 0; j < md->noutputs; j++) {
            const NnmOutput *out = &md->outputs[j];
            fprintf(o, "%s\n      {.node = %d, .loss = LOSS_%s, .weight = ", j ? "," : "", out->node, loss_ids[out->loss]);
            put_double(o, out->weight);
            fputs(", .label_smoothing = ", o);
            put_double(o, out->label_smoothing);
            fprintf(o, ", .nmetrics = %d, .metrics = {", out->nmetrics);
            for (int k = 0; k < out->nmetrics; k++) {
                const NnmMetric *mt = &out->metrics[k];
                fprintf(o, "%s{MET_%s, %d, %d, ", k ? ", " : "", metric_ids[mt->kind], mt->k, mt->average);
                put_double(o, mt->threshold);
                fputc('}', o);
            }
            fputs("}}", o);
        }
        fputs("},\n     .optim = ", o);
        put_optim(o, &md->optim);
        fputs("},\n", o);
    }
    fputs("};\n", o);
    fprintf(o, "static const NnmDataset datasets[%d] = {\n", p->ndatasets ? p->ndatasets : 1);
    for (int d = 0; d < p->ndatasets; d++) {
        const NnmDataset *ds = &p->datasets[d];
        fprintf(o, "    {.source = %s, .nclasses = %d, .filtered = %d, .classes = {", source_ids[ds->source],
                ds->nclasses, ds->filtered);
        for (int c = 0; c < NNM_MAX_CLASSES; c++)
            fprintf(o, "%s%d", c ? ", " : "", ds->classes[c]);
        fputs("}", o);
        if (ds->source == DS_CSV) {
            fputs(",\n     .path = ", o);
            nnm_emit_cstr(o, ds->path);
            fprintf(o, ", .label_column = %d, .standardize = %d, .test_split = ", ds->label_column, ds->standardize);
            put_double(o, ds->test_split);
            fprintf(o, ", .split_seed = UINT64_C(%" PRIu64 "), .features = %" PRId64 ", .rows = %" PRId64,
                    ds->split_seed, ds->features, ds->rows);
        }
        fputs("},\n", o);
    }
    fputs("};\n", o);
    for (int i = 0; i < p->nsteps; i++) {
        const NnmStep *st = &p->steps[i];
        if (!st->nitems)
            continue;
        fprintf(o, "static const NnmPrintItem items_%d[%d] = {\n", i, st->nitems);
        for (int k = 0; k < st->nitems; k++) {
            fputs("    {", o);
            nnm_emit_cstr(o, st->items[k].text);
            fprintf(o, ", %d, %d},\n", st->items[k].result, st->items[k].index);
        }
        fputs("};\n", o);
    }
    for (int i = 0; i < p->nsteps; i++) {
        const NnmStep *st = &p->steps[i];
        if (st->ncallbacks) {
            fprintf(o, "static const NnmCallback callbacks_%d[%d] = {\n", i, st->ncallbacks);
            for (int k = 0; k < st->ncallbacks; k++)
                put_callback(o, &st->callbacks[k]);
            fputs("};\n", o);
        }
        for (int k = 0; k < NNM_MAX_IO; k++)
            if (st->nclass_weights[k]) {
                fprintf(o, "static const double class_weight_%d_%d[%d] = ", i, k, st->nclass_weights[k]);
                put_doubles(o, st->class_weight[k], st->nclass_weights[k]);
                fputs(";\n", o);
            }
    }
    fprintf(o, "static const NnmStep steps[%d] = {\n", p->nsteps ? p->nsteps : 1);
    for (int i = 0; i < p->nsteps; i++)
        put_step(e, i, &p->steps[i]);
    fputs("};\n", o);
    fputs("static const NnmProgram program = {\n    .file = ", o);
    nnm_emit_cstr(o, p->file);
    fprintf(o, ", .nmodels = %d, .ndatasets = %d, .nsteps = %d, .nresults = %d,\n", p->nmodels,
            p->ndatasets, p->nsteps, p->nresults);
    fprintf(o, "    .models = models, .datasets = datasets, .steps = steps, .summaries = NULL,\n");
    fprintf(o, "    .has_seed = %d, .seed = UINT64_C(%" PRIu64 "),\n};\n", p->has_seed, p->seed);
}

/* ---- 4. forward and backward ------------------------------------------ */

static void put_passes(Emitter *e, int m)
{
    FILE *o = e->out;
    const NnmModel *md = &e->p->models[m];
    fprintf(o, "\n/* model %d (", m);
    emit_comment_text(o, md->name, strlen(md->name));
    fprintf(o, "): its layers in order, then in reverse */\n");
    fprintf(o, "static void m%d_forward(Net *n, int64_t batch, int training)\n{\n", m);
    if (!md->nlayers)
        fputs("    (void)n;\n    (void)batch;\n    (void)training;\n", o);
    else
        fputs("    LayerRun r;\n", o);
    for (int i = 0; i < md->nlayers; i++) {
        const NnmLayer *l = &md->layers[i];
        emit_origin(e, l->line, "    ");
        fprintf(o, "    r = net_layer_run(n, %d, batch, training);\n    r.l = &m%d_layers[%d];\n", i, m, i);
        fprintf(o, "    layer_%s.forward(&r);\n", kind_syms[l->kind]);
    }
    fprintf(o, "}\n\nstatic void m%d_backward(Net *n, int64_t batch)\n{\n", m);
    if (!md->nlayers)
        fputs("    (void)n;\n    (void)batch;\n", o);
    else
        fputs("    LayerRun r;\n", o);
    for (int i = md->nlayers - 1; i >= 0; i--) {
        const NnmLayer *l = &md->layers[i];
        emit_origin(e, l->line, "    ");
        fprintf(o, "    r = net_layer_back(n, %d, batch);\n    r.l = &m%d_layers[%d];\n", i, m, i);
        fprintf(o, "    layer_%s.backward(&r);\n    net_layer_back_end(n, %d, &r);\n", kind_syms[l->kind], i);
    }
    fputs("}\n", o);
}

/* ---- 5. main ------------------------------------------------------------ */

static void put_main(Emitter *e)
{
    const NnmProgram *p = e->p;
    FILE *o = e->out;
    fputs("\nint main(int argc, char **argv)\n{\n"
          "    NnmRunArgs ra;\n"
          "    int status = nnm_program_args(&ra, argc, argv);\n"
          "    if (status >= 0)\n"
          "        return status;\n"
          "    if (nnm_run_args_finish(&ra, &program))\n"
          "        return 1;\n"
          "    NnmSession s;\n"
          "    int rc = nnm_session_open(&s, &program, &ra.o);\n",
          o);
    for (int m = 0; m < p->nmodels; m++)
        fprintf(o, "    s.nets[%d].forward_fn = m%d_forward;\n    s.nets[%d].backward_fn = m%d_backward;\n", m,
                m, m, m);

    static const char *const fns[] = {"nnm_step_print", "nnm_step_fit", "nnm_step_infer",
                                      "nnm_step_infer", "nnm_step_weights", "nnm_step_weights"};
    for (int i = 0; i < p->nsteps; i++) {
        const NnmStep *st = &p->steps[i];
        emit_origin(e, st->line, "    ");
        if (st->kind == STEP_PRINT)
            fprintf(o, "    if (rc == 0)\n        %s(&s, &steps[%d]);\n", fns[st->kind], i);
        else
            fprintf(o, "    if (rc == 0)\n        rc = %s(&s, &steps[%d]);\n", fns[st->kind], i);
    }
    fputs("    nnm_session_close(&s);\n    return rc ? 1 : 0;\n}\n", o);
}

int nnm_emit_ir(const NnmProgram *p, const SrcFile *src, FILE *out)
{
    Emitter e = {.out = out, .p = p, .src = src};
    fputs("/* The IR of ", out);
    emit_comment_text(out, src->name, strlen(src->name));
    fputs(", as `nnmc emit` writes it into the program (part 3). */\n", out);
    put_program(&e);
    fflush(out);
    return ferror(out) ? -1 : 0;
}

void nnm_emit_prelude(FILE *out)
{
    fputs("#if defined(__FAST_MATH__)\n"
          "#error \"this program computes exactly what nnmc run computes only without -ffast-math\"\n"
          "#endif\n"
          "#ifndef _POSIX_C_SOURCE\n#define _POSIX_C_SOURCE 200809L\n#endif\n",
          out);
    fputs("#if defined(__clang__)\n#pragma STDC FP_CONTRACT OFF\n#endif\n", out);
}

/* The runtime's text of "typedef struct {...} TYPE;" when a .c file of it
 * holds one (nothing when a header does: the model's part includes those). */
static void put_attr_typedef(FILE *out, const char *type)
{
    char end[80];
    snprintf(end, sizeof end, "\n} %s;\n", type);
    for (int i = 0; nnm_runtime_texts[i].name; i++) {
        const char *text = nnm_runtime_texts[i].text;
        const char *at = emit_text_is(i, ".c") ? strstr(text, end) : NULL;
        if (!at)
            continue;
        const char *from = NULL;
        for (const char *q = text; (q = strstr(q, "typedef struct {")) && q < at; q++)
            from = q;
        NNM_ASSERT(from);
        fprintf(out, "%.*s\n", (int)(at + strlen(end) - 1 - from), from);
        return;
    }
}

static void put_model_part(Emitter *e)
{
    /* what the constants and main() use (NAN, UINT64_C, ...), stated here
     * rather than left to the runtime's files: the model's part is also
     * compiled alone (nnm_emit_model_part) */
    fputs("#include <math.h>\n#include <stddef.h>\n#include <stdint.h>\n#include <stdio.h>\n#include <stdlib.h>\n"
          "#include <string.h>\n",
          e->out);
    put_program(e);
    for (int m = 0; m < e->p->nmodels; m++)
        put_passes(e, m);
    put_main(e);
}

int nnm_emit(const NnmProgram *p, const SrcFile *src, FILE *out)
{
    Emitter e = {.out = out, .p = p, .src = src};
    fputs("/* Generated by nnmc from ", out);
    emit_comment_text(out, src->name, strlen(src->name));
    fputs(".\n"
          " * A standalone program that trains as `nnmc run` does, with the same\n"
          " * options, output and weight files.  Build it with a C11 compiler:\n"
          " *   cc -std=c11 -O3 -o prog prog.c",
          out);
    fputs(" -lz -lm -lpthread\n", out);
    fputs(" * Exactness needs IEEE arithmetic: no -ffast-math, no contraction\n"
          " * into fused multiply-adds (-std=c11 gives both with gcc). */\n",
          out);
    nnm_emit_prelude(out);
    fputc('\n', out);
    put_runtime(&e);
    put_model_part(&e);
    fflush(out);
    return ferror(out) ? -1 : 0;
}

int nnm_emit_model_part(const NnmProgram *p, const SrcFile *src, FILE *out)
{
    Emitter e = {.out = out, .p = p, .src = src};
    fputs("/* The model's part of the program nnmc emits from ", out);
    emit_comment_text(out, src->name, strlen(src->name));
    fputs(", for a runtime compiled apart. */\n", out);
    nnm_emit_prelude(out);
    for (int i = 0; nnm_runtime_texts[i].name; i++)
        if (emit_text_is(i, ".h"))
            fprintf(out, "#include \"%s\"\n", nnm_runtime_texts[i].name);
    /* the attribute structs the program's layers name and that their kinds'
     * files define (layer.h's contract: one typedef each, of header names) */
    const char *done[64];
    int ndone = 0;
    for (int m = 0; m < p->nmodels; m++)
        for (int i = 0; i < p->models[m].nlayers; i++) {
            const char *t = layer_kinds[p->models[m].layers[i].kind]->attr_type;
            int seen = !t;
            for (int k = 0; k < ndone && !seen; k++)
                seen = !strcmp(done[k], t);
            if (seen)
                continue;
            NNM_ASSERT(ndone < 64);
            done[ndone++] = t;
            put_attr_typedef(out, t);
        }
    put_model_part(&e);
    fflush(out);
    return ferror(out) ? -1 : 0;
}
