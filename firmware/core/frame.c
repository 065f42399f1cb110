#include "frame.h"
#include "cobs.h"
#include "crc16.h"
#include "le.h"

size_t frame_seal(const uint8_t *body, size_t len, uint8_t *out)
{
    uint8_t tmp[BODY_MAX + 2];
    if (len < BODY_MIN || len > BODY_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        tmp[i] = body[i];
    put_u16(tmp + len, crc16(body, len));
    size_t n = cobs_encode(tmp, len + 2, out);
    out[n++] = 0x00;
    return n;
}

frame_result_t frame_open(const uint8_t *enc, size_t len, uint8_t *body, size_t *body_len)
{
    if (len == 0)
        return FRAME_NONE;
    if (len > ENCODED_MAX)
        return FRAME_ERR_TOO_LONG;
    int n = cobs_decode(enc, len, body, ENCODED_MAX);
    if (n < 0)
        return FRAME_ERR_COBS;
    if ((size_t)n < BODY_MIN + 2)
        return FRAME_ERR_SHORT;
    size_t blen = (size_t)n - 2;
    if (crc16(body, blen) != get_u16(body + blen))
        return FRAME_ERR_CRC;
    *body_len = blen;
    return FRAME_OK;
}

void frame_rx_init(frame_rx_t *rx)
{
    rx->n = 0;
    rx->discarding = 0;
    rx->body_len = 0;
}

frame_result_t frame_rx_byte(frame_rx_t *rx, uint8_t byte)
{
    if (byte != 0x00) {
        if (rx->discarding)
            return FRAME_NONE;
        if (rx->n >= ENCODED_MAX) {
            /* Longer than any legal frame: report once, then drop up to the next delimiter. */
            rx->discarding = 1;
            rx->n = 0;
            return FRAME_ERR_TOO_LONG;
        }
        rx->enc[rx->n++] = byte;
        return FRAME_NONE;
    }
    if (rx->discarding) {
        rx->discarding = 0;
        return FRAME_NONE;
    }
    size_t len = rx->n, blen = 0;
    rx->n = 0;
    frame_result_t r = frame_open(rx->enc, len, rx->body, &blen);
    if (r == FRAME_OK)
        rx->body_len = (uint16_t)blen;
    return r;
}
