/* The worked examples in docs/protocol.md §10 must be exactly what the encoder produces. */
#include "check.h"
#include "../core/frame.h"
#include "../core/le.h"
#include "../core/msg.h"
#include "../core/testsig.h"

static void expect(const uint8_t *body, size_t len, uint16_t seq_or_none, int is_device, const char *wire_hex)
{
    uint8_t b[BODY_MAX], w[WIRE_MAX], want[WIRE_MAX];
    memcpy(b, body, len);
    if (is_device)
        msg_set_seq(b, seq_or_none);
    size_t n = frame_seal(b, len, w);
    size_t m = hex_bytes(wire_hex, want);
    CHECK_EQ(n, m);
    CHECK_MEM(w, want, m < n ? m : n);
}

static size_t cmd(uint8_t *b, uint8_t type, uint16_t req, const uint8_t *payload, size_t n)
{
    b[0] = type;
    put_u16(b + 1, req);
    if (n)
        memcpy(b + 3, payload, n);
    return 3 + n;
}

void test_doc_examples(void)
{
    uint8_t b[BODY_MAX];
    size_t n;
    n = cmd(b, CMD_HELLO, 1, NULL, 0);
    expect(b, n, 0, 0, "03 01 01 03 9d c8 00");
    n = cmd(b, CMD_START, 2, (const uint8_t[]){ 3 }, 1);
    expect(b, n, 0, 0, "03 02 02 04 03 ab 37 00");
    n = cmd(b, CMD_STOP, 3, NULL, 0);
    expect(b, n, 0, 0, "03 03 03 03 9f c0 00");
    n = cmd(b, CMD_PING, 4, (const uint8_t[]){ 0x78, 0x56, 0x34, 0x12 }, 4);
    expect(b, n, 0, 0, "03 04 04 07 78 56 34 12 53 e6 00");
    n = cmd(b, CMD_SET_RATE, 5, (const uint8_t[]){ 0, 0xE8, 0x03, 0, 0 }, 5);
    expect(b, n, 0, 0, "03 05 05 01 03 e8 03 01 03 5e 58 00");
    n = cmd(b, CMD_SET_MODE, 6, (const uint8_t[]){ 3 }, 1);
    expect(b, n, 0, 0, "03 06 06 04 03 9a 21 00");
    n = cmd(b, CMD_GET_STATUS, 7, NULL, 0);
    expect(b, n, 0, 0, "03 07 07 03 9b d0 00");
    n = cmd(b, CMD_MARK, 8, (const uint8_t[]){ 42, 0 }, 2);
    expect(b, n, 0, 0, "03 08 08 02 2a 03 cf 7f 00");

    stream_desc_t streams[2];
    channel_desc_t emg[2], pr;
    sensor_v1_streams(streams, emg, &pr, 0.0f);
    device_desc_t dev = { 1, 0, 0, 0x0F, "feather-f405", "3600473031385106", "v1.0.0", 2, streams };
    expect(b, msg_hello_device(b, &dev), 0, 1,
           "02 81 01 02 01 02 01 01 2a 02 0f 0c 66 65 61 74 68 65 72 2d 66 34 30 35 10 33 36 30 30 34 37 33 30 "
           "33 31 33 38 35 31 30 36 06 76 31 2e 30 2e 30 3e 98 00");
    expect(b, msg_hello_stream(b, &streams[0], 2000), 1, 1,
           "03 82 01 01 05 02 03 d0 07 01 09 14 03 65 6d 67 03 f4 01 01 03 e8 03 01 03 d0 07 01 03 bf 8f 00");
    expect(b, msg_hello_channel(b, 0, 0, &emg[0], 2000), 2, 1,
           "03 83 02 01 01 02 01 01 01 01 05 60 e3 96 3f 01 01 01 01 01 01 01 01 01 01 01 05 60 e3 06 c1 08 40 "
           "39 d2 5f e3 06 41 04 1b b7 3c 01 01 01 01 01 01 01 01 01 03 03 44 0a 02 75 56 03 70 66 6d be 60 00");
    expect(b, msg_ack(b, 2, CMD_START), 7, 1, "03 85 07 02 02 04 02 c7 b0 00");
    expect(b, msg_nak(b, 5, CMD_SET_RATE, NAK_BAD_STATE), 9, 1, "03 86 09 02 05 05 05 04 c4 b0 00");
    expect(b, msg_pong(b, 4, 0x12345678, 1000000, 3), 10, 1,
           "03 87 0a 02 04 08 78 56 34 12 40 42 0f 04 03 03 10 00");

    n = msg_data_header(b, 0, 0, 1000, 0x0060, 2, FMT_INT24, 5);
    for (uint32_t i = 0; i < 5; i++)
        for (unsigned c = 0; c < 2; c++)
            n += msg_put_sample(b + n, FMT_INT24, pattern_emg(i, c));
    expect(b, n, 8, 1,
           "03 90 08 01 01 01 01 01 03 e8 03 01 02 60 04 02 03 05 01 01 06 ff ff 7f b9 0b 06 30 f8 7f 72 17 06 "
           "61 f0 7f 2b 23 06 92 e8 7f e4 2e 06 c3 e0 7f c4 f2 00");
    n = msg_data_header(b, 1, 5, 51000, 0x0060, 1, FMT_INT32, 5);
    for (uint32_t i = 5; i < 10; i++)
        n += msg_put_sample(b + n, FMT_INT32, pattern_pressure(i));
    expect(b, n, 11, 1,
           "03 90 0b 03 01 05 01 01 03 38 c7 01 02 60 1a 01 04 05 95 c5 ff ff 86 c9 ff ff 77 cd ff ff 68 d1 ff "
           "ff 59 d5 ff ff 60 2e 00");
    status_t st = { 87, 3, 0, 1, 2, 3, 1, 0, 2000000 };
    expect(b, msg_status(b, &st), 12, 1,
           "03 84 0c 03 57 03 02 01 02 02 02 03 01 01 02 01 01 01 01 04 80 84 1e 03 6c 67 00");
    expect(b, msg_event(b, EVT_SRC_HOST, 42, 1234, 617000), 13, 1,
           "03 88 0d 03 01 2a 03 d2 04 01 04 28 6a 09 03 54 07 00");
}
