/* runtime/net.h — one model, planned for a maximum batch size.
 *
 * net_plan() allocates every buffer a fit/evaluate/predict needs, once:
 * activations, scratch, gradients, targets, optimizer state.  The per-batch
 * functions only read and write those buffers (no allocation), so memory
 * use is known before the first batch. */
#ifndef NNM_NET_H
#define NNM_NET_H
#include "kernels.h"
#include "layer.h"
#include "program.h"
#include "rng.h"

typedef struct Net Net;
/* A model's forward and backward pass, when specialised code provides them
 * (programs written by `nnmc emit`); they call the same layer functions in
 * the same order as the generic loops, with the LayerRun of net_layer_run
 * and net_layer_back. */
typedef void (*NetForwardFn)(Net *n, int64_t batch, int training);
typedef void (*NetBackwardFn)(Net *n, int64_t batch);

struct Net {
    const NnmModel *m;
    int64_t nparams;
    float *w;                /* all weights, layer by layer, in save order */
    float *dw;               /* their gradients */
    int64_t *woff;           /* [nlayers] offset of each layer's weights */
    int64_t cap;             /* planned batch size; 0 = not planned */
    float *in[NNM_MAX_IO];   /* [cap, input k's size] */
    float **y, **scratch, **dy; /* per layer */
    float *work;             /* [work_threads, largest workspace()], shared by the layers */
    float *bwork;            /* [the largest batch_work(cap)], shared by the layers */
    int work_threads;
    float *t[NNM_MAX_IO];    /* [cap, out_size[k]]: output k's targets */
    float *rw[NNM_MAX_IO];   /* [cap] weights of the samples' losses in output k (class_weight=) */
    int use_rw[NNM_MAX_IO];  /* net_loss applies rw[k] */
    int64_t out_size[NNM_MAX_IO]; /* values per sample of output k */
    double out_loss[NNM_MAX_IO]; /* the last net_loss: each output's loss, summed over the batch */
    NnmOptState opt;
    int opt_ready;
    NnmRng dropout_rng;
    int fused[NNM_MAX_IO];   /* the last net_loss fused output k's loss and activation */
    int *output_of;          /* [nlayers]: the output a node is, or -1 */
    int consumed[NNM_MAX_IO]; /* output k also feeds other nodes: its loss does not fuse */
    double *prof;            /* NNM_PROFILE=1: seconds per layer, forward then backward */
    NetForwardFn forward_fn; /* NULL: the generic loop over the layers */
    int nregs;               /* weight arrays with a kernel_ or bias_regularizer */
    struct NetReg {
        int64_t off, len;    /* in w and dw */
        double l1, l2;
    } *regs;
    NetBackwardFn backward_fn;
    /* the backward pass's plan, fixed at net_init: a tensor used by several
     * nodes and a layer called more than once get their gradients added up
     * in reverse node order (so the sums, and the figures, do not depend on
     * threads): the first gradient to arrive is written in place, each
     * later one into acc or dwacc and then added */
    unsigned char *add_dx;   /* [nlayers * NNM_MAX_IN]: input k of node i is added */
    unsigned char *add_dw;   /* [nlayers]: node i's weight gradient is added to its owner's */
    float *acc[NNM_MAX_IN];  /* [cap, acc_size[k]] */
    int64_t acc_size[NNM_MAX_IN];
    float *dwacc;            /* [largest shared layer's weights] */
    int64_t dwacc_size;
    /* the gradients' buffers, planned at net_init by liveness: dy[i] is
     * dy_bufs[dy_buf[i]], of dy_size[] floats per sample */
    int *dy_buf;
    int64_t *dy_size;
    int ndy_plan;
    float **dy_bufs;         /* [ndy_plan] once planned, else NULL */
};

void net_init(Net *n, const NnmModel *m, NnmRng *init_rng, uint64_t seed);
void net_plan(Net *n, int64_t batch);
void net_free(Net *n);
void net_forward(Net *n, int64_t batch, int training);
/* What layer i works on in the forward pass, and in the backward pass
 * (where the last layer learns whether the loss fused with its activation,
 * and the first computes no input gradient).  net_layer_back also adds the
 * gradient of the layer's activity_regularizer to its dy, so a specialised
 * backward pass gets it too. */
LayerRun net_layer_run(Net *n, int i, int64_t batch, int training);
LayerRun net_layer_back(Net *n, int i, int64_t batch);
/* After layer i's backward with r from net_layer_back: adds the gradients
 * it left in the accumulation buffers to where they belong. */
void net_layer_back_end(Net *n, int i, const LayerRun *r);
/* The node whose weights node i uses (i itself, or the first call of a
 * layer called again). */
int net_weights_owner(const NnmModel *m, int i);
const float *net_output(const Net *n, int k); /* output k's values, [batch, out_size[k]] */
/* After net_forward: the loss of the batch against the targets n->t,
 * summed over the samples (Keras's figure is this / batch): each output's
 * loss times its weight, plus batch x the regularizers' penalties (Keras 2.2
 * adds them to the reported loss, in training and in evaluate); leaves
 * dL/d(output) of the mean data loss in each output node's gradient buffer,
 * and each output's own loss in n->out_loss.  (Metrics are metrics.c's.) */
double net_loss(Net *n, int64_t batch);
/* After net_loss: gradients of every weight into n->dw, with those of the
 * kernel and bias regularizers' penalties. */
void net_backward(Net *n, int64_t batch);
/* One optimizer step with n->dw. */
void net_update(Net *n);
/* Reads (save = 0) or writes the weights w of model m (all of them, layer by
 * layer in save order) from or to a Keras-style .npz file: one array per
 * variable, named "layer/variable:0".  0, or -1 after a message. */
int net_weights_file(const NnmModel *m, float *w, const char *path, int save);
/* With NNM_PROFILE=1, prints where the time went, per layer (stderr). */
void net_profile_report(const Net *n);
#endif
