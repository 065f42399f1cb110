#include "abp2_conv.h"

int32_t abp2_counts_to_mcmh2o(uint32_t counts)
{
    /* P = (counts - 0.1 * 2^24) * (Pmax - Pmin) / (0.8 * 2^24) + Pmin with Pmin = 0 and
     * Pmax = 5 psi = 351.535 cmH2O (1 psi = 70.307 cmH2O). 64-bit integers: exact rounding,
     * and no floating point in the I2C path. */
    int64_t num = ((int64_t)(counts & 0xFFFFFFu) - 1677722) * 351535;
    const int64_t den = 13421773;
    return (int32_t)(num >= 0 ? (num + den / 2) / den : (num - den / 2) / den);
}
