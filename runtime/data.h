/* runtime/data.h — data sets in memory: MNIST-style IDX files (gzipped or
 * not, read with zlib) and the CIFAR-10 binary batches, kept as the bytes
 * the files hold (a quarter of the memory floats take) in channels-last
 * order (H, W, C) and turned into [0, 1] floats a sample at a time; CSV
 * features as floats; labels as bytes. */
#ifndef NNM_DATA_H
#define NNM_DATA_H
#include <stdint.h>
#include "program.h"

typedef struct {
    int64_t n, rows, cols, chans; /* n images of rows x cols x chans */
    /* the samples, [n, rows*cols*chans] HWC: exactly one of the two is set.
     * Read them through nnm_split_row, which knows both. */
    float *x;               /* floats as they are fed (CSV features) */
    uint8_t *x8;            /* pixel bytes; the value fed is byte / 255.0f */
    uint8_t *label;         /* [n] */
    char *label_file;       /* where the labels came from, for messages (owned) */
    char *x_file;           /* where the samples came from, likewise */
} NnmSplit;

typedef struct {
    NnmSplit train, test;
    int nclasses;
} NnmData;

/* Reads an IDX image file and its label file (NULL: no labels, all 0); on
 * error prints "nnmc: error: FILE: what" and returns -1. */
int nnm_idx_load(const char *images, const char *labels, NnmSplit *out);
/* Loads a data set of files described in the IR (MNIST, Fashion-MNIST,
 * CIFAR-10; not DS_CSV, which csv.c reads) from dir (see data.c for the
 * file names); applies the class filter.  Returns 0 or -1 after a message. */
int nnm_data_load(const NnmDataset *d, const char *dir, NnmData *out);
/* Reads CIFAR-10 binary batch files (records of 1 label byte and 3,072
 * pixel bytes, channel-major) into one split, converting to HWC. */
int nnm_cifar_load(const char *const *files, int nfiles, NnmSplit *out);
void nnm_split_free(NnmSplit *s);
/* The files data set d is read from, under dir, as new strings in out[]
 * (whether or not they exist); their count. */
#define NNM_DATA_FILES_MAX 6
int nnm_data_files(const NnmDataset *d, const char *dir, char **out);
/* Floats per sample. */
int64_t nnm_split_sample(const NnmSplit *s);
/* Sample i of s as floats into dst[nnm_split_sample(s)]. */
void nnm_split_row(const NnmSplit *s, int64_t i, float *dst);
/* The file's arithmetic on an image array (r->nchan, mul, add) applied to n
 * values of a sample (pixels in [0, 1]) from src to dst (may be src): what
 * training fed the model, so that prediction feeds it the same. */
void nnm_array_scale(const NnmArrayRef *r, const float *src, float *dst, int64_t n);
/* The names of the classes a data set's labels 0 .. count-1 stand for,
 * after classes= filtering (CIFAR-10: airplane ..., Fashion-MNIST: T-shirt/top
 * ...), in out[]; NULL for MNIST, whose classes are their numbers, or when
 * count is not the data set's number of classes. */
const char *const *nnm_class_names(const NnmDataset *d, int count, const char **out);
#endif
