/* bfsensor-emu: the sensor firmware's core on a pseudo-terminal, with a simulated front-end.
 *
 *   bfsensor-emu [--link PATH] [--scenario demo|rest|contractions|test] [--file CSV]
 *                [--faults drop=P,flip=P,reset=SECONDS,garbage=P] [--seed N] [--speed X]
 *                [--serial SN]
 *
 * Prints exactly one line "PORT /dev/pts/N" on stdout when ready, then runs until SIGTERM/SIGINT.
 * Contract: docs/protocol.md §5.1 and §12. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "../core/device.h"
#include "../core/testsig.h"
#include "csv_source.h"
#include "faults.h"
#include "pty_link.h"

#ifndef FW_MAJOR
#define FW_MAJOR 1
#define FW_MINOR 0
#define FW_PATCH 0
#endif
#ifndef BUILD_ID
#define BUILD_ID "dev"
#endif

typedef struct {
    device_t dev;
    txring_t ring;
    device_desc_t desc;
    stream_desc_t streams[2];
    channel_desc_t emg[2], pres;
    const char *scenario_name;
    int pattern;                /* --scenario test */
    scenario_t scenario;
    synth_t synth;
    csv_source_t csv;
    int use_csv;
    double speed;
    uint32_t seed;
    struct timespec start, boot;   /* process start (keep-alive clock), last (re)boot */
    uint64_t ticks;                /* scheduler ticks since boot */
    faults_t faults;
    uint8_t inflight[WIRE_MAX + 64];
    size_t inflight_len, inflight_off;
    pty_link_t pty;
} emu_t;

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) { (void)sig; stop_requested = 1; }

static double elapsed_s(const struct timespec *from)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - from->tv_sec) + (double)(now.tv_nsec - from->tv_nsec) * 1e-9;
}

/* ---- device port ---------------------------------------------------------------------------- */

static uint32_t emu_now_us(void *ctx)
{
    emu_t *e = ctx;
    return (uint32_t)(uint64_t)(elapsed_s(&e->boot) * e->speed * 1e6);
}

/* Round half away from zero; out-of-range values saturate (the device then flags SATURATION). */
static int32_t round_i32(double v)
{
    if (v >= 2147483647.0) return INT32_MAX;
    if (v <= -2147483648.0) return INT32_MIN;
    return (int32_t)(v < 0 ? v - 0.5 : v + 0.5);
}

static uint16_t emu_normal_sample(void *ctx, uint8_t stream, uint32_t n, uint64_t tick, int32_t *vals)
{
    emu_t *e = ctx;
    if (e->pattern) {
        if (stream == STREAM_EMG) {
            vals[0] = pattern_emg(n, 0);
            vals[1] = pattern_emg(n, 1);
        } else {
            vals[0] = pattern_pressure(n);
        }
        return FLAG_PATTERN;
    }
    if (e->use_csv) {
        /* Sample n of a stream replays CSV row n * (2000 / rate), looping: both streams start at
         * row 0 on START. */
        uint32_t step = SCHED_BASE_HZ / e->dev.st[stream].rate_hz;
        size_t row = (size_t)(((uint64_t)n * step) % e->csv.rows);
        if (stream == STREAM_EMG) {
            vals[0] = round_i32(e->csv.pfm[row] / EMG_UV_PER_COUNT);
            vals[1] = round_i32(e->csv.abd[row] / EMG_UV_PER_COUNT);
        } else {
            double p = e->csv.press ? e->csv.press[row]
                                    : synth_levels(SCEN_REST, (float)(row % 120000u) / 2000.0f).pressure_cmh2o;
            vals[0] = round_i32(p / PRESSURE_PER_COUNT);
        }
        return 0;
    }
    uint32_t period_ticks = (uint32_t)(synth_period_s(e->scenario) * (float)SCHED_BASE_HZ);
    float t = (float)(tick % period_ticks) / (float)SCHED_BASE_HZ;
    if (stream == STREAM_EMG) {
        float uv[2];
        synth_emg(&e->synth, t, uv);
        vals[0] = round_i32(uv[0] / EMG_UV_PER_COUNT);
        vals[1] = round_i32(uv[1] / EMG_UV_PER_COUNT);
    } else {
        vals[0] = round_i32(synth_pressure(&e->synth, t) / PRESSURE_PER_COUNT);
    }
    return 0;
}

static void emu_configure(void *ctx, const device_t *d)
{
    emu_t *e = ctx;
    if (e->synth.rate_hz != d->st[STREAM_EMG].rate_hz)
        synth_set_rate(&e->synth, d->st[STREAM_EMG].rate_hz);
}

static void emu_health(void *ctx, health_t *h)
{
    (void)ctx;
    h->battery_pct = 100;
    h->lead_off = 0;
    h->error = ERR_NONE;
}

/* Power-on: everything the firmware would lose in a reset. */
static void emu_boot(emu_t *e)
{
    device_port_t port = {
        .ctx = e, .now_us = emu_now_us, .normal_sample = emu_normal_sample,
        .configure = emu_configure, .health = emu_health,
    };
    clock_gettime(CLOCK_MONOTONIC, &e->boot);
    e->ticks = 0;
    e->inflight_len = e->inflight_off = 0;
    device_init(&e->dev, &e->desc, &port, &e->ring, FLAG_SYNTHETIC, e->seed);
    synth_init(&e->synth, e->scenario, e->seed + 1u, e->dev.st[STREAM_EMG].rate_hz);
}

/* ---- link ----------------------------------------------------------------------------------- */

static void flush_tx(emu_t *e)
{
    for (;;) {
        if (e->inflight_off < e->inflight_len) {
            ssize_t w = write(e->pty.master, e->inflight + e->inflight_off, e->inflight_len - e->inflight_off);
            if (w <= 0)
                return;   /* EAGAIN: the pty is full; frames wait in the ring (and overrun there) */
            e->inflight_off += (size_t)w;
            continue;
        }
        size_t len;
        const uint8_t *f = txring_peek(&e->ring, &len);
        if (!f)
            return;
        e->inflight_len = faults_apply(&e->faults, f, len, e->inflight);
        e->inflight_off = 0;
        txring_pop(&e->ring);
    }
}

static void read_rx(emu_t *e, uint32_t now_ms)
{
    uint8_t buf[512];
    for (;;) {
        ssize_t n = read(e->pty.master, buf, sizeof buf);
        if (n <= 0)
            return;
        device_rx_bytes(&e->dev, buf, (size_t)n, now_ms);
    }
}

/* ---- command line --------------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f, "usage: bfsensor-emu [--link PATH] [--scenario demo|rest|contractions|test] [--file CSV]\n"
               "                    [--faults drop=P,flip=P,reset=SECONDS,garbage=P] [--seed N]\n"
               "                    [--speed X] [--serial SN]\n");
}

int main(int argc, char **argv)
{
    static emu_t e;
    const char *link = NULL, *file = NULL, *faults = NULL, *serial = "EMU-00000001";
    e.scenario_name = "demo";
    e.speed = 1.0;
    e.seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        if (!v) { fprintf(stderr, "bfsensor-emu: %s needs a value\n", a); usage(stderr); return 2; }
        if (!strcmp(a, "--link")) link = v;
        else if (!strcmp(a, "--scenario")) e.scenario_name = v;
        else if (!strcmp(a, "--file")) file = v;
        else if (!strcmp(a, "--faults")) faults = v;
        else if (!strcmp(a, "--serial")) serial = v;
        else if (!strcmp(a, "--seed")) e.seed = (uint32_t)strtoul(v, NULL, 0);
        else if (!strcmp(a, "--speed")) e.speed = strtod(v, NULL);
        else { fprintf(stderr, "bfsensor-emu: unknown option %s\n", a); usage(stderr); return 2; }
        i++;
    }
    if (!strcmp(e.scenario_name, "demo")) e.scenario = SCEN_DEMO;
    else if (!strcmp(e.scenario_name, "rest")) e.scenario = SCEN_REST;
    else if (!strcmp(e.scenario_name, "contractions")) e.scenario = SCEN_CONTRACTIONS;
    else if (!strcmp(e.scenario_name, "test")) { e.scenario = SCEN_REST; e.pattern = 1; }
    else { fprintf(stderr, "bfsensor-emu: unknown scenario '%s'\n", e.scenario_name); return 2; }
    if (!(e.speed > 0.0 && e.speed <= 1000.0)) {
        fprintf(stderr, "bfsensor-emu: --speed must be in (0, 1000]\n");
        return 2;
    }
    e.faults.rng = e.seed * 2654435761u + 17u;
    if (faults && faults_parse(&e.faults, faults) != 0)
        return 2;
    if (file) {
        if (csv_source_load(&e.csv, file) != 0)
            return 2;
        e.use_csv = 1;
    }

    sensor_v1_streams(e.streams, e.emg, &e.pres, SYNTH_AMP_NOISE_UV);
    e.desc = (device_desc_t){ FW_MAJOR, FW_MINOR, FW_PATCH, 0x0F, "host-emulator", serial, BUILD_ID,
                              2, e.streams };

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (pty_link_open(&e.pty, link) != 0)
        return 1;
    clock_gettime(CLOCK_MONOTONIC, &e.start);
    emu_boot(&e);
    printf("PORT %s\n", e.pty.path);
    fflush(stdout);

    while (!stop_requested) {
        uint32_t now_ms = (uint32_t)(uint64_t)(elapsed_s(&e.start) * 1000.0);
        double emu_s = elapsed_s(&e.boot) * e.speed;
        if (e.faults.reset_s > 0 && emu_s >= e.faults.reset_s) {
            fprintf(stderr, "bfsensor-emu: fault: reset\n");
            emu_boot(&e);   /* silent again, seq and sample counters back to 0 */
            continue;
        }
        /* Catch up with emulated time; bounded so a stalled process cannot spin for long. */
        uint64_t target = (uint64_t)(emu_s * SCHED_BASE_HZ);
        for (int k = 0; e.ticks < target && k < 20000; k++) {
            sched_tick(&e.dev, (uint32_t)(e.ticks * (1000000u / SCHED_BASE_HZ)));
            e.ticks++;
        }
        read_rx(&e, now_ms);
        device_poll(&e.dev, now_ms);
        flush_tx(&e);

        struct pollfd pfd = { .fd = e.pty.master, .events = POLLIN };
        if (e.inflight_off < e.inflight_len || txring_count(&e.ring))
            pfd.events |= POLLOUT;
        if (poll(&pfd, 1, 2) < 0 && errno != EINTR)
            break;
    }
    pty_link_close(&e.pty);
    if (e.use_csv)
        csv_source_free(&e.csv);
    return 0;
}
