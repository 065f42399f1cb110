#include "check.h"
#include "../core/frame.h"
#include "../core/crc16.h"
#include "../core/rng.h"

static int feed(frame_rx_t *rx, const uint8_t *w, size_t n, int *errors, uint8_t bodies[][BODY_MAX],
                size_t *lens, int max)
{
    int got = 0;
    for (size_t i = 0; i < n; i++) {
        frame_result_t r = frame_rx_byte(rx, w[i]);
        if (r == FRAME_OK && got < max) {
            memcpy(bodies[got], rx->body, rx->body_len);
            lens[got++] = rx->body_len;
        } else if (r < 0) {
            (*errors)++;
        }
    }
    return got;
}

void test_frame(void)
{
    uint8_t body[BODY_MAX] = { 0 }, wire[WIRE_MAX], stream[4096];
    uint8_t got[8][BODY_MAX];
    size_t lens[8];
    frame_rx_t rx;

    CHECK_EQ(frame_seal(body, 2, wire), 0);
    CHECK_EQ(frame_seal(body, BODY_MAX + 1, wire), 0);

    /* Max body with no zero bytes: 252 + 2 + 1 + 1 = 256 on the wire. */
    for (int i = 0; i < (int)BODY_MAX; i++) body[i] = 0x5A;
    size_t n = frame_seal(body, BODY_MAX, wire);
    CHECK(n <= WIRE_MAX);
    frame_rx_init(&rx);
    int errs = 0;
    CHECK_EQ(feed(&rx, wire, n, &errs, got, lens, 8), 1);
    CHECK_EQ(lens[0], BODY_MAX);
    CHECK_EQ(errs, 0);

    /* Every single-bit flip of a frame is caught (CRC or COBS), and the receiver recovers for the
     * next frame. */
    uint32_t rng = 3;
    for (int i = 0; i < 20; i++) body[i] = (uint8_t)rng_next(&rng);
    body[5] = 0;
    n = frame_seal(body, 20, wire);
    int caught = 0, total = 0;
    for (size_t bit = 0; bit < (n - 1) * 8; bit++) {
        size_t m = 0;
        memcpy(stream, wire, n);
        stream[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        m = n;
        memcpy(stream + m, wire, n);
        m += n;
        frame_rx_init(&rx);
        errs = 0;
        int k = feed(&rx, stream, m, &errs, got, lens, 8);
        total++;
        /* The good copy must always come through; the damaged one never. */
        int good = 0;
        for (int j = 0; j < k; j++)
            good += lens[j] == 20 && memcmp(got[j], body, 20) == 0;
        if (good >= 1 && k == good)
            caught++;
    }
    CHECK_EQ(caught, total);

    /* Over-long garbage without delimiter is discarded, then sync resumes. */
    size_t m = 0;
    for (int i = 0; i < 600; i++) stream[m++] = 0x41;
    stream[m++] = 0;
    memcpy(stream + m, wire, n);
    m += n;
    frame_rx_init(&rx);
    errs = 0;
    CHECK_EQ(feed(&rx, stream, m, &errs, got, lens, 8), 1);
    CHECK_EQ(errs, 1);

    /* Empty frames are silently ignored. */
    const uint8_t zeros[3] = { 0, 0, 0 };
    frame_rx_init(&rx);
    errs = 0;
    CHECK_EQ(feed(&rx, zeros, 3, &errs, got, lens, 8), 0);
    CHECK_EQ(errs, 0);
}
