/* runtime/augment.h — random image transforms for data augmentation
 * (ImageDataGenerator): rotation, shifts, shear, zoom as one affine map
 * sampled bilinearly, then flips.
 *
 * Each image gets its own random stream, derived from the run's seed, the
 * epoch and the sample's index, so the transforms do not depend on the
 * number of threads, the batch size or the order of the batches. */
#ifndef NNM_AUGMENT_H
#define NNM_AUGMENT_H
#include <stdint.h>
#include "program.h"
#include "rng.h"

/* The stream of sample `index` in epoch `epoch`. */
void nnm_augment_rng(NnmRng *r, uint64_t seed, int epoch, int64_t index);
/* src and dst: one image [h, w, c] (HWC), not overlapping. */
void nnm_augment_image(const NnmAugment *a, const float *src, float *dst, int64_t h, int64_t w, int64_t c,
                       NnmRng *rng);
/* The same with a transform given: output pixel (i, j) samples the input at
 * (m[0] i + m[1] j + m[2], m[3] i + m[4] j + m[5]); then flips. */
void nnm_affine_image(const float *src, float *dst, int64_t h, int64_t w, int64_t c, const double m[6], int fill,
                      float cval, int hflip, int vflip);
/* The adjoint of nnm_affine_image: dx (zeroed by the caller) receives the
 * gradient of src from dy, the gradient of dst. */
void nnm_affine_image_back(const float *dy, float *dx, int64_t h, int64_t w, int64_t c, const double m[6], int fill,
                           int hflip, int vflip);
#endif
