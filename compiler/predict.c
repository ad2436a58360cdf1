/* compiler/predict.c — `nnmc predict FILE.nnm --weights W.npz [--top K] INPUT...`:
 * the last model of the file, with trained weights, on image files:
 *   PNG (libpng), PGM/PPM (P2, P5, P3, P6), IDX image files (gzipped or not;
 *   every image in them)
 * Each image is brought to what the model's input needs: channels
 * converted (grey <-> RGB, alpha dropped), resized (bilinear, pixel centres
 * aligned), scaled to [0, 1] as nnmc's data sets are, flattened for a flat
 * input.  For each, one line with the top K classes and their
 * probabilities, named as the model's training data names them (CIFAR-10's
 * and Fashion-MNIST's class names, MNIST's digits), as Keras's
 * decode_predictions(preds, top=K) lists them. */
#include "predict.h"
#include "data.h"
#include "net.h"
#include "files.h"
#include "npz.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    int64_t h, w, c;
    float *px; /* [h, w, c] in [0, 1] */
} Image;

static int bad(const char *path, const char *what)
{
    fprintf(stderr, "nnmc: error: %s: %s\n", path, what);
    return -1;
}

/* A PNG through libpng's simplified API.  A 16-bit file is read as 16-bit
 * ("linear") values and scaled by 65535: asking that API for 8 bits would
 * convert 16-bit data from linear light to sRGB, brightening it. */
static int read_png(FILE *f, const char *path, int want_c, Image *im)
{
    png_image p;
    memset(&p, 0, sizeof p);
    p.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_stdio(&p, f))
        return bad(path, p.message[0] ? p.message : "not a PNG image");
    int wide = (p.format & PNG_FORMAT_FLAG_LINEAR) != 0;
    p.format = (want_c == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB) | (wide ? PNG_FORMAT_FLAG_LINEAR : 0u);
    if (p.width == 0 || p.height == 0 || p.width > 16384 || p.height > 16384) {
        png_image_free(&p);
        return bad(path, "implausible PNG dimensions");
    }
    size_t size = PNG_IMAGE_SIZE(p), n = size / (wide ? 2 : 1);
    /* a few bytes of PNG can declare 16384x16384 pixels: what they need (the
     * decoded bytes and a float each) is checked before it is allocated */
    if ((double)size + 4.0 * (double)n > nnm_memory_limit()) {
        png_image_free(&p);
        return bad(path, "its size needs more memory than this process may allocate");
    }
    unsigned char *buf = nnm_xmalloc(size);
    if (!png_image_finish_read(&p, NULL, buf, 0, NULL)) {
        free(buf);
        return bad(path, p.message[0] ? p.message : "damaged PNG image");
    }
    im->h = p.height, im->w = p.width, im->c = want_c == 1 ? 1 : 3;
    im->px = nnm_xmalloc(sizeof(float) * n);
    for (size_t i = 0; i < n; i++)
        im->px[i] = wide ? (float)((const png_uint_16 *)(void *)buf)[i] / 65535.0f : (float)buf[i] / 255.0f;
    free(buf);
    png_image_free(&p);
    return 0;
}

/* a header number of a PNM file, after blanks and # comments */
static long pnm_number(FILE *f)
{
    int ch;
    for (;;) {
        ch = fgetc(f);
        if (ch == '#')
            while (ch != '\n' && ch != EOF)
                ch = fgetc(f);
        else if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r')
            break;
    }
    long v = -1;
    while (ch >= '0' && ch <= '9' && v < 100000000) {
        v = (v < 0 ? 0 : v * 10) + (ch - '0');
        ch = fgetc(f);
    }
    return v;
}

static int read_pnm(FILE *f, const char *path, Image *im)
{
    char m[2] = {0};
    int kind = fread(m, 1, 2, f) == 2 && m[0] == 'P' ? m[1] : 0;
    long w = pnm_number(f), h = pnm_number(f), max = pnm_number(f);
    int c = kind == '3' || kind == '6' ? 3 : 1, binary = kind == '5' || kind == '6';
    if (!strchr("2356", kind ? kind : 'x') || w <= 0 || h <= 0 || w > 16384 || h > 16384 || max <= 0 || max > 65535) {
        return bad(path, "not a PGM or PPM image nnmc reads (P2, P5, P3, P6)");
    }
    int64_t n = (int64_t)w * h * c;
    /* every value takes a byte at least (two in 16-bit binary files): a short
     * file is refused before its claimed size is allocated */
    long here = ftell(f);
    struct stat sb;
    if (here >= 0 && fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) &&
        (int64_t)sb.st_size - here < n * (binary && max > 255 ? 2 : 1)) {
        return bad(path, "truncated image data");
    }
    if (4.0 * (double)n > nnm_memory_limit())
        return bad(path, "its size needs more memory than this process may allocate");
    im->h = h, im->w = w, im->c = c;
    im->px = nnm_xmalloc(sizeof(float) * (size_t)n);
    for (int64_t i = 0; i < n; i++) {
        long v;
        if (binary) {
            int hi = fgetc(f), lo = max > 255 ? fgetc(f) : 0;
            v = hi == EOF || lo == EOF ? -1 : max > 255 ? hi * 256 + lo : hi;
        } else {
            v = pnm_number(f);
        }
        if (v < 0 || v > max) {
                free(im->px);
            return bad(path, v < 0 ? "truncated image data" : "a pixel above the image's maximum value");
        }
        im->px[i] = (float)v / (float)max;
    }
    return 0;
}

/* what an input of this shape looks like as an image; 0 or -1 */
static int input_image(const NnmShape *in, int64_t *h, int64_t *w, int64_t *c)
{
    if (in->rank == 3)
        return *h = in->dim[0], *w = in->dim[1], *c = in->dim[2], (*c == 1 || *c == 3) ? 0 : -1;
    if (in->rank == 2)
        return *h = in->dim[0], *w = in->dim[1], *c = 1, 0;
    if (in->rank == 1)
        for (int64_t ch = 1; ch <= 3; ch += 2) {
            int64_t s = (int64_t)llround(sqrt((double)in->dim[0] / (double)ch));
            if (s * s * ch == in->dim[0])
                return *h = *w = s, *c = ch, 0;
        }
    return -1;
}

/* src (any size, 1 or 3 channels) into dst [h, w, c]: channels, then bilinear size */
static void fit_image(const Image *src, float *dst, int64_t h, int64_t w, int64_t c)
{
    for (int64_t i = 0; i < h; i++)
        for (int64_t j = 0; j < w; j++) {
            double y = ((double)i + 0.5) * (double)src->h / (double)h - 0.5;
            double x = ((double)j + 0.5) * (double)src->w / (double)w - 0.5;
            y = y < 0 ? 0 : y > (double)(src->h - 1) ? (double)(src->h - 1) : y;
            x = x < 0 ? 0 : x > (double)(src->w - 1) ? (double)(src->w - 1) : x;
            int64_t y0 = (int64_t)y, x0 = (int64_t)x, y1 = NNM_MIN(y0 + 1, src->h - 1), x1 = NNM_MIN(x0 + 1, src->w - 1);
            double fy = y - (double)y0, fx = x - (double)x0;
            float rgb[3];
            for (int64_t k = 0; k < src->c; k++) {
                const float *p = src->px + k;
                int64_t sc = src->c, sw = src->w;
                rgb[k] = (float)((1 - fy) * ((1 - fx) * p[(y0 * sw + x0) * sc] + fx * p[(y0 * sw + x1) * sc]) +
                                 fy * ((1 - fx) * p[(y1 * sw + x0) * sc] + fx * p[(y1 * sw + x1) * sc]));
            }
            float *out = dst + (i * w + j) * c;
            if (c == src->c)
                memcpy(out, rgb, sizeof(float) * (size_t)c);
            else if (c == 1)
                out[0] = 0.299f * rgb[0] + 0.587f * rgb[1] + 0.114f * rgb[2];
            else
                out[0] = out[1] = out[2] = rgb[0];
        }
}

enum { FILE_OTHER, FILE_IDX, FILE_PNG };

/* what a file is by its first bytes (then read again from the start): an
 * IDX image file (gzipped or not), a PNG, or else */
static int file_kind(FILE *f)
{
    unsigned char b[8] = {0};
    size_t n = fread(b, 1, 8, f);
    rewind(f);
    if (n >= 2 && ((b[0] == 0x1f && b[1] == 0x8b) || (n >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 8 && b[3] == 3)))
        return FILE_IDX;
    return n == 8 && !png_sig_cmp(b, 0, 8) ? FILE_PNG : FILE_OTHER;
}

typedef struct {
    Net *net;
    int64_t classes;
    int top;
    const char *const *names; /* class names, or NULL */
    const int *labels;        /* original labels of classes (filtered MNIST), or NULL */
    const char *output;       /* the output's name, when the model has several, else NULL */
} Out;

static void show(const Out *o, const char *name, const float *y)
{
    int64_t C = o->classes;
    float two[2];
    if (C == 1) { /* one sigmoid: class 1 with y, class 0 with 1 - y */
        two[0] = 1 - y[0], two[1] = y[0];
        y = two, C = 2;
    }
    int64_t *order = nnm_xmalloc(sizeof *order * (size_t)C);
    for (int64_t i = 0; i < C; i++)
        order[i] = i;
    for (int64_t i = 1; i < C; i++) /* stable: ties keep the lower class first */
        for (int64_t j = i; j > 0 && y[order[j]] > y[order[j - 1]]; j--) {
            int64_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    if (o->output)
        printf("%s [%s]:", name, o->output);
    else
        printf("%s:", name);
    for (int64_t k = 0; k < C && k < o->top; k++) {
        int64_t c = order[k];
        if (o->names)
            printf("%s %s (%.2f%%)", k ? "," : "", o->names[c], 100.0 * y[c]);
        else
            printf("%s %d (%.2f%%)", k ? "," : "", o->labels ? o->labels[c] : (int)c, 100.0 * y[c]);
    }
    putchar('\n');
    free(order);
}

int nnm_predict(const NnmProgram *p, const char *weights, int top, char **inputs, int ninputs)
{
    const NnmModel *m = NULL;
    int mi = -1;
    for (int i = p->nmodels - 1; i >= 0 && !m; i--)
        if (p->models[i].nlayers)
            m = &p->models[mi = i];
    if (!m) {
        fprintf(stderr, "nnmc: error: %s builds no model to predict with\n", p->file);
        return 1;
    }
    if (m->ninputs != 1) {
        fprintf(stderr, "nnmc: error: %s: nnmc predict feeds images to a model with one input; '%s' has %d\n",
                p->file, m->name, m->ninputs);
        return 1;
    }
    int64_t h, w, c;
    if (input_image(&m->inputs[0], &h, &w, &c)) {
        fprintf(stderr, "nnmc: error: %s: the input of '%s' is not an image (or a flattened one)\n", p->file, m->name);
        return 1;
    }
    Net net;
    NnmRng rng;
    nnm_rng_seed(&rng, 1, RNG_INIT);
    net_init(&net, m, &rng, 1);
    if (net_weights_file(m, net.w, weights, 0)) {
        net_free(&net);
        return 1;
    }
    /* the classes are those of the data the model was trained or evaluated
     * on, and the images are scaled as that data was */
    const NnmStep *data = NULL;
    for (int s = 0; s < p->nsteps; s++)
        if (p->steps[s].model == mi && (p->steps[s].kind == STEP_FIT || p->steps[s].kind == STEP_EVALUATE))
            data = &p->steps[s];
    const NnmDataset *ds = data ? &p->datasets[data->x[0].dataset] : NULL;
    const char *names[NNM_MAX_IO][NNM_MAX_CLASSES];
    Out outs[NNM_MAX_IO];
    for (int k = 0; k < m->noutputs; k++) {
        Out *o = &outs[k];
        *o = (Out){&net, net.out_size[k], top, NULL, NULL, NULL};
        if (m->noutputs > 1)
            o->output = m->layers[m->outputs[k].node].name;
        /* labels mapped by the file (y % 2) are classes of their own */
        if (ds && !data->y[k].mapped) {
            int nc = net.out_size[k] == 1 ? 2 : (int)net.out_size[k];
            o->names = nnm_class_names(ds, nc, names[k]);
            if (!o->names && ds->filtered && nc == ds->nclasses)
                o->labels = ds->classes;
        }
    }
    const int64_t batch = 256, px = h * w * c;
    net_plan(&net, batch);
    int rc = 0;
    for (int a = 0; a < ninputs && rc == 0; a++) {
        const char *path = inputs[a];
        FILE *f = nnm_in_open(path, NULL);
        if (!f) {
            rc = -1;
            break;
        }
        int kind = file_kind(f);
        if (kind == FILE_IDX) {
            fclose(f);
            NnmSplit s;
            if (nnm_idx_load(path, NULL, &s)) {
                rc = -1;
                break;
            }
            Image im = {s.rows, s.cols, 1, nnm_alloc_floats(nnm_split_sample(&s))};
            for (int64_t i0 = 0; i0 < s.n; i0 += batch) {
                int64_t b = NNM_MIN(batch, s.n - i0);
                for (int64_t i = 0; i < b; i++) {
                    nnm_split_row(&s, i0 + i, im.px);
                    fit_image(&im, net.in[0] + i * px, h, w, c);
                    if (data)
                        nnm_array_scale(&data->x[0], net.in[0] + i * px, net.in[0] + i * px, px);
                }
                net_forward(&net, b, 0);
                size_t nl = strlen(path) + 32;
                char *name = nnm_xmalloc(nl);
                for (int64_t i = 0; i < b; i++) {
                    snprintf(name, nl, "%s[%lld]", path, (long long)(i0 + i));
                    for (int k = 0; k < m->noutputs; k++)
                        show(&outs[k], name, net_output(&net, k) + i * net.out_size[k]);
                }
                free(name);
            }
            nnm_free_aligned(im.px);
            nnm_split_free(&s);
            continue;
        }
        Image im;
        int r = kind == FILE_PNG ? read_png(f, path, (int)c, &im) : read_pnm(f, path, &im);
        fclose(f);
        if (r) {
            rc = -1;
            break;
        }
        fit_image(&im, net.in[0], h, w, c);
        free(im.px);
        if (data)
            nnm_array_scale(&data->x[0], net.in[0], net.in[0], px);
        net_forward(&net, 1, 0);
        for (int k = 0; k < m->noutputs; k++)
            show(&outs[k], path, net_output(&net, k));
    }
    fflush(stdout);
    net_free(&net);
    return rc ? 1 : 0;
}
