#include "check.h"
#include "../core/txring.h"

static txring_t ring;

void test_txring(void)
{
    txring_init(&ring);
    size_t len;
    CHECK(txring_peek(&ring, &len) == NULL);
    /* Data may fill all but the reserve... */
    unsigned data = 0;
    while (txring_alloc(&ring, true)) {
        uint8_t *s = txring_alloc(&ring, true);
        s[0] = (uint8_t)data++;
        txring_commit(&ring, 1);
    }
    CHECK_EQ(data, TXRING_SLOTS - TX_CONTROL_RESERVE);
    /* ...control frames use the reserve... */
    unsigned ctl = 0;
    while (txring_alloc(&ring, false)) {
        txring_commit(&ring, 2);
        ctl++;
    }
    CHECK_EQ(ctl, TX_CONTROL_RESERVE);
    /* ...and FIFO order is kept across wrap-around. */
    for (unsigned i = 0; i < 5; i++) {
        const uint8_t *f = txring_peek(&ring, &len);
        CHECK(f != NULL && f[0] == i && len == 1);
        txring_pop(&ring);
    }
    CHECK(txring_alloc(&ring, true) == NULL);   /* only 5 free < reserve */
    CHECK(txring_alloc(&ring, false) != NULL);
    while (txring_peek(&ring, &len))
        txring_pop(&ring);
    CHECK_EQ(txring_count(&ring), 0);
}
