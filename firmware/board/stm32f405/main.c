/* STM32F405 firmware: wires the portable core to the board (SysTick sampling tick, ADS1299 DRDY,
 * ABP2 pressure, USART link). */
#include <stddef.h>
#include "../../core/device.h"
#include "abp2.h"
#include "ads1299.h"
#include "board.h"

#ifndef BUILD_ID
#define BUILD_ID "dev"
#endif

static device_t dev;
static txring_t ring;
static stream_desc_t streams[2];
static channel_desc_t emg[2], pres;
static device_desc_t desc;
static char serial[25];
static bool clock_ok;

/* ---- port ----------------------------------------------------------------------------------- */

static uint32_t port_now_us(void *ctx) { (void)ctx; return clock_now_us(); }

static uint16_t port_normal_sample(void *ctx, uint8_t stream, uint32_t n, uint64_t tick, int32_t *vals)
{
    (void)ctx; (void)n;
#ifdef BOARD_QEMU
    /* No analog hardware in QEMU: mode NORMAL is the synthetic demo, flagged as such. */
    float t = (float)(tick % 260000u) / (float)SCHED_BASE_HZ;
    if (stream == STREAM_EMG) {
        float uv[2];
        synth_emg(&dev.synth, t, uv);
        vals[0] = (int32_t)(uv[0] / (float)EMG_UV_PER_COUNT);
        vals[1] = (int32_t)(uv[1] / (float)EMG_UV_PER_COUNT);
    } else {
        vals[0] = (int32_t)(synth_pressure(&dev.synth, t) / (float)PRESSURE_PER_COUNT);
    }
    return FLAG_SYNTHETIC;
#else
    (void)tick;
    /* EMG arrives through DRDY (external clock); the scheduler only asks for pressure, which is
     * the latest ABP2 conversion, held (the sensor converts asynchronously at ~200 Hz). */
    if (stream == STREAM_PRESSURE)
        vals[0] = abp2_latest();
    return 0;
#endif
}

static bool port_external_clock(void *ctx, uint8_t stream, uint8_t mode)
{
    (void)ctx;
    return stream == STREAM_EMG && ads1299_present() && (mode == MODE_NORMAL || mode == MODE_TEST_SIGNAL);
}

static bool port_stream_available(void *ctx, uint8_t stream, uint8_t mode)
{
    (void)ctx;
#ifdef BOARD_QEMU
    (void)stream; (void)mode;
    return true;
#else
    if (mode == MODE_SYNTHETIC || mode == MODE_PATTERN)
        return true;
    /* NORMAL and TEST_SIGNAL read the hardware (pressure has no test source: it stays live). */
    return stream == STREAM_EMG ? ads1299_present() : abp2_present();
#endif
}

static void port_configure(void *ctx, const device_t *d)
{
    (void)ctx;
    const stream_state_t *e = &d->st[STREAM_EMG];
    bool want = e->running && ads1299_present() && (d->mode == MODE_NORMAL || d->mode == MODE_TEST_SIGNAL);
    if (want)
        ads1299_start(e->rate_hz, d->mode == MODE_TEST_SIGNAL);
    else
        ads1299_stop();
}

static void port_health(void *ctx, health_t *h)
{
    (void)ctx;
    h->battery_pct = 255;   /* no fuel gauge yet: docs/hardware.md */
    h->lead_off = ads1299_present() ? ads1299_lead_off() : 0;
#ifdef BOARD_QEMU
    h->error = ERR_NONE;
#else
    h->error = !clock_ok ? ERR_CLOCK : !ads1299_present() ? ERR_FRONTEND : !abp2_present() ? ERR_PRESSURE : ERR_NONE;
#endif
}

static uint32_t lock_state;
static void port_lock(void *ctx) { (void)ctx; lock_state = irq_save(); }
static void port_unlock(void *ctx) { (void)ctx; irq_restore(lock_state); }

/* ---- interrupts ----------------------------------------------------------------------------- */

void SysTick_Handler(void)
{
    clock_tick_isr();
    sched_tick(&dev, clock_now_us());
}

void ads1299_on_sample(const int32_t ch[2], uint16_t lead_off, uint32_t t_us)
{
    int32_t v[2] = { ch[0], ch[1] };
    uint16_t flags = lead_off ? FLAG_LEAD_OFF : 0;
    if (dev.mode == MODE_TEST_SIGNAL)
        flags |= FLAG_TEST_SIGNAL;
    device_push_sample(&dev, STREAM_EMG, v, t_us, flags);
}

/* ---- main ----------------------------------------------------------------------------------- */

static void make_serial(void)
{
#ifdef BOARD_QEMU
    /* QEMU maps nothing at UID_BASE: reading it is a bus fault. */
    static const char fake[] = "QEMU00000000000000000000";
    for (int i = 0; i < 25; i++)
        serial[i] = fake[i];
    return;
#endif
    static const char hexd[] = "0123456789ABCDEF";
    const volatile uint8_t *uid = (const volatile uint8_t *)(uintptr_t)UID_BASE;
    for (int i = 0; i < 12; i++) {
        serial[2 * i] = hexd[uid[11 - i] >> 4];
        serial[2 * i + 1] = hexd[uid[11 - i] & 0xF];
    }
    serial[24] = 0;
}

static void pump_tx(void)
{
    static const uint8_t *frame;
    static size_t len, pos;
    while (uart_tx_ready()) {
        if (!frame) {
            uint32_t pm = irq_save();
            frame = txring_peek(&ring, &len);
            irq_restore(pm);
            pos = 0;
            if (!frame)
                return;
        }
        uart_tx_byte(frame[pos++]);
        if (pos == len) {
            uint32_t pm = irq_save();
            txring_pop(&ring);
            irq_restore(pm);
            frame = NULL;
        }
    }
}

int main(void)
{
    clock_ok = clock_init();
    systick_start(SCHED_BASE_HZ);
    make_serial();
    uart_init();
#ifndef BOARD_QEMU
    ads1299_init();
    abp2_init();
#endif
    sensor_v1_streams(streams, emg, &pres, 0.0f);
    desc = (device_desc_t){ FW_MAJOR, FW_MINOR, FW_PATCH, 0x0F, BOARD_NAME, serial, BUILD_ID, 2, streams };
    device_port_t port = {
        .now_us = port_now_us, .normal_sample = port_normal_sample,
        .external_clock = port_external_clock, .stream_available = port_stream_available,
        .configure = port_configure, .health = port_health, .lock = port_lock, .unlock = port_unlock,
    };
    uint32_t pm = irq_save();
    device_init(&dev, &desc, &port, &ring, 0, 1);
    irq_restore(pm);

    for (;;) {
        uint8_t buf[64];
        int n = uart_read(buf, sizeof buf);
        uint32_t now_ms = clock_now_ms();
        if (n > 0)
            device_rx_bytes(&dev, buf, (size_t)n, now_ms);
        device_poll(&dev, now_ms);
#ifndef BOARD_QEMU
        abp2_poll(clock_now_us());
#endif
        pump_tx();
#ifdef BOARD_QEMU
        /* QEMU's USART transmits instantly, so the ring is empty here. Sleeping until the next
         * interrupt keeps TCG from burning its time in this loop's MMIO polls, which otherwise
         * delays SysTick enough to lose ticks (1.3 kHz instead of 2 kHz measured). On silicon the
         * loop must keep polling TXE (one byte per 10.8 us); see docs/hardware.md (power). */
        __asm volatile("wfi");
#endif
    }
}
