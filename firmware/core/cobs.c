#include "cobs.h"

size_t cobs_encode(const uint8_t *src, size_t len, uint8_t *dst)
{
    size_t out = 1, code_pos = 0;
    uint8_t code = 1;
    for (size_t i = 0; i < len; i++) {
        if (src[i] == 0) {
            dst[code_pos] = code;
            code_pos = out++;
            code = 1;
        } else {
            dst[out++] = src[i];
            code++;
            /* A full 254-byte group; start a new one only if more input follows, so that an
             * input of exactly 254 non-zero bytes encodes to 255 bytes. */
            if (code == 0xFF && i + 1 < len) {
                dst[code_pos] = code;
                code_pos = out++;
                code = 1;
            }
        }
    }
    dst[code_pos] = code;
    return out;
}

int cobs_decode(const uint8_t *src, size_t len, uint8_t *dst, size_t cap)
{
    size_t in = 0, out = 0;
    while (in < len) {
        uint8_t code = src[in++];
        if (code == 0 || in + (size_t)(code - 1) > len)
            return -1;
        for (uint8_t k = 1; k < code; k++) {
            if (src[in] == 0 || out >= cap)
                return -1;
            dst[out++] = src[in++];
        }
        /* The implied zero after a short group, except at the very end of the frame. */
        if (code != 0xFF && in < len) {
            if (out >= cap)
                return -1;
            dst[out++] = 0;
        }
    }
    return (int)out;
}
