/* fuzz/fuzz_files.c — AFL++ harness for every reader of files that are not
 * model files: checkpoints (--resume), .npz weights, PNG/PGM/PPM/IDX images
 * (nnmc predict), CSV tables (load_csv), IDX and CIFAR-10 data files.
 *
 *   make fuzz-files FUZZ_SECONDS=1800     (see fuzz/run.sh)
 *
 * The first byte of an input chooses the reader, the rest is the file.  For
 * checkpoints the harness rewrites the trailing CRC-32 so that mutations
 * reach the parser behind the checksum, and then runs a small program that
 * trains with callbacks from the checkpoint: a checkpoint whose fields lie
 * must be refused, not trusted.  `fuzz_files --seeds DIR` writes one valid
 * input of each kind (made by the same code paths nnmc uses) to start from.
 *
 * Two kinds go beyond one reader: K_SPECIAL puts a FIFO, a directory or a
 * link to /dev/zero where a reader expects its file (the next byte picks
 * the reader), and K_MNIST_FIT trains on an IDX image file of any header
 * (so of any image size: the per-sample check) as MNIST's training images.
 * NNM_MEMORY_MB caps what the readers may allocate at 400 MB, below the
 * 500 MB RSS that fuzz/run.sh lets a run reach.
 *
 * Any crash, sanitizer report or hang is a bug: a damaged file must give a
 * message and exit status 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>
#include <png.h>
#include <zlib.h>

#include "ast.h"
#include "csv.h"
#include "data.h"
#include "exec.h"
#include "predict.h"
#include "sema.h"

#ifndef __AFL_LOOP
#define __AFL_LOOP(n) (once_ ? (once_ = 0, 1) : 0)
static int once_ = 1;
#endif

enum { K_CHECKPOINT, K_NPZ, K_IMAGE, K_CSV, K_IDX, K_CIFAR, K_SPECIAL, K_MNIST_FIT, NKINDS };

/* trains with the callbacks whose state a checkpoint holds */
static const char FIT_SRC[] =
    "from keras.callbacks import EarlyStopping, ReduceLROnPlateau, CSVLogger\n"
    "(x_train, y_train), (x_test, y_test) = load_csv('t.csv', label_column='y', test_split=0.25)\n"
    "model = Sequential([Dense(4, activation='relu', input_shape=(3,)), Dense(2, activation='softmax')])\n"
    "model.compile(loss='sparse_categorical_crossentropy', optimizer='adam', metrics=['accuracy'])\n"
    "h = model.fit(x_train, y_train, epochs=3, batch_size=4, validation_split=0.25, verbose=0,\n"
    "              callbacks=[EarlyStopping(patience=5, restore_best_weights=True), ReduceLROnPlateau(patience=1),\n"
    "                         CSVLogger('log.csv')])\n"
    "print(h.history['loss'])\n"
    "print(model.evaluate(x_test, y_test, verbose=0))\n";

/* trains on MNIST's files, from mn/ (its training images fuzzed) */
static const char MNIST_SRC[] =
    "(x_train, y_train), (x_test, y_test) = mnist.load_data()\n"
    "x_train = x_train.reshape(-1, 784) / 255\n"
    "y_train = keras.utils.to_categorical(y_train, 10)\n"
    "model = Sequential([Dense(10, activation='softmax', input_shape=(784,))])\n"
    "model.compile(loss='categorical_crossentropy', optimizer='sgd')\n"
    "model.fit(x_train[:16], y_train[:16], epochs=1, batch_size=8, verbose=0)\n";

/* an image model for nnmc predict, and its weights */
static const char IMG_SRC[] =
    "model = Sequential([Conv2D(2, (3, 3), activation='relu', input_shape=(8, 8, 1)), Flatten(),\n"
    "                    Dense(3, activation='softmax')])\n"
    "model.save_weights('good.npz')\n";

/* The programs live as long as the process (their source and diagnostics
 * too: static), their memory in arena. */
static NnmProgram *compile(const char *name, const char *text, Arena *arena)
{
    static SrcFile srcs[3];
    static Diag diags[3];
    static int count;
    SrcFile *src = &srcs[count];
    Diag *diag = &diags[count++];
    *src = (SrcFile){name, text, (uint32_t)strlen(text)};
    diag_init(diag, src, stderr);
    ParseCtx ctx = {0};
    ctx.arena = arena;
    ctx.diag = diag;
    nnm_parse(&ctx, src);
    NnmProgram *p = diag->n_errors ? NULL : sema_run(ctx.stmts, src, arena, diag);
    if (diag_finish(diag) || !p) {
        fprintf(stderr, "fuzz_files: the harness's own %s does not compile\n", name);
        exit(2);
    }
    return p;
}

static void write_file(const char *path, const void *data, size_t n)
{
    unlink(path); /* it may be a FIFO or a link that K_SPECIAL left */
    rmdir(path);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f)) {
        perror(path);
        exit(2);
    }
}

static unsigned char *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    rewind(f);
    unsigned char *b = nnm_xmalloc(*n + 1);
    if (fread(b, 1, *n, f) != *n)
        exit(2);
    fclose(f);
    return b;
}

static NnmRunOpts run_opts(const char *resume)
{
    NnmRunOpts o = {0};
    o.seed = 1;
    o.data_dir = ".";
    o.threads = 1;
    o.quiet = 1;
    o.resume_dir = resume;
    return o;
}

/* the files every reader is given besides the fuzzed one */
static void fixtures(void)
{
    char csv[2048] = "a,b,c,y\n";
    for (int i = 0; i < 24; i++) {
        char row[64];
        snprintf(row, sizeof row, "%d.5,%d,-%d.25,%s\n", i % 5, i % 3, i % 7, i % 2 ? "yes" : "no");
        strcat(csv, row);
    }
    write_file("t.csv", csv, strlen(csv));
    unsigned char pgm[11 + 64];
    memcpy(pgm, "P5\n8 8\n255\n", 11);
    for (int i = 0; i < 64; i++)
        pgm[11 + i] = (unsigned char)(i * 4);
    write_file("digit.pgm", pgm, 11 + 64);
    unsigned char idx[16 + 2 * 64] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 8, 0, 0, 0, 8};
    for (int i = 0; i < 128; i++)
        idx[16 + i] = (unsigned char)(i * 2);
    write_file("img.idx", idx, sizeof idx);
    /* MNIST's test files (two images) and training labels for K_MNIST_FIT */
    mkdir("mn", 0755);
    mkdir("mn/mnist", 0755);
    unsigned char timg[16 + 2 * 784] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28};
    write_file("mn/mnist/t10k-images-idx3-ubyte.gz", timg, sizeof timg);
    unsigned char tlab[8 + 2] = {0, 0, 8, 1, 0, 0, 0, 2, 3, 4};
    write_file("mn/mnist/t10k-labels-idx1-ubyte.gz", tlab, sizeof tlab);
}

/* training labels for images whose header declares n (at most 4096 kept:
 * a larger count is a mismatch the reader reports) */
static void mnist_labels(uint32_t n)
{
    uint32_t k = n > 4096 ? 4096 : n;
    unsigned char *b = nnm_xcalloc(8 + (size_t)k, 1);
    unsigned char h[8] = {0, 0, 8, 1, (unsigned char)(n >> 24), (unsigned char)(n >> 16), (unsigned char)(n >> 8),
                          (unsigned char)n};
    memcpy(b, h, 8);
    for (uint32_t i = 0; i < k; i++)
        b[8 + i] = (unsigned char)(i % 10);
    write_file("mn/mnist/train-labels-idx1-ubyte.gz", b, 8 + (size_t)k);
    free(b);
}

/* the first byte, then the file */
static void seed(const char *dir, int kind, const char *name, const void *data, size_t n)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unsigned char *b = nnm_xmalloc(n + 1);
    b[0] = (unsigned char)kind;
    memcpy(b + 1, data, n);
    write_file(path, b, n + 1);
    free(b);
}

/* in compressed with zlib's deflate: wbits 31 a gzip file, -15 raw (zip) */
static unsigned char *deflated(const unsigned char *in, size_t n, int wbits, size_t *out_n)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 9, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        exit(2);
    size_t cap = deflateBound(&z, (uLong)n) + 32;
    unsigned char *out = nnm_xmalloc(cap);
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END)
        exit(2);
    *out_n = z.total_out;
    deflateEnd(&z);
    return out;
}

static void put_le(unsigned char *p, uint32_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* good.npz (stored, as nnmc writes it) again with its members deflated, as
 * numpy's savez_compressed writes them: the declared sizes are then what
 * the reader must not trust before inflating */
static unsigned char *npz_deflated(const unsigned char *z, size_t n, size_t *out_n)
{
    unsigned char *out = nnm_xmalloc(2 * n + 4096), *cd = nnm_xmalloc(4096);
    size_t o = 0, c = 0, p = 0;
    int count = 0;
    while (p + 30 <= n && z[p] == 0x50 && z[p + 1] == 0x4b && z[p + 2] == 3 && z[p + 3] == 4) {
        uint32_t size = (uint32_t)z[p + 22] | (uint32_t)z[p + 23] << 8 | (uint32_t)z[p + 24] << 16 | (uint32_t)z[p + 25] << 24;
        unsigned nl = z[p + 26] | z[p + 27] << 8;
        size_t dn;
        unsigned char *d = deflated(z + p + 30 + nl, size, -15, &dn);
        unsigned char lh[30];
        memcpy(lh, z + p, 30);
        put_le(lh + 8, 8, 2);
        put_le(lh + 18, (uint32_t)dn, 4);
        unsigned char *e = cd + c;
        memset(e, 0, 46);
        put_le(e, 0x02014b50, 4);
        put_le(e + 4, 20, 2);
        put_le(e + 6, 20, 2);
        put_le(e + 10, 8, 2);
        memcpy(e + 16, lh + 14, 4); /* the CRC of the data */
        put_le(e + 20, (uint32_t)dn, 4);
        put_le(e + 24, size, 4);
        put_le(e + 28, nl, 2);
        put_le(e + 42, (uint32_t)o, 4);
        memcpy(e + 46, z + p + 30, nl);
        c += 46 + nl;
        memcpy(out + o, lh, 30);
        memcpy(out + o + 30, z + p + 30, nl);
        memcpy(out + o + 30 + nl, d, dn);
        o += 30 + nl + dn;
        free(d);
        p += 30 + nl + size;
        count++;
    }
    memcpy(out + o, cd, c);
    unsigned char end[22] = {0x50, 0x4b, 5, 6};
    put_le(end + 8, (uint32_t)count, 2);
    put_le(end + 10, (uint32_t)count, 2);
    put_le(end + 12, (uint32_t)c, 4);
    put_le(end + 16, (uint32_t)o, 4);
    memcpy(out + o + c, end, 22);
    *out_n = o + c + 22;
    free(cd);
    return out;
}

static void write_seeds(const char *dir, const NnmProgram *fit)
{
    mkdir("ck", 0755);
    NnmRunOpts o = run_opts(NULL);
    o.checkpoint_dir = "ck";
    o.epochs = 1; /* the checkpoint of epoch 1 of 3: resuming it trains on */
    if (nnm_exec(fit, &o)) {
        fprintf(stderr, "fuzz_files: the harness's fit did not run\n");
        exit(2);
    }
    static const struct {
        int kind;
        const char *file, *name;
    } files[] = {
        {K_CHECKPOINT, "ck/checkpoint.nnmc", "checkpoint"}, {K_NPZ, "good.npz", "npz"},
        {K_IMAGE, "digit.pgm", "pgm"}, {K_IMAGE, "img.idx", "idx-image"}, {K_CSV, "t.csv", "csv"},
        {K_IDX, "img.idx", "idx"},
    };
    for (size_t k = 0; k < sizeof files / sizeof *files; k++) {
        size_t n;
        unsigned char *b = read_file(files[k].file, &n);
        seed(dir, files[k].kind, files[k].name, b, n);
        free(b);
    }
    static const unsigned char labels[] = {0, 0, 8, 1, 0, 0, 0, 2, 1, 0}; /* an IDX label file */
    seed(dir, K_IDX, "idx-labels", labels, sizeof labels);
    png_image pi; /* an 8x8 grey PNG, as libpng writes it */
    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    pi.width = pi.height = 8;
    pi.format = PNG_FORMAT_GRAY;
    unsigned char px[64], png[1024];
    for (int i = 0; i < 64; i++)
        px[i] = (unsigned char)(255 - i * 3);
    png_alloc_size_t pn = sizeof png;
    if (!png_image_write_to_memory(&pi, png, &pn, 0, px, 0, NULL))
        exit(2);
    seed(dir, K_IMAGE, "png", png, pn);
    unsigned char cifar[2 * 3073];
    for (size_t i = 0; i < sizeof cifar; i++)
        cifar[i] = (unsigned char)(i % 3073 ? i * 7 : i / 3073 + 3);
    seed(dir, K_CIFAR, "cifar", cifar, sizeof cifar);
    size_t n, dn;
    unsigned char *b = read_file("good.npz", &n), *d = npz_deflated(b, n, &dn);
    seed(dir, K_NPZ, "npz-deflated", d, dn);
    free(b);
    free(d);
    b = read_file("img.idx", &n);
    d = deflated(b, n, 31, &dn);
    seed(dir, K_IDX, "idx-gzip", d, dn);
    free(b);
    free(d);
    static const unsigned char special[] = {0, 2}; /* a FIFO as an image */
    seed(dir, K_SPECIAL, "special", special, sizeof special);
    /* MNIST training images: 16 of 28x28 (trains), 4 of 32x32 (refused), gzipped */
    for (int side = 28; side <= 32; side += 4) {
        uint32_t count = side == 28 ? 16 : 4;
        size_t len = 16 + (size_t)count * (size_t)(side * side);
        unsigned char *img = nnm_xcalloc(len, 1);
        unsigned char h[16] = {0, 0, 8, 3, 0, 0, 0, (unsigned char)count, 0, 0, 0, (unsigned char)side, 0, 0, 0,
                               (unsigned char)side};
        memcpy(img, h, 16);
        for (size_t i = 16; i < len; i++)
            img[i] = (unsigned char)(i * 13);
        d = deflated(img, len, 31, &dn);
        seed(dir, K_MNIST_FIT, side == 28 ? "mnist-28" : "mnist-32", d, dn);
        free(img);
        free(d);
    }
}

static void run_one(const unsigned char *data, size_t n, const NnmProgram *fit, const NnmProgram *img,
                    const NnmProgram *mnist)
{
    if (n < 1)
        return;
    int kind = data[0] % NKINDS;
    data++, n--;
    if (kind == K_SPECIAL) {
        /* not a regular file where a reader expects one: refused, never waited on */
        static const char *const paths[] = {"rk/checkpoint.nnmc", "f.npz", "f.img", "f.csv", "f.idx", "f.bin"};
        int what = n > 0 ? data[0] % 3 : 0, reader = n > 1 ? data[1] % 6 : 0;
        const char *p = paths[reader];
        unlink(p);
        rmdir(p);
        if (what == 0)
            mkfifo(p, 0644);
        else if (what == 1)
            mkdir(p, 0755);
        else
            symlink("/dev/zero", p);
        kind = reader; /* the reader, on what is there now */
        data = NULL, n = 0;
    }
    switch (kind) {
    case K_CHECKPOINT: {
        unsigned char *b = nnm_xmalloc(n + 1);
        if (n)
            memcpy(b, data, n);
        if (n >= 16) { /* a valid checksum, so the fields behind it are reached */
            uint32_t crc = (uint32_t)crc32(crc32(0, Z_NULL, 0), b, (uInt)(n - 4));
            memcpy(b + n - 4, &crc, 4);
        }
        if (data)
            write_file("rk/checkpoint.nnmc", b, n);
        free(b);
        NnmRunOpts o = run_opts("rk");
        nnm_exec(fit, &o);
        break;
    }
    case K_NPZ: {
        if (data)
            write_file("f.npz", data, n);
        char *in[] = {"digit.pgm"};
        nnm_predict(img, "f.npz", 2, in, 1);
        break;
    }
    case K_IMAGE: {
        if (data)
            write_file("f.img", data, n);
        char *in[] = {"f.img"};
        nnm_predict(img, "good.npz", 2, in, 1);
        break;
    }
    case K_CSV: {
        if (data)
            write_file("f.csv", data, n);
        NnmCsvInfo info;
        char err[512];
        if (nnm_csv_probe("f.csv", NULL, -1, &info, err, sizeof err) == 0) {
            NnmDataset d = {0};
            d.source = DS_CSV;
            d.path = "f.csv";
            d.label_column = info.label_column;
            d.nclasses = info.nclasses;
            d.features = info.features;
            d.rows = info.rows;
            d.test_split = 0.2;
            d.split_seed = 113;
            d.standardize = 1;
            NnmData out = {0};
            if (nnm_csv_load(&d, &out) == 0) {
                nnm_split_free(&out.train);
                nnm_split_free(&out.test);
            }
        }
        break;
    }
    case K_IDX: {
        if (data)
            write_file("f.idx", data, n);
        NnmSplit s = {0};
        if (nnm_idx_load("f.idx", NULL, &s) == 0)
            nnm_split_free(&s);
        NnmSplit t = {0}; /* as the labels of two images */
        if (nnm_idx_load("img.idx", "f.idx", &t) == 0)
            nnm_split_free(&t);
        break;
    }
    case K_MNIST_FIT: {
        write_file("mn/mnist/train-images-idx3-ubyte.gz", data, n);
        /* the image count its header declares (inflated first when it is gzipped) */
        unsigned char h[8] = {0};
        z_stream z;
        memset(&z, 0, sizeof z);
        if (n >= 2 && data[0] == 0x1f && data[1] == 0x8b && inflateInit2(&z, 31) == Z_OK) {
            z.next_in = (Bytef *)data;
            z.avail_in = (uInt)n;
            z.next_out = h;
            z.avail_out = sizeof h;
            inflate(&z, Z_SYNC_FLUSH);
            inflateEnd(&z);
        } else if (n >= 8) {
            memcpy(h, data, 8);
        }
        uint32_t count = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 | (uint32_t)h[6] << 8 | h[7];
        mnist_labels(count);
        NnmRunOpts o = run_opts(NULL);
        o.data_dir = "mn";
        nnm_exec(mnist, &o);
        break;
    }
    case K_CIFAR: {
        if (data)
            write_file("f.bin", data, n);
        const char *files[] = {"f.bin"};
        NnmSplit s = {0};
        if (nnm_cifar_load(files, 1, &s) == 0)
            nnm_split_free(&s);
        break;
    }
    }
}

int main(int argc, char **argv)
{
    static unsigned char buf[1 << 20];
    const char *seeds = argc > 2 && !strcmp(argv[1], "--seeds") ? argv[2] : NULL;
    size_t given = 0; /* an input named on the command line: read before leaving the directory */
    char dir[8200] = "", cwd[4096];
    if (seeds) {
        if (!getcwd(cwd, sizeof cwd))
            return 2;
        snprintf(dir, sizeof dir, "%s/%s", seeds[0] == '/' ? "" : cwd, seeds);
    }
    if (argc > 1 && !seeds) {
        FILE *f = fopen(argv[1], "rb");
        if (!f) {
            perror(argv[1]);
            return 2;
        }
        given = fread(buf, 1, sizeof buf, f);
        fclose(f);
    }
    /* one fixed directory: AFL's fork server starts a process per batch */
    const char *work = getenv("FUZZ_WORK") ? getenv("FUZZ_WORK") : "/tmp/nnmc-fuzz-files";
    mkdir(work, 0755);
    if (chdir(work)) {
        perror(work);
        return 2;
    }
    mkdir("rk", 0755);
    setenv("NNM_MEMORY_MB", "400", 0);
    fixtures();
    Arena arena = {0};
    const NnmProgram *fit = compile("fit.nnm", FIT_SRC, &arena);
    const NnmProgram *img = compile("img.nnm", IMG_SRC, &arena);
    const NnmProgram *mnist = compile("mnist.nnm", MNIST_SRC, &arena);
    NnmRunOpts o = run_opts(NULL);
    if (nnm_exec(img, &o))
        return 2;
    if (seeds) {
        write_seeds(dir, fit);
    } else {
        /* the readers' messages are expected: keep them off the fuzzer's pipes
         * (FUZZ_VERBOSE=1 shows them, to replay a finding) */
        if (!getenv("FUZZ_VERBOSE")) {
            int null = open("/dev/null", O_WRONLY);
            dup2(null, 1);
            dup2(null, 2);
            close(null);
        }
        if (argc > 1)
            run_one(buf, given, fit, img, mnist);
        else
            while (__AFL_LOOP(1000))
                run_one(buf, fread(buf, 1, sizeof buf, stdin), fit, img, mnist);
    }
    arena_free(&arena); /* so that LeakSanitizer (make asan) sees only the readers' leaks */
    return 0;
}
