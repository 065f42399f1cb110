#include "msg.h"
#include "le.h"
#include "protocol.h"

static size_t put_str(uint8_t *p, const char *s)
{
    size_t n = 0;
    while (s && s[n] && n < STR_MAX) {
        p[1 + n] = (uint8_t)s[n];
        n++;
    }
    p[0] = (uint8_t)n;
    return n + 1;
}

static size_t header(uint8_t *b, uint8_t type)
{
    b[0] = type;
    put_u16(b + 1, 0);
    return 3;
}

void msg_set_seq(uint8_t *b, uint16_t seq) { put_u16(b + 1, seq); }

uint8_t stream_block_samples(const stream_desc_t *s, uint32_t rate_hz)
{
    uint32_t n = rate_hz * s->block_ms / 1000u;
    return (uint8_t)(n ? n : 1);
}

size_t msg_hello_device(uint8_t *b, const device_desc_t *d)
{
    size_t n = header(b, MSG_HELLO_DEVICE);
    b[n++] = PROTO_MAJOR;
    b[n++] = PROTO_MINOR;
    b[n++] = d->fw_major;
    b[n++] = d->fw_minor;
    b[n++] = d->fw_patch;
    b[n++] = d->n_streams;
    b[n++] = d->modes;
    n += put_str(b + n, d->board);
    n += put_str(b + n, d->serial);
    n += put_str(b + n, d->build);
    return n;
}

size_t msg_hello_stream(uint8_t *b, const stream_desc_t *s, uint32_t rate_hz)
{
    size_t n = header(b, MSG_HELLO_STREAM);
    b[n++] = s->id;
    b[n++] = s->n_channels;
    b[n++] = s->format;
    put_u32(b + n, rate_hz); n += 4;
    b[n++] = stream_block_samples(s, rate_hz);
    n += put_str(b + n, s->name);
    b[n++] = s->n_rates;
    for (uint8_t i = 0; i < s->n_rates; i++) {
        put_u32(b + n, s->rates[i]);
        n += 4;
    }
    return n;
}

size_t msg_hello_channel(uint8_t *b, uint8_t stream_id, uint8_t ch, const channel_desc_t *c,
                         uint32_t rate_hz)
{
    size_t n = header(b, MSG_HELLO_CHANNEL);
    float lp = c->lp_rate_factor > 0.0f ? c->lp_rate_factor * (float)rate_hz : c->lp_hz;
    b[n++] = stream_id;
    b[n++] = ch;
    b[n++] = c->kind;
    put_f64(b + n, c->scale); n += 8;
    put_f64(b + n, c->offset); n += 8;
    put_f64(b + n, c->phys_min); n += 8;
    put_f64(b + n, c->phys_max); n += 8;
    put_f32(b + n, c->resolution); n += 4;
    put_f32(b + n, c->noise_rms); n += 4;
    put_f32(b + n, c->hp_hz); n += 4;
    put_f32(b + n, lp); n += 4;
    b[n++] = c->leadoff_bit;
    n += put_str(b + n, c->unit);
    n += put_str(b + n, c->label);
    return n;
}

size_t msg_status(uint8_t *b, const status_t *s)
{
    size_t n = header(b, MSG_STATUS);
    b[n++] = s->battery_pct;
    b[n++] = s->running;
    b[n++] = s->mode;
    put_u16(b + n, s->flags); n += 2;
    put_u16(b + n, s->lead_off); n += 2;
    put_u32(b + n, s->overflow_count); n += 4;
    put_u32(b + n, s->rx_errors); n += 4;
    b[n++] = s->error;
    put_u32(b + n, s->t_us); n += 4;
    return n;
}

size_t msg_ack(uint8_t *b, uint16_t req_id, uint8_t cmd)
{
    size_t n = header(b, MSG_ACK);
    put_u16(b + n, req_id); n += 2;
    b[n++] = cmd;
    return n;
}

size_t msg_nak(uint8_t *b, uint16_t req_id, uint8_t cmd, uint8_t reason)
{
    size_t n = header(b, MSG_NAK);
    put_u16(b + n, req_id); n += 2;
    b[n++] = cmd;
    b[n++] = reason;
    return n;
}

size_t msg_pong(uint8_t *b, uint16_t req_id, uint32_t nonce, uint32_t t_us, uint8_t running)
{
    size_t n = header(b, MSG_PONG);
    put_u16(b + n, req_id); n += 2;
    put_u32(b + n, nonce); n += 4;
    put_u32(b + n, t_us); n += 4;
    b[n++] = running;
    return n;
}

size_t msg_event(uint8_t *b, uint8_t source, uint16_t code, uint32_t sample, uint32_t t_us)
{
    size_t n = header(b, MSG_EVENT);
    b[n++] = source;
    put_u16(b + n, code); n += 2;
    put_u32(b + n, sample); n += 4;
    put_u32(b + n, t_us); n += 4;
    return n;
}

size_t msg_data_header(uint8_t *b, uint8_t stream_id, uint32_t first_sample, uint32_t t_us,
                       uint16_t flags, uint8_t n_channels, uint8_t format, uint8_t n_samples)
{
    size_t n = header(b, MSG_DATA);
    b[n++] = stream_id;
    put_u32(b + n, first_sample); n += 4;
    put_u32(b + n, t_us); n += 4;
    put_u16(b + n, flags); n += 2;
    b[n++] = n_channels;
    b[n++] = format;
    b[n++] = n_samples;
    return n;
}

size_t msg_put_sample(uint8_t *p, uint8_t format, int32_t v)
{
    switch (format) {
    case FMT_INT16: put_u16(p, (uint16_t)(int16_t)v); return 2;
    case FMT_INT24: put_i24(p, v); return 3;
    default: put_u32(p, (uint32_t)v); return 4;
    }
}
