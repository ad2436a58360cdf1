/* runtime/kernels.h — the numeric kernels: activations, losses, metrics
 * and optimizer updates (kernels.c), and windows over images (spatial.c).  The interpreter calls them, and the C emitter
 * (issue 4) will emit calls to the same functions, so the two compute the
 * same figures bit for bit.
 *
 * Layout: batch-major, a batch of B samples of C values is a row-major
 * [B, C] array. */
#ifndef NNM_KERNELS_H
#define NNM_KERNELS_H
#include <stdint.h>
#include "program.h"

/* y = act(z) over rows x cols (softmax works per row).  y may equal z.
 * alpha: the slope of leaky_relu, the alpha of elu. */
void nnm_act_forward(int act, float alpha, int64_t rows, int64_t cols, const float *z, float *y);
/* g := g * act'(z), given z and y = act(z); g holds dL/dy on entry and
 * dL/dz on return.  For softmax, the row-wise Jacobian is applied. */
void nnm_act_backward(int act, float alpha, int64_t rows, int64_t cols, const float *z,
                      const float *y, float *g);

/* y[b, :] += bias */
void nnm_add_bias(int64_t rows, int64_t cols, const float *bias, float *y);
/* db = column sums of g */
void nnm_col_sums(int64_t rows, int64_t cols, const float *g, float *db);
/* dst[cols, rows] = src[rows, cols] transposed, on the calling thread */
void nnm_transpose(int64_t rows, int64_t cols, const float *src, float *dst);
/* The same between strided matrices: dst[j * ldd + i] = src[i * lds + j]. */
void nnm_transpose_strided(int64_t rows, int64_t cols, const float *src, int64_t lds, float *dst, int64_t ldd);

/* Geometry of a 2-D window over NHWC images (convolution or pooling). */
typedef struct {
    int64_t h, w, c;        /* input */
    int64_t oh, ow;         /* output */
    int64_t kh, kw;         /* window */
    int64_t sh, sw;         /* strides */
    int64_t dh, dw;         /* dilation */
    int64_t pt, pl;         /* padding before: top, left */
} NnmWindow;

/* col[b*oh*ow + oy*ow + ox, (ky*kw + kx)*c + ci] = x[b, iy, ix, ci], zero
 * outside the image: the rows of col times a Keras kernel reshaped to
 * (kh*kw*c, filters) are the convolution's output pixels. */
void nnm_im2col(const NnmWindow *g, int64_t batch, const float *x, float *col);
/* The adjoint: dx = sum of col's entries over the pixels they came from. */
void nnm_col2im(const NnmWindow *g, int64_t batch, const float *col, float *dx);
/* The same, leaving col all zero: a GEMM can then accumulate the next
 * columns into it. */
void nnm_col2im_clear(const NnmWindow *g, int64_t batch, float *col, float *dx);
/* Max pooling; arg receives the input index of each maximum. */
void nnm_maxpool(const NnmWindow *g, int64_t batch, const float *x, float *y, int32_t *arg);
void nnm_maxpool_back(const NnmWindow *g, int64_t batch, const float *dy, const int32_t *arg, float *dx);
/* Average pooling; padded cells are not counted, as in TensorFlow. */
void nnm_avgpool(const NnmWindow *g, int64_t batch, const float *x, float *y);
void nnm_avgpool_back(const NnmWindow *g, int64_t batch, const float *dy, float *dx);
/* dst [batch, dh, dw, c] = zeros, then src [batch, sh, sw, c] placed with its
 * (0, 0) at (oy, ox) of dst (negative offsets crop); what falls outside is dropped. */
void nnm_copy_window(int64_t batch, const float *src, int64_t sh, int64_t sw, float *dst, int64_t dh,
                     int64_t dw, int64_t c, int64_t oy, int64_t ox);
/* Nearest-neighbour upsampling of [batch, h, w, c] by (fy, fx); with back,
 * x is the gradient of the big image and y receives the small one's. */
void nnm_upsample(int64_t batch, int64_t h, int64_t w, int64_t c, int64_t fy, int64_t fx, const float *x,
                  float *y, int back);

/* Loss of a batch of B rows of C outputs against targets t (one-hot rows,
 * or the label itself when C == 1).  Returns the SUM over rows of the
 * per-sample loss (Keras's mean is this / B).  Writes into g the gradient
 * of the MEAN loss: with respect to the pre-activation z when *fused is
 * set on return (softmax + categorical cross-entropy, sigmoid + binary
 * cross-entropy), otherwise with respect to the output y.  rw, when not
 * NULL, weighs each row's loss and gradient (class_weight=); smooth > 0
 * is Keras's label_smoothing (categorical and binary cross-entropy). */
double nnm_loss(int loss, float smooth, int last_act, int64_t rows, int64_t cols, const float *z, const float *y,
                const float *t, const float *rw, float *g, int *fused);
/* Whether nnm_loss fuses this loss with this output activation. */
int nnm_loss_fuses(int loss, int last_act);

/* Keras 2.2's choice of accuracy for metrics=['accuracy']. */
enum { ACC_BINARY, ACC_CATEGORICAL };
int nnm_acc_kind(int loss, int64_t cols);
/* Index of the largest of v[0..n) (the first on ties). */
int64_t nnm_argmax(const float *v, int64_t n);
/* Number of correct predictions (binary: mean over the columns of each
 * row, summed over rows). */
double nnm_accuracy(int kind, int64_t rows, int64_t cols, const float *y, const float *t);

/* Optimizer state for n parameters; step() applies one Keras 2.2 update. */
typedef struct {
    int64_t n;
    int64_t iterations;      /* updates done so far */
    double lr;               /* the learning rate, as callbacks set it (a float32 value, as
                                Keras keeps it); starts at the optimizer's lr */
    double m_schedule;       /* Nadam */
    float *s1, *s2, *s3;     /* per-parameter accumulators (kind-specific) */
} NnmOptState;
void nnm_optim_init(NnmOptState *st, const NnmOptim *o, int64_t n);
void nnm_optim_free(NnmOptState *st);
void nnm_optim_step(const NnmOptim *o, NnmOptState *st, float *w, const float *g);
/* The learning rate a schedule gives at a step (see NnmSchedule). */
double nnm_schedule_lr(const NnmSchedule *s, double step);
#endif
