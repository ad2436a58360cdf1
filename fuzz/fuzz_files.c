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

enum { K_CHECKPOINT, K_NPZ, K_IMAGE, K_CSV, K_IDX, K_CIFAR, NKINDS };

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

/* an image model for nnmc predict, and its weights */
static const char IMG_SRC[] =
    "model = Sequential([Conv2D(2, (3, 3), activation='relu', input_shape=(8, 8, 1)), Flatten(),\n"
    "                    Dense(3, activation='softmax')])\n"
    "model.save_weights('good.npz')\n";

/* The programs live as long as the process (their source and diagnostics
 * too: static), their memory in arena. */
static NnmProgram *compile(const char *name, const char *text, Arena *arena)
{
    static SrcFile srcs[2];
    static Diag diags[2];
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
}

static void run_one(const unsigned char *data, size_t n, const NnmProgram *fit, const NnmProgram *img)
{
    if (n < 1)
        return;
    int kind = data[0] % NKINDS;
    data++, n--;
    switch (kind) {
    case K_CHECKPOINT: {
        unsigned char *b = nnm_xmalloc(n + 1);
        memcpy(b, data, n);
        if (n >= 16) { /* a valid checksum, so the fields behind it are reached */
            uint32_t crc = (uint32_t)crc32(crc32(0, Z_NULL, 0), b, (uInt)(n - 4));
            memcpy(b + n - 4, &crc, 4);
        }
        write_file("rk/checkpoint.nnmc", b, n);
        free(b);
        NnmRunOpts o = run_opts("rk");
        nnm_exec(fit, &o);
        break;
    }
    case K_NPZ: {
        write_file("f.npz", data, n);
        char *in[] = {"digit.pgm"};
        nnm_predict(img, "f.npz", 2, in, 1);
        break;
    }
    case K_IMAGE: {
        write_file("f.img", data, n);
        char *in[] = {"f.img"};
        nnm_predict(img, "good.npz", 2, in, 1);
        break;
    }
    case K_CSV: {
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
        write_file("f.idx", data, n);
        NnmSplit s = {0};
        if (nnm_idx_load("f.idx", NULL, &s) == 0)
            nnm_split_free(&s);
        NnmSplit t = {0}; /* as the labels of two images */
        if (nnm_idx_load("img.idx", "f.idx", &t) == 0)
            nnm_split_free(&t);
        break;
    }
    case K_CIFAR: {
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
    fixtures();
    Arena arena = {0};
    const NnmProgram *fit = compile("fit.nnm", FIT_SRC, &arena);
    const NnmProgram *img = compile("img.nnm", IMG_SRC, &arena);
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
            run_one(buf, given, fit, img);
        else
            while (__AFL_LOOP(1000))
                run_one(buf, fread(buf, 1, sizeof buf, stdin), fit, img);
    }
    arena_free(&arena); /* so that LeakSanitizer (make asan) sees only the readers' leaks */
    return 0;
}
