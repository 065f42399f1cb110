#include "check.h"
#include "../core/cobs.h"
#include "../core/crc16.h"
#include "../core/rng.h"

static void roundtrip(const uint8_t *src, size_t n)
{
    uint8_t enc[300], dec[300];
    size_t e = cobs_encode(src, n, enc);
    CHECK(e <= n + n / 254 + 1);
    for (size_t i = 0; i < e; i++)
        CHECK(enc[i] != 0);
    int d = cobs_decode(enc, e, dec, sizeof dec);
    CHECK_EQ(d, (long long)n);
    if (d == (int)n)
        CHECK_MEM(dec, src, n);
}

void test_crc_cobs(void)
{
    CHECK_EQ(crc16((const uint8_t *)"123456789", 9), 0x29B1);
    CHECK_EQ(crc16((const uint8_t *)"", 0), 0xFFFF);

    /* Classic COBS examples (Wikipedia). */
    uint8_t enc[300], dec[300];
    const uint8_t z1[] = { 0x00 };
    CHECK_EQ(cobs_encode(z1, 1, enc), 2);
    CHECK(enc[0] == 0x01 && enc[1] == 0x01);
    const uint8_t ex[] = { 0x11, 0x22, 0x00, 0x33 };
    CHECK_EQ(cobs_encode(ex, 4, enc), 5);
    const uint8_t ex_enc[] = { 0x03, 0x11, 0x22, 0x02, 0x33 };
    CHECK_MEM(enc, ex_enc, 5);

    /* 254 non-zero bytes: exactly 255 out, no trailing 0x01 group (protocol.md §1). */
    uint8_t big[254];
    for (int i = 0; i < 254; i++) big[i] = (uint8_t)(i + 1 ? (i % 255) + 1 : 1);
    CHECK_EQ(cobs_encode(big, 254, enc), 255);
    CHECK_EQ(enc[0], 0xFF);
    roundtrip(big, 254);
    /* ...and a decoder accepts the variant that appends 0x01. */
    enc[255] = 0x01;
    CHECK_EQ(cobs_decode(enc, 256, dec, sizeof dec), 254);

    uint32_t rng = 7;
    for (int t = 0; t < 2000; t++) {
        uint8_t src[254];
        size_t n = rng_next(&rng) % 255;
        int zeros = (int)(rng_next(&rng) % 4);
        for (size_t i = 0; i < n; i++) {
            uint32_t r = rng_next(&rng);
            src[i] = (zeros == 0) ? (uint8_t)(r | 1) : (r % (unsigned)(zeros * 8) == 0 ? 0 : (uint8_t)r);
        }
        roundtrip(src, n);
    }

    /* Malformed input: code points past the end, embedded zero, overflow. */
    const uint8_t bad1[] = { 0x05, 0x11, 0x22 };
    CHECK_EQ(cobs_decode(bad1, 3, dec, sizeof dec), -1);
    const uint8_t bad2[] = { 0x03, 0x11, 0x00 };
    CHECK_EQ(cobs_decode(bad2, 3, dec, sizeof dec), -1);
    const uint8_t ok[] = { 0x03, 0x11, 0x22 };
    CHECK_EQ(cobs_decode(ok, 3, dec, 1), -1);
}
