/* compiler/sema_int.h — what sema.c and keras.c share. */
#ifndef NNM_SEMA_INT_H
#define NNM_SEMA_INT_H
#include "sema.h"
#include "value.h"

#define ARGS_MAX 32

typedef struct Binding Binding;
struct Binding {
    const char *name;
    Value *v;
    Binding *next;
};

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
    NnmProgram *prog;
    int cap_models, cap_steps, cap_data;
    int name_count[LK_COUNT]; /* auto names: dense_1, dense_2, ... */
    int model_count;
} Sema;

Value *val_new(Sema *s, VKind k);
Value *val_int(Sema *s, int64_t i);
Value *val_err(Sema *s);
const char *val_kind_name(const Value *v);
Value *sema_eval(Sema *s, const Ast *n);
int sema_line(const Sema *s, Loc at);

/* Matches a call's arguments to params (NULL-name terminated).  out[i] is
 * NULL for an argument not given; where[i] is its node (for messages). */
int bind_args(Sema *s, const Args *a, const char *fname, const Param *params, Value **out,
              const Ast **where);
int want_int(Sema *s, const Value *v, const Ast *at, const char *what, int64_t min, int64_t *out);
int want_num(Sema *s, const Value *v, const Ast *at, const char *what, double *out);
int want_bool(Sema *s, const Value *v, const Ast *at, const char *what, int *out);
int want_str(Sema *s, const Value *v, const Ast *at, const char *what, const char **out);

/* keras.c */
Value *keras_global(Sema *s, const char *name);          /* NULL if unknown */
int keras_global_names(const char **out, int max);
Value *keras_attr(Sema *s, const Ast *n, Value *obj);
Value *keras_call(Sema *s, Value *f, const Args *a);
Value *keras_array_scale(Sema *s, const Ast *n, Value *arr, Value *by, const Ast *by_node);
Value *keras_array_index(Sema *s, const Ast *n, Value *arr, const Ast *ix);
Value *keras_history_key(Sema *s, Value *d, const Ast *key);
void keras_finish(Sema *s);
#endif
