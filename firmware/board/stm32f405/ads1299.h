/* TI ADS1299-4 EMG front-end over SPI2. UNTESTED ON SILICON: written against the ADS1299
 * datasheet (SBAS499C) command and register maps; see docs/hardware.md. */
#ifndef BF_ADS1299_H
#define BF_ADS1299_H
#include <stdbool.h>
#include <stdint.h>

/* Probes the chip (RESET, SDATAC, ID check) and writes the static configuration. */
bool ads1299_init(void);
bool ads1299_present(void);
/* Starts continuous conversion at rate (500/1000/2000) with the normal inputs or the internal
 * test signal; each DRDY then calls ads1299_on_sample(). */
void ads1299_start(uint32_t rate_hz, bool test_signal);
void ads1299_stop(void);
uint16_t ads1299_lead_off(void);   /* STATUS.lead_off bits from the last sample */

/* Provided by main.c: called from the DRDY interrupt with both EMG channels (raw, G = 24) and the
 * device clock latched on entry to the interrupt (i.e. at DRDY, before the SPI read). */
void ads1299_on_sample(const int32_t ch[2], uint16_t lead_off, uint32_t t_us);

#endif
