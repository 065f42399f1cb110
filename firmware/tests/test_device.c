#include "check.h"
#include "../core/command.h"
#include "../core/device.h"
#include "../core/le.h"
#include "../core/testsig.h"

static device_t dev;
static txring_t ring;
static stream_desc_t streams[2];
static channel_desc_t emg[2], pres;
static device_desc_t desc;
static uint32_t clock_us;

static uint32_t now_us(void *ctx) { (void)ctx; return clock_us; }
static uint16_t normal(void *ctx, uint8_t s, uint32_t n, uint64_t tick, int32_t *v)
{
    (void)ctx; (void)tick;
    v[0] = (int32_t)n * (s + 1);
    v[1] = -(int32_t)n;
    return 0;
}

/* Decoded frames drained from the ring. */
static uint8_t bodies[64][BODY_MAX];
static size_t blen[64];
static int nframes;

static int drain(void)
{
    size_t len;
    const uint8_t *w;
    nframes = 0;
    while ((w = txring_peek(&ring, &len)) != NULL) {
        size_t bl = 0;
        CHECK(w[len - 1] == 0);
        frame_result_t r = frame_open(w, len - 1, bodies[nframes % 64], &bl);
        CHECK_EQ(r, FRAME_OK);
        blen[nframes % 64] = bl;
        nframes++;
        txring_pop(&ring);
    }
    return nframes;
}

static void send(uint8_t type, uint16_t req, const uint8_t *payload, size_t n, uint32_t now_ms)
{
    uint8_t b[BODY_MAX], w[WIRE_MAX];
    b[0] = type;
    put_u16(b + 1, req);
    if (n) memcpy(b + 3, payload, n);
    size_t wl = frame_seal(b, 3 + n, w);
    device_rx_bytes(&dev, w, wl, now_ms);
}

static void boot(void)
{
    sensor_v1_streams(streams, emg, &pres, 0.0f);
    desc = (device_desc_t){ 1, 2, 3, 0x0F, "test", "SN1", "b", 2, streams };
    device_port_t port = { .now_us = now_us, .normal_sample = normal };
    device_init(&dev, &desc, &port, &ring, 0, 1);
    clock_us = 0;
}

static void run_ms(unsigned ms)
{
    for (unsigned i = 0; i < ms * 2; i++) {
        sched_tick(&dev, clock_us);
        clock_us += 500;
    }
}

void test_device(void)
{
    boot();
    CHECK_EQ(drain(), 0);   /* boots silent */

    send(CMD_HELLO, 1, NULL, 0, 0);
    CHECK_EQ(drain(), 7);
    const uint8_t types[7] = { MSG_HELLO_DEVICE, MSG_HELLO_STREAM, MSG_HELLO_STREAM, MSG_HELLO_CHANNEL,
                               MSG_HELLO_CHANNEL, MSG_HELLO_CHANNEL, MSG_ACK };
    for (int i = 0; i < 7; i++) {
        CHECK_EQ(bodies[i][0], types[i]);
        CHECK_EQ(get_u16(bodies[i] + 1), i);
    }
    CHECK_EQ(get_u16(bodies[6] + 3), 1);
    CHECK_EQ(bodies[6][5], CMD_HELLO);

    /* PATTERN mode, both streams, 100 ms: 10 EMG blocks of 20, 2 pressure blocks of 5. */
    send(CMD_SET_MODE, 2, (const uint8_t[]){ MODE_PATTERN }, 1, 0);
    send(CMD_START, 3, (const uint8_t[]){ 3 }, 1, 0);
    CHECK_EQ(drain(), 2);
    clock_us = 1000;
    run_ms(100);
    CHECK_EQ(drain(), 12);
    uint32_t expect_emg = 0, expect_p = 0;
    int bad = 0;
    for (int i = 0; i < nframes; i++) {
        const uint8_t *b = bodies[i];
        CHECK_EQ(b[0], MSG_DATA);
        CHECK_EQ(get_u16(b + 1), 9 + i);
        uint16_t flags = get_u16(b + 12);
        CHECK_EQ(flags, FLAG_SYNTHETIC | FLAG_PATTERN);
        if (b[3] == 0) {
            CHECK_EQ(get_u32(b + 4), expect_emg);
            CHECK_EQ(get_u32(b + 8), 1000 + expect_emg * 500);
            CHECK_EQ(b[16], 20);
            CHECK_EQ(blen[i], 17 + 20 * 6);
            for (int k = 0; k < 20; k++)
                for (unsigned c = 0; c < 2; c++)
                    bad += get_i24(b + 17 + (k * 2 + c) * 3) != pattern_emg(expect_emg + (uint32_t)k, c);
            expect_emg += 20;
        } else {
            CHECK_EQ(b[3], 1);
            CHECK_EQ(get_u32(b + 4), expect_p);
            CHECK_EQ(b[14], 1);
            CHECK_EQ(b[15], 4);
            for (int k = 0; k < 5; k++)
                bad += (int32_t)get_u32(b + 17 + k * 4) != pattern_pressure(expect_p + (uint32_t)k);
            expect_p += 5;
        }
    }
    CHECK_EQ(bad, 0);
    CHECK_EQ(expect_emg, 200);
    CHECK_EQ(expect_p, 10);

    /* A retried START must not reset the sample counters. */
    send(CMD_START, 3, (const uint8_t[]){ 3 }, 1, 0);
    run_ms(10);
    drain();
    CHECK_EQ(bodies[0][0], MSG_ACK);
    CHECK_EQ(get_u32(bodies[1] + 4), 200);

    /* SET_RATE while running: NAK BAD_STATE; bad rate: BAD_ARGUMENT. */
    send(CMD_SET_RATE, 4, (const uint8_t[]){ 0, 0xE8, 3, 0, 0 }, 5, 0);
    drain();
    CHECK_EQ(bodies[nframes - 1][0], MSG_NAK);
    CHECK_EQ(bodies[nframes - 1][6], NAK_BAD_STATE);
    send(CMD_STOP, 5, NULL, 0, 0);
    send(CMD_SET_RATE, 6, (const uint8_t[]){ 0, 0xE9, 3, 0, 0 }, 5, 0);
    drain();
    CHECK_EQ(bodies[1][0], MSG_NAK);
    CHECK_EQ(bodies[1][6], NAK_BAD_ARGUMENT);
    send(CMD_SET_RATE, 7, (const uint8_t[]){ 0, 0xE8, 3, 0, 0 }, 5, 0);
    drain();
    CHECK_EQ(nframes, 2);
    CHECK_EQ(bodies[0][0], MSG_HELLO_STREAM);
    CHECK_EQ(get_u32(bodies[0] + 6), 1000);
    CHECK_EQ(bodies[0][10], 10);
    CHECK_EQ(bodies[1][0], MSG_ACK);

    /* START after STOP restarts at 0; at 1 kHz a block is 10 samples. Normal mode uses the port. */
    send(CMD_SET_MODE, 8, (const uint8_t[]){ MODE_NORMAL }, 1, 0);
    send(CMD_START, 9, (const uint8_t[]){ 1 }, 1, 0);
    drain();
    run_ms(10);
    drain();
    CHECK_EQ(nframes, 1);
    CHECK_EQ(get_u32(bodies[0] + 4), 0);
    CHECK_EQ(bodies[0][16], 10);
    CHECK_EQ(get_i24(bodies[0] + 17 + 9 * 6), 9);
    CHECK_EQ(get_i24(bodies[0] + 17 + 9 * 6 + 3), -9);
    CHECK_EQ(get_u16(bodies[0] + 12), 0);

    /* Overrun: nobody drains for 1 s. Blocks beyond the ring are dropped (newest), seq stays
     * contiguous, and the next transmitted block says OVERRUN with an exact first_sample gap. */
    uint16_t seq_before = (uint16_t)(get_u16(bodies[0] + 1) + 1);
    run_ms(1000);
    CHECK_EQ(dev.overflow_count, 100 - (TXRING_SLOTS - TX_CONTROL_RESERVE));
    drain();
    CHECK_EQ(nframes, TXRING_SLOTS - TX_CONTROL_RESERVE);
    CHECK_EQ(get_u16(bodies[0] + 1), seq_before);
    run_ms(10);
    drain();
    CHECK_EQ(nframes, 1);
    CHECK_EQ(get_u16(bodies[0] + 1), (uint16_t)(seq_before + TXRING_SLOTS - TX_CONTROL_RESERVE));
    CHECK_EQ(get_u16(bodies[0] + 12) & FLAG_OVERRUN, FLAG_OVERRUN);
    CHECK_EQ(get_u32(bodies[0] + 4), 1010);   /* 10 + 1000 samples were taken before */

    /* GET_STATUS reports the overflow; PING answers with PONG + ACK. */
    send(CMD_GET_STATUS, 10, NULL, 0, 100);
    send(CMD_PING, 11, (const uint8_t[]){ 1, 2, 3, 4 }, 4, 100);
    drain();
    CHECK_EQ(bodies[0][0], MSG_STATUS);
    CHECK_EQ(get_u32(bodies[0] + 10), dev.overflow_count);
    CHECK_EQ(bodies[0][4], 1);
    CHECK_EQ(bodies[2][0], MSG_PONG);
    CHECK_EQ(get_u32(bodies[2] + 5), 0x04030201);
    CHECK_EQ(bodies[2][13], 1);
    CHECK_EQ(bodies[3][0], MSG_ACK);

    /* Corrupt host frame: counted, no reply. Unknown command: NAK. */
    uint8_t w[WIRE_MAX], b[3] = { CMD_HELLO, 1, 0 };
    size_t wl = frame_seal(b, 3, w);
    w[2] ^= 0x10;
    device_rx_bytes(&dev, w, wl, 100);
    CHECK_EQ(dev.rx_errors, 1);
    send(0x55, 12, NULL, 0, 100);
    drain();
    CHECK_EQ(bodies[nframes - 1][0], MSG_NAK);
    CHECK_EQ(bodies[nframes - 1][6], NAK_UNKNOWN_COMMAND);
    CHECK_EQ(bodies[nframes - 1][5], 0x55);

    /* START with a bad mask. */
    send(CMD_START, 13, (const uint8_t[]){ 0x04 }, 1, 100);
    drain();
    CHECK_EQ(bodies[nframes - 1][6], NAK_BAD_ARGUMENT);

    /* MARK: EVENT then ACK. */
    send(CMD_MARK, 14, (const uint8_t[]){ 7, 0 }, 2, 100);
    drain();
    CHECK_EQ(bodies[nframes - 2][0], MSG_EVENT);
    CHECK_EQ(get_u16(bodies[nframes - 2] + 4), 7);

    /* Periodic STATUS while streaming, then keep-alive: 5 s after the last host frame (t=100 ms)
     * the device stops and says why. */
    device_poll(&dev, 1200);
    drain();
    CHECK_EQ(nframes, 1);
    CHECK_EQ(bodies[0][0], MSG_STATUS);
    device_poll(&dev, 5099);
    CHECK_EQ(device_running_mask(&dev), 1);
    device_poll(&dev, 5100);
    CHECK_EQ(device_running_mask(&dev), 0);
    drain();
    CHECK_EQ(bodies[nframes - 1][0], MSG_EVENT);
    CHECK_EQ(bodies[nframes - 1][3], EVT_SRC_DEVICE);
    CHECK_EQ(get_u16(bodies[nframes - 1] + 4), EVT_KEEPALIVE_TIMEOUT);

    /* TEST_SIGNAL mode: square wave on both EMG channels, flag set. */
    send(CMD_SET_MODE, 15, (const uint8_t[]){ MODE_TEST_SIGNAL }, 1, 6000);
    send(CMD_START, 16, (const uint8_t[]){ 1 }, 1, 6000);
    drain();
    run_ms(10);
    drain();
    CHECK_EQ(get_u16(bodies[0] + 12), FLAG_TEST_SIGNAL);
    CHECK_EQ(get_i24(bodies[0] + 17), TESTSIG_AMPLITUDE);

    /* Saturation: a normal-mode value beyond the rail is clamped and flagged. */
    int32_t v[2] = { 9000000, 0 };
    send(CMD_STOP, 17, NULL, 0, 6000);
    send(CMD_SET_MODE, 18, (const uint8_t[]){ MODE_NORMAL }, 1, 6000);
    send(CMD_START, 19, (const uint8_t[]){ 1 }, 1, 6000);
    drain();
    for (int i = 0; i < 10; i++)
        device_push_sample(&dev, 0, v, 0, 0);
    drain();
    CHECK_EQ(get_u16(bodies[0] + 12), FLAG_SATURATION);
    CHECK_EQ(get_i24(bodies[0] + 17), 8388607);
}
