/* Body builders for device -> host messages (protocol.md §3). Each writes a complete body with
 * seq = 0 into b (>= BODY_MAX bytes) and returns its length; the sender stamps the seq with
 * msg_set_seq() at the moment the frame is queued. */
#ifndef BF_MSG_H
#define BF_MSG_H
#include <stddef.h>
#include <stdint.h>
#include "desc.h"

typedef struct {
    uint8_t battery_pct, running, mode;
    uint16_t flags, lead_off;
    uint32_t overflow_count, rx_errors;
    uint8_t error;
    uint32_t t_us;
} status_t;

void msg_set_seq(uint8_t *b, uint16_t seq);
size_t msg_hello_device(uint8_t *b, const device_desc_t *d);
size_t msg_hello_stream(uint8_t *b, const stream_desc_t *s, uint32_t rate_hz);
size_t msg_hello_channel(uint8_t *b, uint8_t stream_id, uint8_t ch, const channel_desc_t *c,
                         uint32_t rate_hz);
size_t msg_status(uint8_t *b, const status_t *s);
size_t msg_ack(uint8_t *b, uint16_t req_id, uint8_t cmd);
size_t msg_nak(uint8_t *b, uint16_t req_id, uint8_t cmd, uint8_t reason);
size_t msg_pong(uint8_t *b, uint16_t req_id, uint32_t nonce, uint32_t t_us, uint8_t running);
size_t msg_event(uint8_t *b, uint8_t source, uint16_t code, uint32_t sample, uint32_t t_us);
/* DATA header only (17 bytes); the caller appends n_samples * n_channels * format sample bytes. */
size_t msg_data_header(uint8_t *b, uint8_t stream_id, uint32_t first_sample, uint32_t t_us,
                       uint16_t flags, uint8_t n_channels, uint8_t format, uint8_t n_samples);
/* Appends one sample value in the given format; returns bytes written. */
size_t msg_put_sample(uint8_t *p, uint8_t format, int32_t v);

uint8_t stream_block_samples(const stream_desc_t *s, uint32_t rate_hz);

#define STR_MAX 48

#endif
