/* bench/kernels.c — what each --isa version of the element-wise and layout
 * kernels (runtime/isa.h) costs, one thread, on LeNet's shapes (bench/
 * lenet.nnm, batch 128): im2col and col2im of the second convolution,
 * max-pooling forward and back, ReLU forward and back, bias, column sums and
 * an RMSprop and an Adam step over LeNet's 1,256,080 parameters.  Best of
 * REPS calls, in microseconds; the versions are taken in turn, so that the
 * machine's changes of speed touch them alike.  `make bench` runs it. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "isa.h"
#include "kernels.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static float *filled(int64_t n)
{
    float *p = malloc((size_t)n * sizeof *p);
    if (!p)
        exit(1);
    for (int64_t i = 0; i < n; i++)
        p[i] = (float)((i * 7919) % 1000) / 500.0f - 1.0f;
    return p;
}

enum { K_IM2COL, K_COL2IM, K_POOL, K_POOL_BACK, K_RELU, K_RELU_BACK, K_BIAS, K_COLSUM, K_RMSPROP, K_ADAM, NK };
static const char *const kname[NK] = {"im2col (conv2, 8 images)", "col2im (conv2, 8 images)", "maxpool 2x2 (28x28x20)",
                                      "maxpool back", "relu (128x14x14x50)", "relu back", "bias add (128x14x14, 50)",
                                      "column sums (same)", "RMSprop step (1.26 M)", "Adam step (1.26 M)"};

int main(int argc, char **argv)
{
    const int reps = argc > 1 ? atoi(argv[1]) : 30;
    const int64_t B = 128, P = 1256080;
    NnmWindow conv = {.h = 14, .w = 14, .c = 20, .oh = 14, .ow = 14, .kh = 5, .kw = 5, .sh = 1, .sw = 1, .dh = 1, .dw = 1, .pt = 2, .pl = 2};
    NnmWindow pool = {.h = 28, .w = 28, .c = 20, .oh = 14, .ow = 14, .kh = 2, .kw = 2, .sh = 2, .sw = 2, .dh = 1, .dw = 1};
    float *x = filled(8 * 14 * 14 * 20), *col = filled(8 * 196 * 500), *dx = filled(8 * 14 * 14 * 20);
    float *px = filled(B * 28 * 28 * 20), *py = filled(B * 14 * 14 * 20), *pdx = filled(B * 28 * 28 * 20);
    int32_t *arg = calloc((size_t)(B * 14 * 14 * 20), sizeof *arg);
    const int64_t rows = B * 196, cols = 50;
    float *z = filled(rows * cols), *g = filled(rows * cols), *bias = filled(cols), *db = filled(cols);
    float *w = filled(P), *gw = filled(P);
    for (int64_t i = 0; i < P; i++)
        gw[i] *= 1e-3f;
    NnmOptim rms = {.kind = OPT_RMSPROP, .lr = 1e-3, .rho = 0.9, .epsilon = 1e-7};
    NnmOptim adam = {.kind = OPT_ADAM, .lr = 1e-3, .beta_1 = 0.9, .beta_2 = 0.999, .epsilon = 1e-7};
    NnmOptState s_rms, s_adam;
    nnm_optim_init(&s_rms, &rms, P);
    nnm_optim_init(&s_adam, &adam, P);
    double best[NNM_ISA_COUNT][NK];
    for (int i = 0; i < NNM_ISA_COUNT; i++)
        for (int k = 0; k < NK; k++)
            best[i][k] = 1e30;
    for (int r = 0; r < reps; r++)
        for (int isa = 0; isa < NNM_ISA_COUNT; isa++) {
            if (!nnm_isa_supported(isa))
                continue;
            nnm_isa_active = isa;
            for (int k = 0; k < NK; k++) {
                double t = now();
                switch (k) {
                case K_IM2COL: nnm_im2col(&conv, 8, x, col); break;
                case K_COL2IM: nnm_col2im_clear(&conv, 8, col, dx); break;
                case K_POOL: nnm_maxpool(&pool, B, px, py, arg); break;
                case K_POOL_BACK: nnm_maxpool_back(&pool, B, py, arg, pdx); break;
                case K_RELU: nnm_act_forward(ACT_RELU, 0, rows, cols, z, g); break;
                case K_RELU_BACK: nnm_act_backward(ACT_RELU, 0, rows, cols, z, z, g); break;
                case K_BIAS: nnm_add_bias(rows, cols, bias, z); break;
                case K_COLSUM: nnm_col_sums(rows, cols, g, db); break;
                case K_RMSPROP: nnm_optim_step(&rms, &s_rms, w, gw); break;
                case K_ADAM: nnm_optim_step(&adam, &s_adam, w, gw); break;
                }
                t = now() - t;
                if (t < best[isa][k])
                    best[isa][k] = t;
            }
        }
    printf("%-28s", "kernel (best of runs, us)");
    for (int isa = 0; isa < NNM_ISA_COUNT; isa++)
        printf(" %10s", nnm_isa_name(isa));
    printf("  best/baseline\n");
    double tot[NNM_ISA_COUNT] = {0};
    for (int k = 0; k < NK; k++) {
        printf("%-28s", kname[k]);
        double b = best[0][k], m = b;
        for (int isa = 0; isa < NNM_ISA_COUNT; isa++) {
            if (!nnm_isa_supported(isa)) {
                printf(" %10s", "-");
                continue;
            }
            printf(" %10.1f", best[isa][k] * 1e6);
            tot[isa] += best[isa][k];
            if (best[isa][k] < m)
                m = best[isa][k];
        }
        printf("  %.2fx\n", b / m);
    }
    printf("%-28s", "all");
    for (int isa = 0; isa < NNM_ISA_COUNT; isa++)
        if (nnm_isa_supported(isa))
            printf(" %10.1f", tot[isa] * 1e6);
    printf("\n");
    return 0;
}
