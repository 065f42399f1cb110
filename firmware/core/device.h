/* The sensor's protocol engine, independent of hardware: command dispatch, stream/block
 * assembly, keep-alive, status. The board firmware and the host emulator each wrap it with a
 * device_port_t. */
#ifndef BF_DEVICE_H
#define BF_DEVICE_H
#include <stdbool.h>
#include <stdint.h>
#include "desc.h"
#include "frame.h"
#include "msg.h"
#include "protocol.h"
#include "synth.h"
#include "txring.h"

typedef struct device device_t;

typedef struct {
    uint8_t battery_pct;     /* 255 = unknown */
    uint16_t lead_off;       /* STATUS.lead_off bits */
    uint8_t error;           /* ERR_* */
} health_t;

typedef struct {
    void *ctx;
    /* Device microsecond clock (free running, wraps). */
    uint32_t (*now_us)(void *ctx);
    /* One MODE_NORMAL sample of a stream (n = index since START, tick = base ticks since boot).
     * Returns extra DATA flags (e.g. FLAG_SYNTHETIC in the emulator). */
    uint16_t (*normal_sample)(void *ctx, uint8_t stream, uint32_t n, uint64_t tick, int32_t *vals);
    /* True when the stream's samples in this mode come from a self-clocked converter (ADS1299
     * DRDY) that calls device_push_sample() itself; the scheduler then skips it. May be NULL. */
    bool (*external_clock)(void *ctx, uint8_t stream, uint8_t mode);
    /* False when START in this mode cannot work (front-end missing). May be NULL. */
    bool (*stream_available)(void *ctx, uint8_t stream, uint8_t mode);
    /* Called after running mask, rate or mode changed, with the lock held. May be NULL. */
    void (*configure)(void *ctx, const device_t *d);
    /* Battery, lead-off, errors. May be NULL. */
    void (*health)(void *ctx, health_t *h);
    /* Serialise against the sampling interrupt. May be NULL (single threaded). */
    void (*lock)(void *ctx);
    void (*unlock)(void *ctx);
} device_port_t;

typedef struct {
    const stream_desc_t *desc;
    uint32_t rate_hz;
    uint8_t block_samples;
    bool running;
    uint32_t next_sample;      /* index of the next sample to be taken */
    uint32_t tick_div, tick_ctr;
    /* block under construction */
    uint8_t fill;
    uint32_t block_first, block_t_us;
    uint16_t block_flags;
    bool overrun_pending;
    int32_t raw_min[4], raw_max[4];
    uint8_t body[BODY_MAX];
} stream_state_t;

struct device {
    const device_desc_t *desc;
    device_port_t port;
    txring_t *tx;
    uint16_t seq;
    uint8_t mode;
    uint16_t force_flags;      /* OR-ed into every DATA block (emulator: FLAG_SYNTHETIC) */
    stream_state_t st[STREAM_COUNT];
    uint64_t tick;             /* scheduler base ticks since boot */
    uint32_t overflow_count, rx_errors;
    uint32_t last_host_ms, last_status_ms;
    frame_rx_t rx;
    synth_t synth;             /* MODE_SYNTHETIC generator */
};

void device_init(device_t *d, const device_desc_t *desc, const device_port_t *port, txring_t *tx,
                 uint16_t force_flags, uint32_t seed);
/* Bytes from the host link. now_ms is the keep-alive clock. */
void device_rx_bytes(device_t *d, const uint8_t *data, size_t len, uint32_t now_ms);
/* A complete, CRC-checked host body. */
void device_handle_body(device_t *d, const uint8_t *body, size_t len, uint32_t now_ms);
/* Housekeeping: keep-alive timeout, periodic STATUS. Call often (every few ms). */
void device_poll(device_t *d, uint32_t now_ms);
/* One sample of a stream, from the scheduler or a self-clocked front-end (ISR context on the
 * board). t_us is the device clock when it was taken; flags e.g. FLAG_LEAD_OFF. */
void device_push_sample(device_t *d, uint8_t stream, const int32_t *vals, uint32_t t_us, uint16_t flags);
/* Stops all streams (STOP command, keep-alive timeout). */
void device_stop_all(device_t *d);
uint8_t device_running_mask(const device_t *d);

/* Scheduler (sched.c): call at SCHED_BASE_HZ; takes the samples that are due. */
#define SCHED_BASE_HZ 2000u
void sched_tick(device_t *d, uint32_t t_us);

#endif
