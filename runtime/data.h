/* runtime/data.h — data sets in memory: MNIST-style IDX files (gzipped or
 * not) read with zlib, pixels scaled to [0, 1] floats, labels as bytes. */
#ifndef NNM_DATA_H
#define NNM_DATA_H
#include <stdint.h>
#include "program.h"

typedef struct {
    int64_t n, rows, cols;  /* n images of rows x cols */
    float *x;               /* [n, rows*cols] in [0, 1] */
    uint8_t *label;         /* [n] */
} NnmSplit;

typedef struct {
    NnmSplit train, test;
    int nclasses;
} NnmData;

/* Reads an IDX image file and its label file; on error prints
 * "nnmc: error: FILE: what" and returns -1. */
int nnm_idx_load(const char *images, const char *labels, NnmSplit *out);
/* Loads a data set described in the IR from dir (see data.c for the file
 * names); applies the class filter.  Returns 0 or -1 after a message. */
int nnm_data_load(const NnmDataset *d, const char *dir, NnmData *out);
void nnm_split_free(NnmSplit *s);
#endif
