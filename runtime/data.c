/* runtime/data.c — see data.h.
 *
 * IDX format: big-endian header; magic 0x00000803 (unsigned bytes, 3 dims)
 * for images, 0x00000801 for labels; then the dimensions; then the bytes.
 * Every count is checked against the file's real length and against the
 * other file of the pair, so a truncated or mismatched file is reported
 * by name instead of being read out of bounds. */
#include "data.h"
#include "files.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static int fail(const char *file, const char *msg)
{
    fprintf(stderr, "nnmc: error: %s: %s\n", file, msg);
    return -1;
}

/* Reads exactly n bytes; 1 on success, 0 at a clean or early end, -1 on error. */
static int readn(gzFile f, void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n > 0) {
        unsigned chunk = n > (1u << 30) ? (1u << 30) : (unsigned)n;
        int got = gzread(f, p, chunk);
        if (got < 0)
            return -1;
        if (got == 0)
            return 0;
        p += got;
        n -= (size_t)got;
    }
    return 1;
}

/* Reads exactly n bytes and nothing after them into a new buffer, grown as
 * the data comes so that a header claiming more than the file holds costs
 * no more memory than the file: 1 (*out set), 0 short, 2 longer, -1 error. */
static int read_exactly(gzFile f, size_t n, unsigned char **out)
{
    size_t have = 0, cap = n < ((size_t)1 << 24) ? n : (size_t)1 << 24;
    unsigned char *buf = nnm_xmalloc(cap + 1);
    int r = 1;
    while (have < n) {
        if (have == cap) {
            cap = n - cap < cap ? n : 2 * cap;
            buf = nnm_xrealloc(buf, cap + 1);
        }
        r = readn(f, buf + have, cap - have);
        if (r != 1)
            break;
        have = cap;
    }
    char extra;
    if (r == 1 && gzread(f, &extra, 1) != 0)
        r = 2;
    if (r != 1) {
        free(buf);
        buf = NULL;
    }
    *out = buf;
    return r;
}

static uint32_t be32(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* A gzip stream (or plain bytes: zlib reads them as they are) over a
 * regular file, opened through nnm_in_fd; NULL after a message. */
static gzFile open_gz(const char *file)
{
    int fd = nnm_in_fd(file, 0, NULL);
    if (fd < 0)
        return NULL;
    gzFile f = gzdopen(fd, "rb");
    if (!f) {
        close(fd);
        fail(file, "cannot open: out of memory");
    }
    return f;
}

/* Opens an IDX file and checks its header; dims[] receives ndim sizes. */
static gzFile open_idx(const char *file, uint32_t magic, int ndim, uint32_t *dims)
{
    gzFile f = open_gz(file);
    if (!f)
        return NULL;
    unsigned char h[16];
    int r = readn(f, h, (size_t)(4 + 4 * ndim));
    if (r != 1) {
        fail(file, r < 0 ? "not a valid gzip file" : "truncated IDX header");
        gzclose(f);
        return NULL;
    }
    if (be32(h) != magic) {
        char msg[128];
        snprintf(msg, sizeof msg, "bad magic number 0x%08x (expected 0x%08x: an IDX %s file)",
                 be32(h), magic, ndim == 3 ? "image" : "label");
        fail(file, msg);
        gzclose(f);
        return NULL;
    }
    for (int i = 0; i < ndim; i++)
        dims[i] = be32(h + 4 + 4 * i);
    return f;
}

int nnm_idx_load(const char *images, const char *labels, NnmSplit *out)
{
    memset(out, 0, sizeof *out);
    uint32_t d[3], ld[1];
    gzFile fi = open_idx(images, 0x00000803, 3, d);
    if (!fi)
        return -1;
    if (d[1] == 0 || d[2] == 0 || d[1] > 4096 || d[2] > 4096 || d[0] > 100000000u) {
        gzclose(fi);
        return fail(images, "implausible image dimensions in the IDX header");
    }
    gzFile fl = labels ? open_idx(labels, 0x00000801, 1, ld) : NULL;
    if (labels && !fl) {
        gzclose(fi);
        return -1;
    }
    if (labels && ld[0] != d[0]) {
        char msg[160];
        snprintf(msg, sizeof msg, "has %u labels but %s has %u images", ld[0], images, d[0]);
        gzclose(fi);
        gzclose(fl);
        return fail(labels, msg);
    }
    int64_t n = d[0], px = (int64_t)d[1] * d[2];
    /* what the header declares is checked before any of it is inflated:
     * a byte per pixel, kept as it is read */
    double need = (double)n * (double)px, limit = nnm_memory_limit();
    if (need > limit) {
        char msg[200];
        snprintf(msg, sizeof msg, "its header declares %lld images of %ux%u (%.1f GiB in memory), more than this "
                 "process may allocate (%.1f GiB)", (long long)n, d[1], d[2], need / (1 << 30), limit / (1 << 30));
        gzclose(fi);
        if (fl)
            gzclose(fl);
        return fail(images, msg);
    }
    unsigned char *raw;
    int r = read_exactly(fi, (size_t)(n * px), &raw);
    gzclose(fi);
    if (r != 1) {
        if (fl)
            gzclose(fl);
        return fail(images, r < 0 ? "corrupt gzip data" : r == 2 ? "has data after the last image"
                                                                 : "truncated: fewer images than its header says");
    }
    if (fl) {
        r = read_exactly(fl, (size_t)n, &out->label);
        gzclose(fl);
        if (r != 1) {
            free(raw);
            return fail(labels, r < 0 ? "corrupt gzip data" : r == 2 ? "has data after the last label"
                                                                     : "truncated: fewer labels than its header says");
        }
    } else {
        out->label = nnm_xcalloc((size_t)n + 1, 1);
    }
    out->x8 = raw;
    out->n = n;
    out->rows = d[1];
    out->cols = d[2];
    out->chans = 1;
    out->label_file = nnm_xstrdup(labels ? labels : images);
    out->x_file = nnm_xstrdup(images);
    return 0;
}

int64_t nnm_split_sample(const NnmSplit *s) { return s->rows * s->cols * s->chans; }

void nnm_split_row(const NnmSplit *s, int64_t i, float *dst)
{
    const int64_t px = nnm_split_sample(s);
    if (s->x) {
        memcpy(dst, s->x + i * px, (size_t)px * sizeof *dst);
        return;
    }
    const uint8_t *b = s->x8 + i * px;
    for (int64_t j = 0; j < px; j++)
        dst[j] = (float)b[j] / 255.0f;
}

#define CIFAR_RECORD 3073
#define CIFAR_PER_FILE 10000

int nnm_cifar_load(const char *const *files, int nfiles, NnmSplit *out)
{
    memset(out, 0, sizeof *out);
    int64_t n = (int64_t)nfiles * CIFAR_PER_FILE;
    out->x8 = nnm_xmalloc((size_t)n * 3072);
    out->label = nnm_xmalloc((size_t)n);
    unsigned char *rec = NULL;
    for (int f = 0; f < nfiles; f++) {
        free(rec); /* the previous file's records */
        rec = NULL;
        gzFile g = open_gz(files[f]);
        if (!g)
            goto fail;
        int r = read_exactly(g, (size_t)CIFAR_RECORD * CIFAR_PER_FILE, &rec);
        gzclose(g);
        if (r != 1) {
            fail(files[f], r < 0 ? "cannot read" : r == 2 ? "is longer than 10,000 CIFAR-10 records (30,730,000 bytes)"
                                                        : "is truncated: a CIFAR-10 batch has 10,000 records of 3,073 bytes");
            goto fail;
        }
        for (int64_t i = 0; i < CIFAR_PER_FILE; i++) {
            const unsigned char *p = rec + i * CIFAR_RECORD;
            int64_t k = (int64_t)f * CIFAR_PER_FILE + i;
            if (p[0] > 9) {
                char msg[96];
                snprintf(msg, sizeof msg, "record %lld has label %d; CIFAR-10 labels are 0-9", (long long)i, p[0]);
                fail(files[f], msg);
                goto fail;
            }
            out->label[k] = p[0];
            uint8_t *x = out->x8 + k * 3072;
            /* the file stores the red plane, then green, then blue */
            for (int px = 0; px < 1024; px++)
                for (int c = 0; c < 3; c++)
                    x[px * 3 + c] = p[1 + c * 1024 + px];
        }
    }
    free(rec);
    out->n = n;
    out->rows = out->cols = 32;
    out->chans = 3;
    out->label_file = nnm_xstrdup(files[0]);
    out->x_file = nnm_xstrdup(files[0]);
    return 0;
fail:
    free(rec);
    nnm_split_free(out);
    return -1;
}

void nnm_array_scale(const NnmArrayRef *r, const float *src, float *dst, int64_t n)
{
    if (r->nchan == 0) {
        if (dst != src)
            memmove(dst, src, (size_t)n * sizeof(float));
        return;
    }
    for (int64_t j = 0, c = 0; j < n; j++, c = c + 1 == r->nchan ? 0 : c + 1)
        dst[j] = src[j] * r->mul[c] + r->add[c];
}

void nnm_split_free(NnmSplit *s)
{
    nnm_free_aligned(s->x);
    free(s->x8);
    free(s->label);
    free(s->label_file);
    free(s->x_file);
    memset(s, 0, sizeof *s);
}

/* dir/sub/name in a new string, and whether something is there (a file
 * that is not a regular one is reported when it is opened) */
static int find(char **path, const char *dir, const char *sub, const char *name)
{
    size_t n = strlen(dir) + strlen(sub) + strlen(name) + 3;
    *path = nnm_xmalloc(n);
    snprintf(*path, n, "%s/%s/%s", dir, sub, name);
    struct stat sb;
    return stat(*path, &sb) == 0;
}

int nnm_data_files(const NnmDataset *d, const char *dir, char **out)
{
    if (d->source == DS_CSV) {
        out[0] = nnm_xstrdup(d->path);
        return 1;
    }
    if (d->source == DS_CIFAR10) {
        for (int i = 0; i < 6; i++) {
            char name[32];
            if (i < 5)
                snprintf(name, sizeof name, "data_batch_%d.bin", i + 1);
            else
                snprintf(name, sizeof name, "test_batch.bin");
            find(&out[i], dir, "cifar-10-batches-bin", name);
        }
        return 6;
    }
    const char *sub = d->source == DS_MNIST ? "mnist" : "fashion-mnist";
    static const char *names[4] = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                   "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"};
    for (int i = 0; i < 4; i++) {
        if (find(&out[i], dir, sub, names[i]) || d->source != DS_FASHION_MNIST)
            continue;
        /* Debian's dataset-fashion-mnist */
        char *tried = out[i];
        if (find(&out[i], "/usr/share/datasets", sub, names[i])) {
            free(tried);
            continue;
        }
        free(out[i]);
        out[i] = tried;
    }
    return 4;
}

static int filter(NnmSplit *s, const NnmDataset *d, const char *file)
{
    int map[256];
    for (int i = 0; i < 256; i++)
        map[i] = -1;
    for (int i = 0; i < d->nclasses; i++)
        map[d->classes[i]] = i;
    int64_t px = nnm_split_sample(s), k = 0;
    for (int64_t i = 0; i < s->n; i++) {
        if (!d->filtered) {
            if (s->label[i] >= d->nclasses) {
                char msg[96];
                snprintf(msg, sizeof msg, "label %d of sample %lld is not a digit 0-9", s->label[i],
                         (long long)i);
                return fail(file, msg);
            }
            continue;
        }
        int c = map[s->label[i]];
        if (c < 0)
            continue;
        if (s->x)
            memmove(s->x + k * px, s->x + i * px, (size_t)px * sizeof *s->x);
        else
            memmove(s->x8 + k * px, s->x8 + i * px, (size_t)px);
        s->label[k++] = (uint8_t)c;
    }
    if (d->filtered)
        s->n = k;
    return 0;
}

/* The data set's files (nnm_data_files), each there or reported. */
static int found(char **files, int n)
{
    for (int i = 0; i < n; i++) {
        struct stat sb;
        if (stat(files[i], &sb)) {
            fprintf(stderr, "nnmc: error: %s: no such file (run 'make data', or give --data DIR)\n", files[i]);
            return 0;
        }
    }
    return 1;
}

static int load_files(const NnmDataset *d, const char *dir, NnmData *out)
{
    char *files[NNM_DATA_FILES_MAX];
    int n = nnm_data_files(d, dir, files), rc = found(files, n) ? 0 : -1;
    if (rc == 0 && d->source == DS_CIFAR10) {
        if (nnm_cifar_load((const char *const *)files, 5, &out->train))
            rc = -1;
        else if (nnm_cifar_load((const char *const *)files + 5, 1, &out->test)) {
            nnm_split_free(&out->train);
            rc = -1;
        }
    } else if (rc == 0 && (nnm_idx_load(files[0], files[1], &out->train) ||
                           nnm_idx_load(files[2], files[3], &out->test))) {
        nnm_split_free(&out->train);
        rc = -1;
    }
    for (int i = 0; i < n; i++)
        free(files[i]);
    return rc;
}

int nnm_data_load(const NnmDataset *d, const char *dir, NnmData *out)
{
    memset(out, 0, sizeof *out);
    NNM_ASSERT(d->source != DS_CSV);
    if (load_files(d, dir, out))
        return -1;
    out->nclasses = d->nclasses;
    if (filter(&out->train, d, out->train.label_file) || filter(&out->test, d, out->test.label_file)) {
        nnm_split_free(&out->train);
        nnm_split_free(&out->test);
        return -1;
    }
    return 0;
}

const char *const *nnm_class_names(const NnmDataset *d, int count, const char **out)
{
    static const char *const cifar[10] = {"airplane", "automobile", "bird", "cat", "deer",
                                          "dog", "frog", "horse", "ship", "truck"};
    static const char *const fashion[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
    const char *const *base = d->source == DS_CIFAR10 ? cifar : d->source == DS_FASHION_MNIST ? fashion : NULL;
    if (!base || count != d->nclasses || count > NNM_MAX_CLASSES)
        return NULL;
    for (int c = 0; c < count; c++)
        out[c] = base[d->filtered ? d->classes[c] : c];
    return out;
}
