/* Honeywell ABP2 board-mount pressure sensor, I2C (address 0x28), 0-5 psi gauge, transfer
 * function A (10-90 % of 2^24). UNTESTED ON SILICON; written against the ABP2 datasheet
 * (32347831) I2C command set; see docs/hardware.md. */
#ifndef BF_ABP2_H
#define BF_ABP2_H
#include <stdbool.h>
#include <stdint.h>

bool abp2_init(void);
bool abp2_present(void);
/* Call from the main loop: starts a conversion and collects it >= 5 ms later. */
void abp2_poll(uint32_t now_us);
/* Latest pressure in 0.001 cmH2O (protocol raw units); sample-and-hold. */
int32_t abp2_latest(void);

#endif
