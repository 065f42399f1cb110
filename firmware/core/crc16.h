#ifndef BF_CRC16_H
#define BF_CRC16_H
#include <stddef.h>
#include <stdint.h>

/* CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no xorout.
 * Same as Python binascii.crc_hqx(data, 0xFFFF). */
#define CRC16_INIT 0xFFFFu
uint16_t crc16_update(uint16_t crc, const uint8_t *data, size_t len);
static inline uint16_t crc16(const uint8_t *data, size_t len) { return crc16_update(CRC16_INIT, data, len); }

#endif
