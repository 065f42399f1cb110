/* Frame layer (protocol.md §1): wire = COBS(body || crc16_le(body)) || 0x00. */
#ifndef BF_FRAME_H
#define BF_FRAME_H
#include <stddef.h>
#include <stdint.h>
#include "protocol.h"

/* Seals body (BODY_MIN..BODY_MAX bytes) into out (>= WIRE_MAX bytes). Returns the wire length
 * including the 0x00 delimiter, or 0 if the body length is out of range. */
size_t frame_seal(const uint8_t *body, size_t len, uint8_t *out);

/* Why a received frame was discarded. */
typedef enum {
    FRAME_NONE = 0,       /* byte consumed, nothing complete yet (or an empty frame) */
    FRAME_OK = 1,         /* a valid body is available */
    FRAME_ERR_TOO_LONG = -1,
    FRAME_ERR_COBS = -2,
    FRAME_ERR_SHORT = -3,
    FRAME_ERR_CRC = -4
} frame_result_t;

/* Byte-at-a-time receiver; works unchanged in an ISR-fed main loop and in the emulator. */
typedef struct {
    uint8_t enc[ENCODED_MAX];
    uint16_t n;
    uint8_t discarding;     /* over-long frame: skip to the next delimiter */
    uint8_t body[ENCODED_MAX];
    uint16_t body_len;      /* valid when FRAME_OK was returned */
} frame_rx_t;

void frame_rx_init(frame_rx_t *rx);
frame_result_t frame_rx_byte(frame_rx_t *rx, uint8_t byte);

/* Decodes one complete encoded frame (without delimiter) into body; the result codes are the same.
 * *body_len receives the body length without CRC. */
frame_result_t frame_open(const uint8_t *enc, size_t len, uint8_t *body, size_t *body_len);

#endif
