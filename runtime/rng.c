/* runtime/rng.c — see rng.h. */
#include "rng.h"

#include <math.h>

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void nnm_rng_seed(NnmRng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed * 0x2545f4914f6cdd1dull + stream * 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix(&x);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t nnm_rng_next(NnmRng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

float nnm_rng_uniform(NnmRng *r) { return (float)(nnm_rng_next(r) >> 40) * (1.0f / 16777216.0f); }

void nnm_rng_uniforms(NnmRng *r, float *u, int64_t n)
{
    NnmRng g = *r; /* a local copy: no store of the state per draw */
    for (int64_t i = 0; i < n; i++)
        u[i] = nnm_rng_uniform(&g);
    *r = g;
}

double nnm_rng_normal(NnmRng *r)
{
    /* Box-Muller with 53-bit uniforms; u1 is in (0, 1] so log() is finite. */
    double u1 = ((double)(nnm_rng_next(r) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
    double u2 = (double)(nnm_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

uint64_t nnm_rng_below(NnmRng *r, uint64_t n)
{
    /* rejection keeps the result unbiased */
    uint64_t lim = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = nnm_rng_next(r);
    while (x >= lim);
    return x % n;
}
