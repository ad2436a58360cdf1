/* tests/emit/predict_main.c — drives a file written by `nnmc emit
 * --inference`: reads the first N MNIST test images itself (IDX, gzip),
 * scales them as nnmc does (pixels / 255), calls the predict function on
 * each, and writes the outputs as raw float32 to OUT, to be compared with
 * the data of the .npy that `np.save(..., model.predict(x_test))` wrote.
 *
 *   cc -DPREDICT=lenet_predict -DHEADER='"lenet_predict.h"' -DIN=784 -DOUTN=10 ...
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
    unsigned char head[16], px[IN];
    if (!g || gzread(g, head, 16) != 16)
        return 1;
    long n = atol(argv[2]);
    FILE *out = fopen(argv[3], "wb");
    if (!out)
        return 1;
    for (long i = 0; i < n; i++) {
        float x[IN], y[OUTN];
        if (gzread(g, px, IN) != IN)
            return 1;
        for (int k = 0; k < IN; k++)
            x[k] = (float)px[k] / 255.0f;
        if (PREDICT(x, y) != 0 || fwrite(y, sizeof y, 1, out) != 1)
            return 1;
    }
    gzclose(g);
    return fclose(out) != 0;
}
