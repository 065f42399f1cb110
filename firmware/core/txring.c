#include "txring.h"

void txring_init(txring_t *r)
{
    r->head = r->tail = r->count = 0;
}

uint8_t *txring_alloc(txring_t *r, bool is_data)
{
    unsigned free_slots = TXRING_SLOTS - r->count;
    if (free_slots == 0 || (is_data && free_slots <= TX_CONTROL_RESERVE))
        return NULL;
    return r->frame[r->head];
}

void txring_commit(txring_t *r, size_t len)
{
    r->len[r->head] = (uint16_t)len;
    r->head = (uint16_t)((r->head + 1u) % TXRING_SLOTS);
    r->count++;
}

const uint8_t *txring_peek(const txring_t *r, size_t *len)
{
    if (r->count == 0)
        return NULL;
    *len = r->len[r->tail];
    return r->frame[r->tail];
}

void txring_pop(txring_t *r)
{
    if (r->count == 0)
        return;
    r->tail = (uint16_t)((r->tail + 1u) % TXRING_SLOTS);
    r->count--;
}
