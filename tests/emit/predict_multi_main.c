/* tests/emit/predict_multi_main.c — drives a file written by `nnmc emit
 * --inference` for a model with NIN inputs and NOUT outputs
 * (tests/emit/multi_io.nnm): each of the first N MNIST test images, scaled
 * as nnmc does (pixels / 255), goes to every input; output k of every image
 * is written as raw float32 to OUT.k, to be compared with the .npy that a
 * one-output model sharing the layers saved.
 *
 *   cc -DPREDICT=multi_io_predict -DHEADER='"p.h"' -DNIN=2 -DNOUT=2 -DOUTS='{10, 1}' ...
 *   ./driver t10k-images-idx3-ubyte.gz N OUT */
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>
#include HEADER

int main(int argc, char **argv)
{
    if (argc != 4)
        return 2;
    gzFile g = gzopen(argv[1], "rb");
    unsigned char head[16], px[784];
    if (!g || gzread(g, head, 16) != 16)
        return 1;
    static const int outs[NOUT] = OUTS;
    FILE *out[NOUT];
    for (int k = 0; k < NOUT; k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s.%d", argv[3], k);
        if (!(out[k] = fopen(path, "wb")))
            return 1;
    }
    long n = atol(argv[2]);
    static float x[784], y[NOUT][64];
    const float *in[NIN];
    float *o[NOUT];
    for (int k = 0; k < NIN; k++)
        in[k] = x;
    for (int k = 0; k < NOUT; k++)
        o[k] = y[k];
    for (long i = 0; i < n; i++) {
        if (gzread(g, px, 784) != 784)
            return 1;
        for (int k = 0; k < 784; k++)
            x[k] = (float)px[k] / 255.0f;
        if (PREDICT(in, o) != 0)
            return 1;
        for (int k = 0; k < NOUT; k++)
            if (fwrite(y[k], sizeof(float), (size_t)outs[k], out[k]) != (size_t)outs[k])
                return 1;
    }
    gzclose(g);
    for (int k = 0; k < NOUT; k++)
        if (fclose(out[k]))
            return 1;
    return 0;
}
