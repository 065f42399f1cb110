#ifndef BF_COBS_H
#define BF_COBS_H
#include <stddef.h>
#include <stdint.h>

/* Consistent Overhead Byte Stuffing. Encodes len bytes into dst (capacity >= len + len/254 + 1),
 * returns the encoded length (no delimiter). Never emits a trailing 0x01 group after a final
 * 0xFF group, so for len <= 254 the result is exactly len + 1 bytes. */
size_t cobs_encode(const uint8_t *src, size_t len, uint8_t *dst);

/* Decodes len bytes (no delimiter) into dst of capacity cap. Returns the decoded length, or -1 if
 * the input contains 0x00, a code byte points past the end, or dst would overflow. */
int cobs_decode(const uint8_t *src, size_t len, uint8_t *dst, size_t cap);

#endif
