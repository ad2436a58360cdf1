/* compiler/value.h — compile-time values of the .nnm abstract interpreter
 * (see sema.h).  All values live in the compilation's arena. */
#ifndef NNM_VALUE_H
#define NNM_VALUE_H
#include "ast.h"
#include "layer.h"
#include "program.h"

typedef enum {
    V_ERR,      /* an error was already reported; absorbs further checks */
    V_NONE, V_BOOL, V_INT, V_FLOAT, V_STR, V_TUPLE, V_LIST,
    V_MODULE,   /* keras, keras.layers, mnist, ...: id */
    V_FUNC,     /* callable: id, sub */
    V_METHOD,   /* bound method: id, self */
    V_LAYER,    /* layer */
    V_INPUT,    /* Input(shape=...): layer->input is the shape; tensor is its tensor */
    V_TENSOR,   /* a layer's output in the functional API: tensor */
    V_OPTIM,    /* opt */
    V_MODEL,    /* model */
    V_ARRAY,    /* arr: a view of a data set */
    V_RESULT,   /* a figure known after running: slot, index, list in i */
    V_HISTORY,  /* fit()'s return value: slot = first of 4 */
    V_HISTDICT, /* history.history */
    V_PRED,     /* predict()'s return value */
    V_DICT,     /* {k: v}: n pairs, keys in v[2i], values in v[2i + 1] */
    V_CALLBACK, /* a keras.callbacks object: cb */
    V_SCHEDULE, /* a learning-rate schedule: sched */
    V_REGULARIZER, /* l2(0.01) and the like: reg = {l1, l2} */
    V_METRIC,   /* Precision(), TopKCategoricalAccuracy(k=3), ...: met */
    V_DATAGEN,  /* ImageDataGenerator(...): aug */
    V_FLOW,     /* datagen.flow(x, y, ...): aug, flow_* */
    V_LOSS,     /* CategoricalCrossentropy(label_smoothing=0.1) and the like: loss in i, smoothing in f */
} VKind;

typedef struct LayerV LayerV;
typedef struct ModelV ModelV;
typedef struct ArrayV ArrayV;
typedef struct TensorV TensorV;
typedef struct ModelCall ModelCall;
typedef struct Value Value;

struct Value {
    VKind k;
    int64_t i;          /* BOOL, INT; FUNC/MODULE/METHOD id; RESULT list flag */
    int sub;            /* FUNC: layer kind, optimizer kind or data set */
    int sym;            /* INT: stands for a sample count unknown until run time */
    double f;
    const char *s;      /* STR; MODULE/FUNC spelling for messages */
    uint32_t slen;
    int n;              /* TUPLE, LIST */
    Value **v;
    Value *self;        /* METHOD */
    LayerV *layer;
    NnmOptim *opt;
    NnmCallback *cb;
    NnmSchedule *sched;
    double reg[2];
    NnmMetric *met;
    NnmAugment *aug;
    Value *flow_x, *flow_y;
    const Ast *flow_at;
    int64_t flow_batch;
    int flow_shuffle;
    ModelV *model;
    ArrayV *arr;
    TensorV *tensor;
    int slot, index;    /* RESULT, HISTORY */
};

struct LayerV {
    NnmLayer d;
    Loc loc;
    int has_input;      /* input_shape= or input_dim= given */
    NnmShape input;
    ModelV *owner;
    TensorV *first;     /* functional API: the output of its first call, whose weights later calls share */
    int ncalls;
    int gid;            /* 0, or the layer_id of its weights once in a model (models share them by it) */
};

/* A tensor of the functional API: an Input, or the output of one call of a
 * layer (Keras's node) on earlier tensors.  Tensors are immutable, so
 * creation order (id) is a topological order of any graph of them. */
struct TensorV {
    int id;
    LayerV *layer;      /* the layer called, or NULL for an Input */
    int call;           /* which call of the layer made it: Keras's node index */
    int nin;
    TensorV *in[NNM_MAX_IN];
    NnmLayer d;         /* the call: its shapes (d.out is the tensor's), attributes and weights count */
    char name[NNM_NAME_MAX]; /* an Input's layer name */
    Loc loc;            /* of the call, or of Input() */
    int mark;           /* scratch of graph.c's walks */
    ModelCall *via;     /* made by a call of a model on tensors (its layers run again), or NULL;
                           on a call's stand-in node, that call */
};

/* One call of a model on tensors, y = base(x).  Its layers run again on x
 * (tensors with via set); summaries show the call as one layer, the model,
 * as Keras does, through node: a tensor standing for the call, whose
 * inputs are the call's (layer NULL, via this call). */
struct ModelCall {
    ModelV *m;
    int call;           /* Keras's node index of the model: 1 for its first call (0 is its own graph) */
    int nout;
    TensorV *outs[NNM_MAX_IO]; /* what the call returned, in the model's output order */
    TensorV *node;
};

struct ModelV {
    int id;             /* index in the program's models, or -1 before it is frozen */
    char name[NNM_NAME_MAX];
    LayerV **layers;
    int n, cap;
    int has_input;
    NnmShape input, cur;
    int functional;     /* Model(inputs, outputs): layers[i]->d are its nodes; no add() */
    int ncalls;         /* calls of the model on tensors */
    TensorV **nodes;    /* functional: the tensor of each node, and ninputs Inputs */
    TensorV *inputs[NNM_MAX_IN];
    int ninputs;
    int frozen;         /* no more add(); the IR model exists */
    int broken;         /* an error was reported; skip dependent checks */
    int noutputs;       /* Sequential: 1, its last layer */
    TensorV *outputs[NNM_MAX_IO]; /* functional: the output tensors, in Model()'s order */
    int compiled;
    int trained;        /* a fit or evaluate uses the compiled losses, optimizer and metrics */
    NnmOptim optim;
    NnmOutput outs[NNM_MAX_IO]; /* compile()'s losses, weights and metrics; node set at freeze */
    double mem_bytes;   /* what it needs at its largest batch so far (memory_check) */
    Loc loc;
};

struct ArrayV {
    int dataset, test, isx;
    int64_t n;          /* samples, -1 when unknown until the data is read */
    NnmShape sample;    /* per-sample shape as the script sees it */
    int64_t begin, end; /* slice, end -1 = all */
    int64_t expect_n;
    int line;
    int onehot;         /* y: to_categorical(num_classes) applied, else 0 */
    int nclasses;       /* classes in the data set (after map) */
    int mapped;         /* y: labels mapped (y % 2, y >= 5, ...): map[] holds what each class became */
    signed char map[NNM_MAX_CLASSES];
    /* x: raw until arithmetic other than '/ 255' (nnmc's pixels are in [0, 1]
     * with or without it); then value = pixel * mul[c] + add[c], c the index
     * modulo nchan (the last axis for per-channel constants) */
    int cooked;
    int nchan;
    double mul[NNM_AFFINE_MAX], add[NNM_AFFINE_MAX];
};
#endif
