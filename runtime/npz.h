/* runtime/npz.h — NumPy .npz files (a zip of .npy arrays), float32 only.
 *
 * The writer makes a stored (uncompressed) zip with fixed timestamps, so
 * the same weights always give the same bytes; it writes to a temporary
 * file and renames it into place, so an interrupted save never leaves a
 * half-written file.  The reader accepts stored and deflated members (what
 * numpy.savez and numpy.savez_compressed write). */
#ifndef NNM_NPZ_H
#define NNM_NPZ_H
#include <stdint.h>
#include "program.h"

typedef struct {
    const char *name;      /* key in the archive, without ".npy" */
    NnmShape shape;
    const float *data;
} NpzArray;

/* 0, or -1 after "nnmc: error: PATH: ..." */
int npz_write(const char *path, const NpzArray *arrays, int n);
/* One array as a .npy file (numpy.save's format); 0 or -1 as above. */
int npy_write(const char *path, const NnmShape *shape, const float *data);

typedef struct NpzFile NpzFile;
NpzFile *npz_open(const char *path);           /* NULL after a message */
/* Reads array `name` of exactly `shape` into out; -1 after a message. */
int npz_read(NpzFile *f, const char *name, const NnmShape *shape, float *out);
void npz_close(NpzFile *f);
#endif
