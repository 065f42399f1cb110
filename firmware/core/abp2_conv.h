/* Honeywell ABP2 (0-5 psi gauge, transfer function A: 10-90 % of 2^24 counts) to protocol raw
 * pressure units (0.001 cmH2O). Pure integer math, shared by the board driver and the tests. */
#ifndef BF_ABP2_CONV_H
#define BF_ABP2_CONV_H
#include <stdint.h>

int32_t abp2_counts_to_mcmh2o(uint32_t counts);

#endif
