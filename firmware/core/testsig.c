#include "testsig.h"

static int32_t sign_extend24(uint32_t u)
{
    u &= 0xFFFFFFu;
    return (u & 0x800000u) ? (int32_t)u - 0x1000000 : (int32_t)u;
}

int32_t testsig_square(uint32_t n, uint32_t rate_hz)
{
    /* 2^21 / f_CLK seconds with f_CLK = 2.048 MHz = 1.024 s; in samples 1.024 * rate, which is an
     * integer for every rate the ADS1299 offers at 2.048 MHz (512, 1024, 2048, ...). */
    uint32_t period = rate_hz * 1024u / 1000u;
    if (period < 2)
        period = 2;
    return (n % period) < period / 2 ? TESTSIG_AMPLITUDE : -TESTSIG_AMPLITUDE;
}

int32_t pattern_emg(uint32_t n, unsigned channel)
{
    /* Unsigned 32-bit arithmetic wraps mod 2^32, and 2^24 divides 2^32, so the low 24 bits are
     * exactly (a*n + b) mod 2^24 as written in protocol.md. */
    if (channel == 0)
        return sign_extend24(3001u * n);
    return sign_extend24(0x7FFFFFu - 1999u * n);
}

int32_t pattern_pressure(uint32_t n)
{
    return (int32_t)(((uint64_t)n * 1009u) % 300000u) - 20000;
}
