/* runtime/rng.h — nnmc's own seedable random numbers (xoshiro256**).
 *
 * Keras's RNG cannot be reproduced bit for bit, so nnmc documents its own:
 * each purpose (weight initialisation, shuffling, dropout) has its own
 * stream derived from the run's seed, so that e.g. changing the batch size
 * does not change the initial weights. */
#ifndef NNM_RNG_H
#define NNM_RNG_H
#include <stdint.h>

typedef struct {
    uint64_t s[4];
} NnmRng;

enum { RNG_INIT = 1, RNG_SHUFFLE = 2, RNG_DROPOUT = 3, RNG_AUGMENT = 4, RNG_CSV = 5 };

void nnm_rng_seed(NnmRng *r, uint64_t seed, uint64_t stream);
uint64_t nnm_rng_next(NnmRng *r);
float nnm_rng_uniform(NnmRng *r);          /* [0, 1), 24 random bits */
/* u[0..n) = n calls of nnm_rng_uniform, the state kept in registers */
void nnm_rng_uniforms(NnmRng *r, float *u, int64_t n);
double nnm_rng_normal(NnmRng *r);          /* mean 0, variance 1 */
uint64_t nnm_rng_below(NnmRng *r, uint64_t n); /* uniform in [0, n), n > 0 */
#endif
