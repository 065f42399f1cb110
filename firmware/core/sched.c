/* Sampling scheduler: a base tick at SCHED_BASE_HZ (the highest EMG rate) divided down per stream.
 * Chooses the signal source for the current mode; self-clocked sources (ADS1299 DRDY) bypass it. */
#include "device.h"
#include "testsig.h"

static float emg_phys_to_raw(float uv)
{
    return uv / (float)EMG_UV_PER_COUNT;
}

static int32_t to_int(float v)
{
    if (v > 2.0e9f) v = 2.0e9f;
    if (v < -2.0e9f) v = -2.0e9f;
    return (int32_t)(v < 0 ? v - 0.5f : v + 0.5f);
}

static uint16_t take_sample(device_t *d, stream_state_t *s, int32_t *vals)
{
    uint32_t n = s->next_sample;
    uint8_t id = s->desc->id;
    /* Scenario time from the base tick, wrapped to the scenario so float keeps sub-ms precision. */
    uint32_t period_ticks = (uint32_t)(synth_period_s(d->synth.scenario) * (float)SCHED_BASE_HZ);
    float t = (float)(d->tick % period_ticks) / (float)SCHED_BASE_HZ;
    switch (d->mode) {
    case MODE_TEST_SIGNAL:
        if (id == STREAM_EMG) {
            vals[0] = vals[1] = testsig_square(n, s->rate_hz);
            return FLAG_TEST_SIGNAL;
        }
        break;   /* pressure: unchanged, from the normal source */
    case MODE_SYNTHETIC:
        if (id == STREAM_EMG) {
            float uv[2];
            synth_emg(&d->synth, t, uv);
            vals[0] = to_int(emg_phys_to_raw(uv[0]));
            vals[1] = to_int(emg_phys_to_raw(uv[1]));
        } else {
            vals[0] = to_int(synth_pressure(&d->synth, t) / (float)PRESSURE_PER_COUNT);
        }
        return FLAG_SYNTHETIC;
    case MODE_PATTERN:
        if (id == STREAM_EMG) {
            vals[0] = pattern_emg(n, 0);
            vals[1] = pattern_emg(n, 1);
        } else {
            vals[0] = pattern_pressure(n);
        }
        return FLAG_SYNTHETIC | FLAG_PATTERN;
    default:
        break;
    }
    if (!d->port.normal_sample) {
        vals[0] = vals[1] = 0;
        return 0;
    }
    return d->port.normal_sample(d->port.ctx, id, n, d->tick, vals);
}

void sched_tick(device_t *d, uint32_t t_us)
{
    for (unsigned i = 0; i < STREAM_COUNT; i++) {
        stream_state_t *s = &d->st[i];
        if (!s->running)
            continue;
        if (d->port.external_clock && d->port.external_clock(d->port.ctx, (uint8_t)i, d->mode))
            continue;
        if (s->tick_ctr++ % s->tick_div != 0)
            continue;
        int32_t vals[4] = { 0, 0, 0, 0 };
        uint16_t flags = take_sample(d, s, vals);
        device_push_sample(d, (uint8_t)i, vals, t_us, flags);
    }
    d->tick++;
}
