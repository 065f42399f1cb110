/* Known, exactly predictable signals (protocol.md §6.1 and §6.3). Integer only, so the board, the
 * emulator and a Python test compute identical values. */
#ifndef BF_TESTSIG_H
#define BF_TESTSIG_H
#include <stdint.h>

#define TESTSIG_AMPLITUDE 83886   /* ADS1299 internal test: VREF/2400 = 1.875 mV at G=24 */

/* ADS1299-style square wave: period 1.024 * rate samples, starts high at n = 0. */
int32_t testsig_square(uint32_t n, uint32_t rate_hz);

/* Link-test pattern: every value within 2^24 consecutive samples is distinct. */
int32_t pattern_emg(uint32_t n, unsigned channel);
int32_t pattern_pressure(uint32_t n);

#endif
