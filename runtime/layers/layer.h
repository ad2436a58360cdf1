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

/* Constructor arguments, validated generically by the compiler.  Each
 * type stores one C representation (layer_arg_size): ints as int, sizes
 * as int64_t, numbers as double. */
typedef enum {
    ARG_INT,       /* int64_t */
    ARG_FLOAT,     /* double */
    ARG_BOOL, ARG_ACT, ARG_INIT, /* int (NnmAct, NnmInit) */
    ARG_PAIR,      /* an int or a 2-tuple of ints >= min: int64_t[2] */
    ARG_PADDING,   /* 'valid' or 'same': int PAD_* */
    ARG_FORMAT,    /* data_format: None or 'channels_last' (nothing stored) */
    ARG_NONE_ONLY, /* accepted only as None (constraints: later) */
    ARG_REGULARIZER, /* None, 'l1', 'l2', 'l1_l2' or l2(0.01) and the like: double[2] {l1, l2} */
    ARG_EDGES,     /* n, (h, w) or ((top, bottom), (left, right)): int64_t[4] */
    ARG_SHAPE,     /* a tuple of sizes, one of them may be -1: NnmShape */
    ARG_CHOICE,    /* one of the strings in choices: int index */
    ARG_RANGE,     /* f (for [-f, f]) or (lower, upper): double[2] */
    ARG_IGNORED,   /* accepted, unused (seed=: nnmc draws from the run's seed) */
    ARG_INTS,      /* derived only: int64_t[count] */
} ArgType;

/* One entry of a kind's schema: a Keras argument and the member of the
 * kind's attribute struct that receives it, or (derived) a member that
 * infer() or defaults() set.  The schema describes every member of the
 * struct that is not zero: the emitter writes attributes from it, and the
 * unit tests check that copying a layer's attributes by it loses nothing.
 * Write entries with ATTR(T, member) or HDR(member). */
typedef struct {
    const char *name;    /* Keras's argument; for a derived entry, the member's name */
    ArgType type;
    size_t off;          /* of the member in the kind's struct (in NnmLayer when hdr) */
    const char *field;   /* its C designator ("window.kernel"), or NULL: nothing stored */
    int hdr;             /* the member is NnmLayer's (activation, regularizers) */
    int derived;         /* not an argument: set by defaults() or infer() */
    int count;           /* ARG_INTS: how many */
    int positional;      /* may be given by position (in schema order) */
    int required;
    double min, max;     /* inclusive range for numbers ... */
    int max_open;        /* ... except max excluded when set */
    int none_ok;         /* ARG_PAIR: None leaves the field 0; ARG_FLOAT: None stores -1 */
    const char *const *choices; /* ARG_CHOICE, NULL-terminated */
} ArgSpec;
#define ATTR(T, member) .off = offsetof(T, member), .field = #member
#define HDR(member) .off = offsetof(NnmLayer, member), .field = #member, .hdr = 1

/* Bytes of the member an entry stores (0: none). */
size_t layer_arg_size(const ArgSpec *as);
/* Where an entry of l's kind stores its value, or NULL when it stores none. */
void *layer_arg_ptr(const NnmLayer *l, const ArgSpec *as);
/* The entry of a kind's schema named name (an argument or a derived
 * member), or NULL. */
const ArgSpec *layer_arg_find(int kind, const char *name);

/* The geometry every spatial kind (the convolutions, the pooling kinds)
 * keeps first in its attribute struct, so that layer_window() reads them
 * all: (height, width) pairs; 1-D kinds use the width. */
typedef struct {
    int64_t kernel[2];        /* kernel or pool size */
    int64_t strides[2];       /* 0 = same as the pool size (pooling, until inferred) */
    int64_t dilation[2];
    int padding;              /* PAD_* */
    int64_t pad[2];           /* top and left padding, by TensorFlow's 'same' rule (inferred) */
} NnmWindowAttr;
/* The derived entries of an NnmWindowAttr that is member `window` of T. */
#define LAYER_WINDOW_FIELDS(T)                                                                     \
    {.name = "kernel", .type = ARG_PAIR, ATTR(T, window.kernel), .derived = 1},                    \
    {.name = "strides", .type = ARG_PAIR, ATTR(T, window.strides), .derived = 1},                  \
    {.name = "dilation", .type = ARG_PAIR, ATTR(T, window.dilation), .derived = 1},                \
    {.name = "padding", .type = ARG_PADDING, ATTR(T, window.padding), .derived = 1},               \
    {.name = "pad", .type = ARG_PAIR, ATTR(T, window.pad), .derived = 1}

/* The pooling kinds' attributes (layer_pool_args). */
typedef struct {
    NnmWindowAttr window;
} PoolAttr;

/* The attributes of the convolutions (Conv1D, Conv2D, Conv2DTranspose,
 * DepthwiseConv2D, SeparableConv2D). */
typedef struct {
    NnmWindowAttr window;
    int64_t filters;          /* output channels (DepthwiseConv2D: in × depth_multiplier) */
    int64_t depth_multiplier; /* DepthwiseConv2D, SeparableConv2D */
    int use_bias;
    int kinit, binit;         /* NnmInit: of the kernel (SeparableConv2D: both kernels) and the bias */
} ConvAttr;

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
    size_t attr_size;         /* the attribute struct (NnmLayer.attr): 0 for none */
    const char *attr_type;    /* its C type name, for the emitter */
    /* the attributes' defaults, in a zeroed struct, and the header's (act) */
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

/* In a LayerKind: its attribute struct T. */
#define LAYER_ATTR(T) .attr_size = sizeof(T), .attr_type = #T

#define X(ID, sym) extern const LayerKind layer_##sym;
#include "layers.def"
#undef X
extern const LayerKind *const layer_kinds[LK_COUNT];
const LayerKind *layer_kind_find(const char *name); /* NULL if unknown */

/* The Keras arguments after the geometry of Dense and the convolutions:
 * activation, use_bias, initializers, regularizers and constraints, where
 * K names the kernel ("kernel", "depthwise") and T is the attribute struct,
 * with members use_bias, kinit and binit. */
#define LAYER_ACT_BIAS_ARGS(T, K)                                                                  \
    {.name = "activation", .type = ARG_ACT, HDR(act), .positional = 1},                            \
    {.name = "use_bias", .type = ARG_BOOL, ATTR(T, use_bias), .positional = 1},                    \
    {.name = K "_initializer", .type = ARG_INIT, ATTR(T, kinit), .positional = 1},                 \
    {.name = "bias_initializer", .type = ARG_INIT, ATTR(T, binit), .positional = 1},               \
    {.name = K "_regularizer", .type = ARG_REGULARIZER, HDR(reg[REG_KERNEL]), .positional = 1},     \
    {.name = "bias_regularizer", .type = ARG_REGULARIZER, HDR(reg[REG_BIAS]), .positional = 1},     \
    {.name = "activity_regularizer", .type = ARG_REGULARIZER, HDR(reg[REG_ACTIVITY]), .positional = 1}, \
    {.name = K "_constraint", .type = ARG_NONE_ONLY, .positional = 1},                             \
    {.name = "bias_constraint", .type = ARG_NONE_ONLY, .positional = 1}
/* The convolutions' defaults: linear, with bias, glorot_uniform kernel,
 * zero bias, kernel, strides and dilation 1, 'valid' padding. */
void layer_conv_defaults(NnmLayer *l);

/* The weights of Dense and the convolutions: a kernel of this shape, then
 * a bias of `units` values when use_bias. */
int layer_kernel_bias(NnmShape kernel, int64_t units, int use_bias, WeightInfo out[LAYER_MAX_WEIGHTS]);

/* Pieces shared by kinds without weights: output shape = input shape, no
 * weights, nothing to initialise, and scratch of one input's size. */
int layer_infer_same(NnmLayer *l, char *err, size_t errsize);
int layer_no_weights(const NnmLayer *l, WeightInfo out[LAYER_MAX_WEIGHTS]);
void layer_no_init(const NnmLayer *l, float *w, NnmRng *rng);
int64_t layer_scratch_input(const NnmLayer *l);
/* Whether a kind with an activation keeps its pre-activation z (at the start
 * of its scratch, where net_loss reads it for a loss fused with the
 * activation): not for linear, and not for ReLU, whose derivative reads as
 * well from y as from z (y > 0 exactly where z > 0).  One rule for every
 * kind, so that a batch's worth of memory and a pass over it are saved
 * alike everywhere. */
int layer_keeps_z(const NnmLayer *l);
/* Activation's scratch, forward and backward (l->act on the last axis),
 * shared by the activation layers LeakyReLU, ELU and Softmax. */
int64_t layer_act_scratch(const NnmLayer *l);
void layer_act_forward(const LayerRun *r);
void layer_act_backward(const LayerRun *r);
/* The windows of a pooling layer; strides default to the pool size. */
int layer_pool_infer(NnmLayer *l, char *err, size_t n);
extern const ArgSpec layer_pool_args[]; /* pool_size, strides, padding, data_format: NnmWindowAttr */
void layer_pool_defaults(NnmLayer *l);
/* of the kinds whose attributes start with an NnmWindowAttr */
NnmWindow layer_window(const NnmLayer *l);
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
