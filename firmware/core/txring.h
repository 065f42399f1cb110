/* Transmit ring of whole wire frames (protocol.md §7.4). Whole frames, so an overflow never
 * leaves half a frame on the line; DATA is refused (dropped, newest first) while fewer than
 * TX_CONTROL_RESERVE slots are free, so command replies still get through. Not thread safe:
 * callers serialise (device_port_t lock). */
#ifndef BF_TXRING_H
#define BF_TXRING_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "protocol.h"

#ifndef TXRING_SLOTS
#define TXRING_SLOTS 32u
#endif

typedef struct {
    uint8_t frame[TXRING_SLOTS][WIRE_MAX];
    uint16_t len[TXRING_SLOTS];
    volatile uint16_t head, tail, count;
} txring_t;

void txring_init(txring_t *r);
/* Returns a slot to write a frame of up to WIRE_MAX bytes into, or NULL when the frame must be
 * dropped. Finish with txring_commit(). */
uint8_t *txring_alloc(txring_t *r, bool is_data);
void txring_commit(txring_t *r, size_t len);
/* Oldest frame or NULL; stays valid until txring_pop(). */
const uint8_t *txring_peek(const txring_t *r, size_t *len);
void txring_pop(txring_t *r);
static inline unsigned txring_count(const txring_t *r) { return r->count; }

#endif
