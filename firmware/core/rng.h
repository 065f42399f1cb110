/* Small deterministic PRNG (xorshift32): same sequence on every platform for a given seed. */
#ifndef BF_RNG_H
#define BF_RNG_H
#include <stdint.h>

static inline uint32_t rng_next(uint32_t *s)
{
    uint32_t x = *s ? *s : 0x9E3779B9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}
/* Uniform in [0, 1). */
static inline float rng_uniform(uint32_t *s) { return (float)(rng_next(s) >> 8) * (1.0f / 16777216.0f); }
/* Approximately standard normal (Irwin-Hall, 4 terms): no libm, bounded at +-3.46 sigma. */
static inline float rng_gauss(uint32_t *s)
{
    float sum = rng_uniform(s) + rng_uniform(s) + rng_uniform(s) + rng_uniform(s);
    return (sum - 2.0f) * 1.7320508f;
}

#endif
