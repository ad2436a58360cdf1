/* runtime/layers/layer.h — the contract every layer kind implements.
 *
 * A kind is one const LayerKind in one file.  The compiler uses the
 * argument schema and infer(); the runtime uses the rest.  Buffers are
 * planned by net.c from out shapes and scratch(); kinds never allocate. */
#ifndef NNM_LAYER_H
#define NNM_LAYER_H
#include <stddef.h>
#include <stdint.h>
#include "program.h"
#include "kernels.h"
#include "rng.h"

typedef enum {
#define X(ID, sym) LK_##ID,
#include "layers.def"
#undef X
    LK_COUNT
} LayerKindId;

/* Constructor arguments, validated generically by the compiler. */
typedef enum {
    ARG_INT, ARG_FLOAT, ARG_BOOL, ARG_ACT, ARG_INIT,
    ARG_PAIR,      /* an int or a 2-tuple of ints >= min: int64_t[2] */
    ARG_PADDING,   /* 'valid' or 'same' */
    ARG_FORMAT,    /* data_format: None or 'channels_last' (nothing stored) */
    ARG_NONE_ONLY, /* accepted only as None (constraints: later) */
    ARG_REGULARIZER, /* None, 'l1', 'l2', 'l1_l2' or l2(0.01) and the like: double[2] {l1, l2} */
    ARG_EDGES,     /* n, (h, w) or ((top, bottom), (left, right)): int64_t[4] */
    ARG_SHAPE,     /* a tuple of sizes, one of them may be -1: NnmShape */
    ARG_CHOICE,    /* one of the strings in choices: int index */
    ARG_RANGE,     /* f (for [-f, f]) or (lower, upper): double[2] */
    ARG_IGNORED,   /* accepted, unused (seed=: nnmc draws from the run's seed) */
} ArgType;
typedef struct {
    const char *name;
    ArgType type;
    size_t off;          /* field of NnmLayer that receives the value */
    int positional;      /* may be given by position (in schema order) */
    int required;
    double min, max;     /* inclusive range for numbers ... */
    int max_open;        /* ... except max excluded when set */
    int none_ok;         /* ARG_PAIR: None leaves the field 0; ARG_FLOAT: None stores -1 */
    const char *const *choices; /* ARG_CHOICE, NULL-terminated */
} ArgSpec;

/* One layer's view of a batch during forward/backward. */
typedef struct {
    const NnmLayer *l;
    int64_t batch;
    const float *x;      /* [batch, in]: the first input, xs[0] */
    const float *xs[NNM_MAX_IN]; /* every input (merge kinds): [batch, that input's size] */
    float *y;            /* [batch, out] */
    float *scratch;      /* [batch, scratch()]: kept from forward to backward */
    float *work;         /* [threads, workspace()]: each thread's own buffer for
                          * the length of one call (see layer_work) */
    float *bwork;        /* [batch_work(batch)]: the whole call's buffer, shared by
                          * every layer: its contents do not outlive a call */
    float *w;            /* weights in save order, or NULL (BatchNormalization
                          * updates its moving statistics here while training) */
    float *dw;           /* their gradient, overwritten by backward */
    float *dy;           /* [batch, out] dL/dy; backward may overwrite it */
    float *dx;           /* [batch, in] or NULL when nobody needs it: dxs[0] */
    float *dxs[NNM_MAX_IN]; /* the gradient of every input, each overwritten, or NULL */
    int training;
    int fused;           /* dy already is dL/d(pre-activation) */
    NnmRng *rng;         /* dropout stream */
} LayerRun;

#define LAYER_MAX_WEIGHTS 4 /* BatchNormalization: gamma, beta, moving mean and variance */

typedef struct {
    const char *suffix;  /* "kernel", "bias" */
    NnmShape shape;
} WeightInfo;

typedef struct LayerKind {
    const char *name;         /* Keras class name: "Dense" */
    const char *snake;        /* auto-name stem: "dense" */
    const ArgSpec *args;      /* ends with {0} */
    void (*defaults)(NnmLayer *l);
    /* sets l->out and l->nparams from l->in; 0, or -1 with a message in err */
    int (*infer)(NnmLayer *l, char *err, size_t errsize);
    /* the merge kinds instead: the shapes of the l->nin inputs (nin >= 1
     * checked here); sets l->in to ins[0], l->out and l->nparams */
    int (*infer_inputs)(NnmLayer *l, const NnmShape *ins, char *err, size_t errsize);
    int64_t (*scratch)(const NnmLayer *l); /* floats per sample */
    /* floats per thread, or NULL for none: a buffer small enough to stay in
     * cache (Conv2D: a few images' im2col columns and their gradient), whose
     * contents do not outlive a forward or backward call */
    int64_t (*workspace)(const NnmLayer *l);
    /* floats for one forward or backward call on batch samples as a whole,
     * or NULL for none (Conv2D: the partial weight gradients of its groups
     * of images); one buffer serves every layer, as one layer runs at a time */
    int64_t (*batch_work)(const NnmLayer *l, int64_t batch);
    int (*weights)(const NnmLayer *l, WeightInfo out[LAYER_MAX_WEIGHTS]); /* count */
    void (*init)(const NnmLayer *l, float *w, NnmRng *rng);
    void (*forward)(const LayerRun *r);
    void (*backward)(const LayerRun *r);
    int has_act;              /* applies l->act (the loss may fuse with it) */
} LayerKind;

#define X(ID, sym) extern const LayerKind layer_##sym;
#include "layers.def"
#undef X
extern const LayerKind *const layer_kinds[LK_COUNT];
const LayerKind *layer_kind_find(const char *name); /* NULL if unknown */

/* The Keras arguments after the geometry of Dense and the convolutions:
 * activation, use_bias, initializers, regularizers and constraints, where
 * K names the kernel ("kernel", "depthwise"). */
#define LAYER_ACT_BIAS_ARGS(K)                                                                     \
    {.name = "activation", .type = ARG_ACT, .off = offsetof(NnmLayer, act), .positional = 1},      \
    {.name = "use_bias", .type = ARG_BOOL, .off = offsetof(NnmLayer, use_bias), .positional = 1},  \
    {.name = K "_initializer", .type = ARG_INIT, .off = offsetof(NnmLayer, kinit), .positional = 1}, \
    {.name = "bias_initializer", .type = ARG_INIT, .off = offsetof(NnmLayer, binit), .positional = 1}, \
    {.name = K "_regularizer", .type = ARG_REGULARIZER, .off = offsetof(NnmLayer, reg[REG_KERNEL]),  \
     .positional = 1},                                                                             \
    {.name = "bias_regularizer", .type = ARG_REGULARIZER, .off = offsetof(NnmLayer, reg[REG_BIAS]), \
     .positional = 1},                                                                             \
    {.name = "activity_regularizer", .type = ARG_REGULARIZER,                                      \
     .off = offsetof(NnmLayer, reg[REG_ACTIVITY]), .positional = 1},                               \
    {.name = K "_constraint", .type = ARG_NONE_ONLY, .positional = 1},                             \
    {.name = "bias_constraint", .type = ARG_NONE_ONLY, .positional = 1}
/* Their defaults: linear, with bias, glorot_uniform kernel, zero bias,
 * strides and dilation 1, 'valid' padding, depth multiplier 1. */
void layer_conv_defaults(NnmLayer *l);

/* The weights of Dense and the convolutions: a kernel of this shape, then
 * a bias of l->units values when l->use_bias. */
int layer_kernel_bias(const NnmLayer *l, NnmShape kernel, WeightInfo out[LAYER_MAX_WEIGHTS]);

/* Pieces shared by kinds without weights: output shape = input shape, no
 * weights, nothing to initialise, and scratch of one input's size. */
int layer_infer_same(NnmLayer *l, char *err, size_t errsize);
int layer_no_weights(const NnmLayer *l, WeightInfo out[LAYER_MAX_WEIGHTS]);
void layer_no_init(const NnmLayer *l, float *w, NnmRng *rng);
int64_t layer_scratch_input(const NnmLayer *l);
/* Activation's forward/backward (l->act on the last axis), shared by the
 * activation layers LeakyReLU, ELU and Softmax. */
void layer_act_forward(const LayerRun *r);
void layer_act_backward(const LayerRun *r);
/* The windows of a pooling layer; strides default to the pool size. */
int layer_pool_infer(NnmLayer *l, char *err, size_t n);
extern const ArgSpec layer_pool_args[]; /* pool_size, strides, padding, data_format */
void layer_pool_defaults(NnmLayer *l);
NnmWindow layer_window(const NnmLayer *l); /* of Conv2D and the pooling kinds */
/* 0 when the input is an image (None, H, W, C); else -1 with a message. */
int layer_need_images(const NnmLayer *l, char *err, size_t n);
/* The calling thread's workspace of `size` floats (the kind's workspace()),
 * from inside a range of nnm_par_for or nnm_par_each, or from the caller. */
float *layer_work(const LayerRun *r, int64_t size);
int64_t layer_workspace(const NnmLayer *l); /* 0 for kinds without one */
int64_t layer_batch_work(const NnmLayer *l, int64_t batch); /* likewise */
/* the distance between two threads' workspaces of `size` floats: whole
 * cache lines, so that threads never share one */
int64_t layer_work_stride(int64_t size);
/* out = in, copied: Flatten, Reshape */
void layer_copy_forward(const LayerRun *r);
void layer_copy_backward(const LayerRun *r);

/* Output size along one spatial axis, and the padding before it, by
 * TensorFlow's rules; returns 0 when the window does not fit. */
int64_t conv_out_size(int64_t in, int64_t k, int64_t stride, int64_t dil, int padding, int64_t *pad_before);

int64_t shape_size(const NnmShape *s);
/* "(None, 28, 28)" */
void shape_str(const NnmShape *s, char *buf, size_t size);
/* Fills n values from initializer `init` for a tensor with these fans. */
void nnm_init_fill(int init, float *w, int64_t n, int64_t fan_in, int64_t fan_out, NnmRng *rng);
#endif
