/* runtime/csv.h — load_csv(): see csv.c. */
#ifndef NNM_CSV_H
#define NNM_CSV_H
#include <stddef.h>
#include <stdint.h>
#include "data.h"
#include "program.h"

typedef struct {
    int64_t rows, features;
    int nclasses, label_column;
} NnmCsvInfo;

/* At compile time: the shape of the file's data, with the label column
 * named (label_name) or numbered (label_col, negative from the end).
 * 0, or -1 with the reason in err. */
int nnm_csv_probe(const char *path, const char *label_name, int label_col, NnmCsvInfo *info, char *err,
                  size_t errsize);
/* At run time: the data set d (DS_CSV) split into train and test; 0, or -1
 * after a message. */
int nnm_csv_load(const NnmDataset *d, NnmData *out);
#endif
