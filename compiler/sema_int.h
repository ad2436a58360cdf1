/* compiler/sema_int.h — what the compiler's files share (sema.c and
 * everything it calls to make the IR). */
#ifndef NNM_SEMA_INT_H
#define NNM_SEMA_INT_H
#include "sema.h"
#include "value.h"

#define ARGS_MAX 32

typedef struct Binding Binding;
struct Binding {
    const char *name;
    Value *v;
    Binding *next;      /* all bindings, newest first (for "did you mean") */
    Binding *chain;     /* next in the same hash bucket */
};

#define ENV_BUCKETS 4096 /* names hash into buckets, so lookups stay O(1) */

typedef struct {
    const char *name;   /* NULL for positional */
    Value *v;
    const Ast *node;    /* the argument (the kwarg node for keywords) */
} Arg;

typedef struct {
    int npos, nkw;
    Arg pos[ARGS_MAX], kw[ARGS_MAX];
    const Ast *call;
} Args;

/* A formal parameter: name, whether it can be given by position. */
typedef struct {
    const char *name;
    int positional, required;
} Param;

typedef struct ModelLink ModelLink;
struct ModelLink {
    ModelV *m;
    ModelLink *next;
};

typedef struct {
    Arena *arena;
    ModelLink *models;
    Diag *diag;
    const SrcFile *src;
    Binding *env;
    Binding *buckets[ENV_BUCKETS];
    NnmProgram *prog;
    int cap_models, cap_steps, cap_data;
    int name_count[LK_COUNT]; /* auto names: dense_1, dense_2, ... */
    int model_count;          /* sequential_1, ... */
    int functional_count;     /* model_1, ... */
    int input_count;          /* input_1, ... */
    int tensor_count;         /* TensorV ids: creation order */
    int walk_count;           /* graph.c's walks mark tensors with a fresh number */
    int layer_ids;            /* layer objects placed in models so far (NnmLayer.layer_id) */
    struct FileUse *files;    /* fileuse.c: what the program reads and writes */
    uint64_t str_bytes;       /* of the strings built by '+' */
    double mem_data;          /* bytes of the data sets the program loads */
    double mem_models;        /* bytes the models need, each at its largest batch */
} Sema;

#define NNM_STR_MAX (16u << 20) /* a string's length, as a source file's */

/* The compiler's files call downwards only, in this order:
 *   sema.c           evaluates the script (sema_eval), calling keras.c
 *   keras.c          the Keras names, attributes and calls, dispatched below
 *   model.c graph.c arrays.c augment.c callbacks.c print.c
 *                    Sequential and functional models, data, generators,
 *                    callbacks, print(); model.c uses graph.c and the others
 *   summary.c memory.c layers.c optimizers.c fileuse.c
 *   ir.c             steps and IR fields
 *   values.c         values, argument binding and checks */

/* sema.c */
Value *sema_eval(Sema *s, const Ast *n);

/* values.c */
Value *val_new(Sema *s, VKind k);
Value *val_int(Sema *s, int64_t i);
Value *val_err(Sema *s);
const char *val_kind_name(const Value *v);
int sema_line(const Sema *s, Loc at);
const char *op_spelling(int op); /* an AST_BINOP's operator as the file wrote it */
/* Matches a call's arguments to params (NULL-name terminated).  out[i] is
 * NULL for an argument not given; where[i] is its node (for messages). */
int bind_args(Sema *s, const Args *a, const char *fname, const Param *params, Value **out,
              const Ast **where);
int want_int(Sema *s, const Value *v, const Ast *at, const char *what, int64_t min, int64_t *out);
int want_num(Sema *s, const Value *v, const Ast *at, const char *what, double *out);
int want_bool(Sema *s, const Value *v, const Ast *at, const char *what, int *out);
int want_str(Sema *s, const Value *v, const Ast *at, const char *what, const char **out);

/* ir.c */
NnmStep *add_step(Sema *s, NnmStepKind kind, const Ast *at);
void print_text(Sema *s, const Ast *at, const char *text, int chatter);
int shape_from(Sema *s, const Value *v, const Ast *at, const char *what, NnmShape *out);
int shape_same(const NnmShape *a, const NnmShape *b);
int name_lookup(Sema *s, const Value *v, const Ast *at, const char *what, const char *const *names,
                int n, const char *const *alias_from, const char *const *alias_to, int *out);

/* keras.c */
Value *keras_global(Sema *s, const char *name);          /* NULL if unknown */
int keras_global_names(const char **out, int max);
Value *keras_attr(Sema *s, const Ast *n, Value *obj);
Value *keras_call(Sema *s, Value *f, const Args *a);
Value *keras_history_key(Sema *s, Value *d, Value *key, const Ast *key_node); /* history.history['acc'] */

/* layers.c */
Value *make_layer(Sema *s, int kind, const Args *a, int keras1);
Value *make_regularizer(Sema *s, int which, const char *fname, const Args *a);

/* optimizers.c */
void optim_defaults(NnmOptim *o, int kind);
Value *make_optim(Sema *s, int kind, const Args *a);

/* callbacks.c */
Value *make_callback(Sema *s, int kind, const Args *a);
Value *make_schedule(Sema *s, int kind, const Args *a);
int fit_callbacks(Sema *s, const NnmModel *m, NnmStep *st, Value *list, const Ast *at);
int fit_class_weight(Sema *s, NnmStep *st, int nout, const int *nclasses, const char *const *names, Value *d,
                     const Ast *at);

/* model.c */
void model_add(Sema *s, ModelV *m, Value *lv, const Ast *at);
Value *make_sequential(Sema *s, const Args *a);
int freeze(Sema *s, ModelV *m, const Ast *at);
int want_compiled(Sema *s, ModelV *m, const Ast *at, const char *what);
void model_compile(Sema *s, ModelV *m, const Args *a);
Value *model_fit(Sema *s, ModelV *m, const Args *a, int generator);
Value *make_loss(Sema *s, int loss, const char *fname, const Args *a);
Value *make_metric(Sema *s, int kind, const char *fname, const Args *a);
Value *model_evaluate(Sema *s, ModelV *m, const Args *a, int predict);
void model_weights(Sema *s, ModelV *m, const Args *a, int load);
int array_ref(Sema *s, ModelV *m, const Value *x, const Ast *xat, const Value *y, const Ast *yat,
              NnmArrayRef *rx, NnmArrayRef *ry, const char *what);

/* memory.c */
int64_t model_params(const ModelV *m);
int memory_check(Sema *s, ModelV *m, int64_t batch, const Ast *at);
/* The whole program's need (every model at its largest batch, every data
 * set) against what this process may allocate; 0, or -1 after an error at. */
int program_memory(Sema *s, const Ast *at);

/* summary.c */
const char *summary_text(Sema *s, const ModelV *m);
void keras_finish(Sema *s); /* every model's summary, for `nnmc check` */

/* augment.c */
Value *make_datagen(Sema *s, const Args *a);
Value *datagen_method(Sema *s, Value *gen, int flow, const Args *a);

/* graph.c: the functional API */
Value *make_input(Sema *s, const Args *a);                   /* Input(shape=...) */
TensorV *graph_input(Sema *s, const NnmShape *shape, const char *name, Loc loc);
Value *graph_call(Sema *s, Value *layer, const Args *a);     /* layer(x) */
Value *graph_call_model(Sema *s, Value *model, const Args *a); /* model(x): its layers on x, shared */
Value *graph_merge(Sema *s, int kind, const Args *a);        /* add([x, y]) and the like */
Value *make_model(Sema *s, const Args *a);                   /* Model(inputs, outputs) */

/* arrays.c */
Value *array_copy(Sema *s, const Value *a);
Value *load_data(Sema *s, int source, const Args *a);
Value *load_csv(Sema *s, const Args *a);
Value *sample_count(Sema *s, const ArrayV *a);
Value *array_reshape(Sema *s, Value *av, const Args *a);
Value *to_categorical(Sema *s, const Args *a);
Value *keras_array_arith(Sema *s, const Ast *n, Value *arr, int arr_left, Value *by, const Ast *by_node);
/* y % k, y // k, y + k, y - k on labels: the classes mapped */
Value *array_label_op(Sema *s, const Ast *n, Value *arr, Value *by, const Ast *by_node);
/* arr[lo:hi] (ix the slice; lo, hi its evaluated bounds or NULL) */
Value *keras_array_index(Sema *s, const Ast *n, Value *arr, const Ast *ix, Value *lo, Value *hi);

/* fileuse.c: path is read or written (FU_*) by the statement at; model is
 * whose weights, else -1.  0, or -1 after an error: a write over a file the
 * program reads, or two writers of one file. */
enum { FU_SOURCE, FU_CSV, FU_LOAD, FU_SAVE, FU_CHECKPOINT, FU_LOG, FU_NPY };
typedef struct FileUse FileUse;
int sema_file_use(Sema *s, const char *path, int role, int model, const Ast *at);

/* print.c */
Value *do_print(Sema *s, const Args *a);
#endif
