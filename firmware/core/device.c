#include "device.h"
#include "command.h"
#include "le.h"
#include "testsig.h"

static void lock(device_t *d) { if (d->port.lock) d->port.lock(d->port.ctx); }
static void unlock(device_t *d) { if (d->port.unlock) d->port.unlock(d->port.ctx); }
static uint32_t now_us(device_t *d) { return d->port.now_us ? d->port.now_us(d->port.ctx) : 0u; }

/* Stamps the seq and queues the frame. seq advances only for frames actually queued, so a gap in
 * seq always means loss on the link, never the device's own overrun (protocol.md §7.4). */
static bool emit(device_t *d, uint8_t *body, size_t len, bool is_data)
{
    uint8_t *slot = txring_alloc(d->tx, is_data);
    if (!slot)
        return false;
    msg_set_seq(body, d->seq);
    size_t n = frame_seal(body, len, slot);
    if (n == 0)
        return false;
    txring_commit(d->tx, n);
    d->seq++;
    return true;
}

static void set_rate(stream_state_t *s, uint32_t rate)
{
    s->rate_hz = rate;
    s->block_samples = stream_block_samples(s->desc, rate);
    s->tick_div = rate >= SCHED_BASE_HZ ? 1u : SCHED_BASE_HZ / rate;
}

static int32_t round_raw(double phys, const channel_desc_t *c)
{
    double r = (phys - c->offset) / c->scale;
    return (int32_t)(r < 0 ? r - 0.5 : r + 0.5);
}

void device_init(device_t *d, const device_desc_t *desc, const device_port_t *port, txring_t *tx,
                 uint16_t force_flags, uint32_t seed)
{
    d->desc = desc;
    d->port = *port;
    d->tx = tx;
    d->seq = 0;
    d->mode = MODE_NORMAL;
    d->force_flags = force_flags;
    d->tick = 0;
    d->overflow_count = d->rx_errors = 0;
    d->last_host_ms = d->last_status_ms = 0;
    frame_rx_init(&d->rx);
    txring_init(tx);
    for (unsigned i = 0; i < STREAM_COUNT; i++) {
        stream_state_t *s = &d->st[i];
        s->desc = &desc->streams[i];
        set_rate(s, s->desc->default_rate);
        s->running = false;
        s->next_sample = 0;
        s->fill = 0;
        s->overrun_pending = false;
        for (unsigned c = 0; c < s->desc->n_channels && c < 4; c++) {
            s->raw_min[c] = round_raw(s->desc->channels[c].phys_min, &s->desc->channels[c]);
            s->raw_max[c] = round_raw(s->desc->channels[c].phys_max, &s->desc->channels[c]);
        }
    }
    synth_init(&d->synth, SCEN_DEMO, seed, d->st[STREAM_EMG].rate_hz);
}

uint8_t device_running_mask(const device_t *d)
{
    uint8_t m = 0;
    for (unsigned i = 0; i < STREAM_COUNT; i++)
        if (d->st[i].running)
            m |= (uint8_t)(1u << i);
    return m;
}

static void health(device_t *d, health_t *h)
{
    h->battery_pct = 255;
    h->lead_off = 0;
    h->error = ERR_NONE;
    if (d->port.health)
        d->port.health(d->port.ctx, h);
}

static uint16_t health_flags(const health_t *h)
{
    uint16_t f = 0;
    if (h->lead_off)
        f |= FLAG_LEAD_OFF;
    if (h->battery_pct <= BATTERY_LOW_PCT)
        f |= FLAG_BATTERY_LOW;
    return f;
}

static void send_status(device_t *d)
{
    uint8_t b[BODY_MAX];
    health_t h;
    health(d, &h);
    status_t st = {
        .battery_pct = h.battery_pct, .running = device_running_mask(d), .mode = d->mode,
        .flags = (uint16_t)(health_flags(&h) | d->force_flags), .lead_off = h.lead_off,
        .overflow_count = d->overflow_count, .rx_errors = d->rx_errors, .error = h.error,
        .t_us = now_us(d),
    };
    emit(d, b, msg_status(b, &st), false);
}

static void send_hello(device_t *d)
{
    uint8_t b[BODY_MAX];
    emit(d, b, msg_hello_device(b, d->desc), false);
    for (unsigned i = 0; i < d->desc->n_streams; i++)
        emit(d, b, msg_hello_stream(b, d->st[i].desc, d->st[i].rate_hz), false);
    for (unsigned i = 0; i < d->desc->n_streams; i++) {
        const stream_desc_t *s = d->st[i].desc;
        for (uint8_t c = 0; c < s->n_channels; c++)
            emit(d, b, msg_hello_channel(b, s->id, c, &s->channels[c], d->st[i].rate_hz), false);
    }
}

void device_stop_all(device_t *d)
{
    for (unsigned i = 0; i < STREAM_COUNT; i++) {
        d->st[i].running = false;
        d->st[i].fill = 0;
    }
    if (d->port.configure)
        d->port.configure(d->port.ctx, d);
}

static bool available(device_t *d, uint8_t stream)
{
    return !d->port.stream_available || d->port.stream_available(d->port.ctx, stream, d->mode);
}

/* Returns 0 (ACK) or a NAK reason. */
static int execute(device_t *d, const command_t *c)
{
    uint8_t b[BODY_MAX];
    switch (c->type) {
    case CMD_HELLO:
        send_hello(d);
        return 0;
    case CMD_START: {
        uint8_t m = c->arg.mask;
        if (m == 0 || (m & ~STREAM_MASK_ALL))
            return NAK_BAD_ARGUMENT;
        for (uint8_t i = 0; i < STREAM_COUNT; i++)
            if ((m & (1u << i)) && !d->st[i].running && !available(d, i))
                return NAK_HARDWARE_FAULT;
        for (uint8_t i = 0; i < STREAM_COUNT; i++) {
            stream_state_t *s = &d->st[i];
            if (!(m & (1u << i)) || s->running)
                continue;   /* already running: a retried START must not reset counters */
            s->running = true;
            s->next_sample = 0;
            s->tick_ctr = 0;
            s->fill = 0;
            s->overrun_pending = false;
        }
        if (d->port.configure)
            d->port.configure(d->port.ctx, d);
        return 0;
    }
    case CMD_STOP:
        device_stop_all(d);
        return 0;
    case CMD_PING:
        emit(d, b, msg_pong(b, c->req_id, c->arg.nonce, now_us(d), device_running_mask(d)), false);
        return 0;
    case CMD_SET_RATE: {
        uint8_t id = c->arg.rate.stream_id;
        if (id >= STREAM_COUNT)
            return NAK_BAD_ARGUMENT;
        stream_state_t *s = &d->st[id];
        bool ok = false;
        for (uint8_t i = 0; i < s->desc->n_rates; i++)
            ok |= s->desc->rates[i] == c->arg.rate.rate_hz;
        if (!ok)
            return NAK_BAD_ARGUMENT;
        if (s->running)
            return NAK_BAD_STATE;
        set_rate(s, c->arg.rate.rate_hz);
        if (id == STREAM_EMG)
            synth_set_rate(&d->synth, s->rate_hz);
        if (d->port.configure)
            d->port.configure(d->port.ctx, d);
        emit(d, b, msg_hello_stream(b, s->desc, s->rate_hz), false);
        return 0;
    }
    case CMD_SET_MODE:
        if (c->arg.mode >= MODE_COUNT || !(d->desc->modes & (1u << c->arg.mode)))
            return NAK_BAD_ARGUMENT;
        d->mode = c->arg.mode;
        if (d->port.configure)
            d->port.configure(d->port.ctx, d);
        return 0;
    case CMD_GET_STATUS:
        send_status(d);
        return 0;
    case CMD_MARK:
        emit(d, b, msg_event(b, EVT_SRC_HOST, c->arg.code, d->st[STREAM_EMG].next_sample, now_us(d)), false);
        return 0;
    default:
        return NAK_UNKNOWN_COMMAND;
    }
}

void device_handle_body(device_t *d, const uint8_t *body, size_t len, uint32_t now_ms)
{
    uint8_t b[BODY_MAX];
    command_t c;
    lock(d);
    d->last_host_ms = now_ms;   /* any CRC-valid frame counts as host activity */
    int r = command_parse(body, len, &c);
    if (r == 0)
        r = execute(d, &c);
    if (r == 0)
        emit(d, b, msg_ack(b, c.req_id, c.type), false);
    else
        emit(d, b, msg_nak(b, c.req_id, c.type, (uint8_t)r), false);
    unlock(d);
}

void device_rx_bytes(device_t *d, const uint8_t *data, size_t len, uint32_t now_ms)
{
    for (size_t i = 0; i < len; i++) {
        frame_result_t r = frame_rx_byte(&d->rx, data[i]);
        if (r == FRAME_OK)
            device_handle_body(d, d->rx.body, d->rx.body_len, now_ms);
        else if (r < 0)
            d->rx_errors++;
    }
}

void device_poll(device_t *d, uint32_t now_ms)
{
    uint8_t b[BODY_MAX];
    lock(d);
    if (device_running_mask(d)) {
        if ((uint32_t)(now_ms - d->last_host_ms) >= KEEPALIVE_MS) {
            /* The host is gone (crashed, cable pulled): save the battery. */
            device_stop_all(d);
            emit(d, b, msg_event(b, EVT_SRC_DEVICE, EVT_KEEPALIVE_TIMEOUT,
                                 d->st[STREAM_EMG].next_sample, now_us(d)), false);
        } else if ((uint32_t)(now_ms - d->last_status_ms) >= STATUS_PERIOD_MS) {
            d->last_status_ms = now_ms;
            send_status(d);
        }
    }
    unlock(d);
}

static void finish_block(device_t *d, stream_state_t *s)
{
    const stream_desc_t *sd = s->desc;
    uint16_t flags = s->block_flags;
    if (s->overrun_pending)
        flags |= FLAG_OVERRUN;
    msg_data_header(s->body, sd->id, s->block_first, s->block_t_us, flags, sd->n_channels,
                    sd->format, s->fill);
    size_t len = DATA_HEADER_LEN + (size_t)s->fill * sd->n_channels * sd->format;
    if (emit(d, s->body, len, true)) {
        s->overrun_pending = false;
    } else {
        /* Drop the newest block; the next one that gets through carries OVERRUN and the gap in
         * first_sample tells the host exactly how much is missing. */
        s->overrun_pending = true;
        d->overflow_count++;
    }
    s->fill = 0;
}

void device_push_sample(device_t *d, uint8_t stream, const int32_t *vals, uint32_t t_us, uint16_t flags)
{
    if (stream >= STREAM_COUNT)
        return;
    stream_state_t *s = &d->st[stream];
    if (!s->running)
        return;
    const stream_desc_t *sd = s->desc;
    if (s->fill == 0) {
        s->block_first = s->next_sample;
        s->block_t_us = t_us;
        s->block_flags = d->force_flags;
    }
    uint8_t *p = s->body + DATA_HEADER_LEN + (size_t)s->fill * sd->n_channels * sd->format;
    for (unsigned c = 0; c < sd->n_channels; c++) {
        int32_t v = vals[c];
        /* Pattern values are not ADC readings: never flag them as saturated. */
        if (!(flags & FLAG_PATTERN)) {
            if (v <= s->raw_min[c]) { v = s->raw_min[c]; flags |= FLAG_SATURATION; }
            if (v >= s->raw_max[c]) { v = s->raw_max[c]; flags |= FLAG_SATURATION; }
        }
        p += msg_put_sample(p, sd->format, v);
    }
    s->block_flags |= flags;
    s->fill++;
    s->next_sample++;
    if (s->fill >= s->block_samples)
        finish_block(d, s);
}
