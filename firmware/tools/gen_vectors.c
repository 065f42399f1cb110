/* Generates the shared protocol test vectors in tests/fixtures/protocol/ (make vectors).
 * Everything is produced by the firmware's own code: the device engine for a scripted session,
 * the message builders for the protocol.md examples, the frame receiver and command parser for
 * the expected results. Deterministic: re-running gives identical files. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../core/cobs.h"
#include "../core/command.h"
#include "../core/crc16.h"
#include "../core/device.h"
#include "../core/le.h"
#include "../core/rng.h"
#include "../core/testsig.h"

static const char *outdir;

static FILE *open_out(const char *name, const char *mode)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", outdir, name);
    FILE *f = fopen(path, mode);
    if (!f) {
        perror(path);
        exit(1);
    }
    return f;
}

static void hex(FILE *f, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%02x", i ? " " : "", p[i]);
}

static void json_str(FILE *f, const uint8_t *p, size_t n)
{
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"' || p[i] == '\\') fputc('\\', f);
        fputc(p[i], f);
    }
    fputc('"', f);
}

/* Reads a protocol str at *off and prints it as a JSON field. */
static void field_str(FILE *f, const char *name, const uint8_t *b, size_t *off)
{
    uint8_t n = b[*off];
    fprintf(f, ", \"%s\": ", name);
    json_str(f, b + *off + 1, n);
    *off += 1u + n;
}

static const char *type_name(uint8_t t)
{
    switch (t) {
    case MSG_HELLO_DEVICE: return "HELLO_DEVICE";
    case MSG_HELLO_STREAM: return "HELLO_STREAM";
    case MSG_HELLO_CHANNEL: return "HELLO_CHANNEL";
    case MSG_STATUS: return "STATUS";
    case MSG_ACK: return "ACK";
    case MSG_NAK: return "NAK";
    case MSG_PONG: return "PONG";
    case MSG_EVENT: return "EVENT";
    case MSG_DATA: return "DATA";
    default: return "UNKNOWN";
    }
}

/* Decodes a device body into JSON, field names as in protocol.md §3, by reading the bytes at the
 * documented offsets (not from the values the encoder was given). */
static void decode_device(FILE *f, const uint8_t *b, size_t len)
{
    size_t off;
    fprintf(f, "{\"type\": \"%s\", \"type_code\": %u, \"seq\": %u", type_name(b[0]), b[0], get_u16(b + 1));
    switch (b[0]) {
    case MSG_HELLO_DEVICE:
        fprintf(f, ", \"proto_major\": %u, \"proto_minor\": %u, \"fw_major\": %u, \"fw_minor\": %u, "
                   "\"fw_patch\": %u, \"n_streams\": %u, \"modes\": %u", b[3], b[4], b[5], b[6], b[7], b[8], b[9]);
        off = 10;
        field_str(f, "board", b, &off);
        field_str(f, "serial", b, &off);
        field_str(f, "build", b, &off);
        break;
    case MSG_HELLO_STREAM:
        fprintf(f, ", \"stream_id\": %u, \"n_channels\": %u, \"format\": %u, \"rate_hz\": %u, \"block_samples\": %u",
                b[3], b[4], b[5], get_u32(b + 6), b[10]);
        off = 11;
        field_str(f, "name", b, &off);
        fprintf(f, ", \"n_rates\": %u, \"rates\": [", b[off]);
        for (unsigned i = 0; i < b[off]; i++)
            fprintf(f, "%s%u", i ? ", " : "", get_u32(b + off + 1 + 4 * i));
        fprintf(f, "]");
        break;
    case MSG_HELLO_CHANNEL:
        fprintf(f, ", \"stream_id\": %u, \"channel\": %u, \"kind\": %u, \"scale\": %.17g, \"offset\": %.17g, "
                   "\"phys_min\": %.17g, \"phys_max\": %.17g, \"resolution\": %.9g, \"noise_rms\": %.9g, "
                   "\"hp_hz\": %.9g, \"lp_hz\": %.9g, \"leadoff_bit\": %u",
                b[3], b[4], b[5], get_f64(b + 6), get_f64(b + 14), get_f64(b + 22), get_f64(b + 30),
                (double)get_f32(b + 38), (double)get_f32(b + 42), (double)get_f32(b + 46),
                (double)get_f32(b + 50), b[54]);
        off = 55;
        field_str(f, "unit", b, &off);
        field_str(f, "label", b, &off);
        break;
    case MSG_STATUS:
        fprintf(f, ", \"battery_pct\": %u, \"running\": %u, \"mode\": %u, \"flags\": %u, \"lead_off\": %u, "
                   "\"overflow_count\": %u, \"rx_errors\": %u, \"error\": %u, \"t_us\": %u",
                b[3], b[4], b[5], get_u16(b + 6), get_u16(b + 8), get_u32(b + 10), get_u32(b + 14), b[18],
                get_u32(b + 19));
        break;
    case MSG_ACK:
        fprintf(f, ", \"req_id\": %u, \"command\": %u", get_u16(b + 3), b[5]);
        break;
    case MSG_NAK:
        fprintf(f, ", \"req_id\": %u, \"command\": %u, \"reason\": %u", get_u16(b + 3), b[5], b[6]);
        break;
    case MSG_PONG:
        fprintf(f, ", \"req_id\": %u, \"nonce\": %u, \"t_us\": %u, \"running\": %u",
                get_u16(b + 3), get_u32(b + 5), get_u32(b + 9), b[13]);
        break;
    case MSG_EVENT:
        fprintf(f, ", \"source\": %u, \"code\": %u, \"sample\": %u, \"t_us\": %u",
                b[3], get_u16(b + 4), get_u32(b + 6), get_u32(b + 10));
        break;
    case MSG_DATA: {
        uint8_t nch = b[14], fmt = b[15], n = b[16];
        fprintf(f, ", \"stream_id\": %u, \"first_sample\": %u, \"t_us\": %u, \"flags\": %u, "
                   "\"n_channels\": %u, \"format\": %u, \"n_samples\": %u, \"samples\": [",
                b[3], get_u32(b + 4), get_u32(b + 8), get_u16(b + 12), nch, fmt, n);
        if (len != DATA_HEADER_LEN + (size_t)n * nch * fmt) {
            fprintf(stderr, "gen_vectors: DATA length mismatch\n");
            exit(1);
        }
        const uint8_t *p = b + DATA_HEADER_LEN;
        for (unsigned s = 0; s < n; s++) {
            fprintf(f, "%s[", s ? ", " : "");
            for (unsigned c = 0; c < nch; c++, p += fmt) {
                int32_t v = fmt == 3 ? get_i24(p) : fmt == 2 ? (int16_t)get_u16(p) : (int32_t)get_u32(p);
                fprintf(f, "%s%d", c ? ", " : "", v);
            }
            fprintf(f, "]");
        }
        fprintf(f, "]");
        break;
    }
    default:
        break;
    }
    fprintf(f, "}");
}

/* ---- device frames ---------------------------------------------------------------------------- */

static FILE *dev_json, *dev_bin;
static int dev_count;

static void write_device_frame(const char *name, const uint8_t *wire, size_t wl, int to_bin)
{
    uint8_t body[ENCODED_MAX];
    size_t bl = 0;
    if (frame_open(wire, wl - 1, body, &bl) != FRAME_OK) {
        fprintf(stderr, "gen_vectors: own frame does not decode\n");
        exit(1);
    }
    if (to_bin)
        fwrite(wire, 1, wl, dev_bin);
    fprintf(dev_json, "%s\n  {\"name\": ", dev_count++ ? "," : "");
    json_str(dev_json, (const uint8_t *)name, strlen(name));
    fprintf(dev_json, ", \"wire_hex\": \"");
    hex(dev_json, wire, wl);
    fprintf(dev_json, "\", \"body_hex\": \"");
    hex(dev_json, body, bl);
    fprintf(dev_json, "\", \"crc\": %u,\n   \"decoded\": ", crc16(body, bl));
    decode_device(dev_json, body, bl);
    fprintf(dev_json, "}");
}

static device_t dev;
static txring_t ring;
static stream_desc_t streams[2];
static channel_desc_t emg[2], pres;
static device_desc_t desc;
static uint32_t clock_us;
static const char *step = "";

static uint32_t fake_now(void *ctx) { (void)ctx; return clock_us; }

static void drain(void)
{
    size_t len;
    const uint8_t *w;
    char name[160];
    while ((w = txring_peek(&ring, &len)) != NULL) {
        snprintf(name, sizeof name, "session: %s", step);
        write_device_frame(name, w, len, 1);
        txring_pop(&ring);
    }
}

static void host(const char *what, uint8_t type, uint16_t req, const uint8_t *payload, size_t n, uint32_t now_ms)
{
    uint8_t b[BODY_MAX], w[WIRE_MAX];
    b[0] = type;
    put_u16(b + 1, req);
    if (n)
        memcpy(b + 3, payload, n);
    step = what;
    device_rx_bytes(&dev, w, frame_seal(b, 3 + n, w), now_ms);
    drain();
}

static void run_ms(const char *what, unsigned ms, int keep)
{
    step = what;
    for (unsigned i = 0; i < ms * 2; i++) {
        sched_tick(&dev, clock_us);
        clock_us += 500;
    }
    if (keep)
        drain();
}

static void session(void)
{
    sensor_v1_streams(streams, emg, &pres, 0.0f);
    desc = (device_desc_t){ 1, 0, 0, 0x0F, "vectors", "0123456789ABCDEF01234567", "v1.0.0-vectors", 2, streams };
    device_port_t port = { .now_us = fake_now };
    device_init(&dev, &desc, &port, &ring, 0, 1);
    clock_us = 250000;

    host("HELLO reply", CMD_HELLO, 1, NULL, 0, 0);
    host("SET_MODE PATTERN", CMD_SET_MODE, 2, (const uint8_t[]){ MODE_PATTERN }, 1, 0);
    host("START 0x03", CMD_START, 3, (const uint8_t[]){ 3 }, 1, 0);
    run_ms("pattern data 2 kHz", 60, 1);
    host("PING 0xDEADBEEF", CMD_PING, 4, (const uint8_t[]){ 0xEF, 0xBE, 0xAD, 0xDE }, 4, 100);
    host("SET_RATE while running -> NAK BAD_STATE", CMD_SET_RATE, 5, (const uint8_t[]){ 0, 0xF4, 1, 0, 0 }, 5, 100);
    host("MARK 42", CMD_MARK, 6, (const uint8_t[]){ 42, 0 }, 2, 100);
    host("GET_STATUS", CMD_GET_STATUS, 7, NULL, 0, 100);
    host("STOP", CMD_STOP, 8, NULL, 0, 100);
    host("SET_RATE EMG 500 Hz", CMD_SET_RATE, 9, (const uint8_t[]){ 0, 0xF4, 1, 0, 0 }, 5, 100);
    host("START 0x01", CMD_START, 10, (const uint8_t[]){ 1 }, 1, 100);
    run_ms("pattern data 500 Hz", 20, 1);
    host("unknown command 0x42 -> NAK", 0x42, 11, NULL, 0, 200);
    host("SET_MODE TEST_SIGNAL while streaming", CMD_SET_MODE, 12, (const uint8_t[]){ MODE_TEST_SIGNAL }, 1, 200);
    run_ms("test signal data", 20, 1);
    host("SET_MODE PATTERN", CMD_SET_MODE, 13, (const uint8_t[]){ MODE_PATTERN }, 1, 200);
    /* Nobody drains for 300 ms: the ring overflows, newest blocks are dropped. */
    run_ms("overrun: blocks that fit the ring", 300, 1);
    run_ms("overrun: next block carries OVERRUN and the gap", 10, 1);
    step = "keep-alive timeout after 5 s without host frames";
    device_poll(&dev, 200 + KEEPALIVE_MS);
    drain();
}

static void doc_examples(void)
{
    uint8_t b[BODY_MAX], w[WIRE_MAX];
    size_t n;
    stream_desc_t s[2];
    channel_desc_t e[2], p;
    sensor_v1_streams(s, e, &p, 0.0f);
    device_desc_t d = { 1, 0, 0, 0x0F, "feather-f405", "3600473031385106", "v1.0.0", 2, s };
#define DOC(name, seq, len) do { size_t l_ = (len); msg_set_seq(b, seq); \
        write_device_frame("doc: " name, w, frame_seal(b, l_, w), 0); } while (0)
    n = msg_hello_device(b, &d); DOC("HELLO_DEVICE", 0, n);
    n = msg_hello_stream(b, &s[0], 2000); DOC("HELLO_STREAM emg", 1, n);
    n = msg_hello_channel(b, 0, 0, &e[0], 2000); DOC("HELLO_CHANNEL pfm", 2, n);
    n = msg_ack(b, 2, CMD_START); DOC("ACK", 7, n);
    n = msg_nak(b, 5, CMD_SET_RATE, NAK_BAD_STATE); DOC("NAK", 9, n);
    n = msg_pong(b, 4, 0x12345678, 1000000, 3); DOC("PONG", 10, n);
    n = msg_data_header(b, 0, 0, 1000, 0x0060, 2, FMT_INT24, 5);
    for (uint32_t i = 0; i < 5; i++)
        for (unsigned c = 0; c < 2; c++)
            n += msg_put_sample(b + n, FMT_INT24, pattern_emg(i, c));
    DOC("DATA emg 500 Hz pattern", 8, n);
    n = msg_data_header(b, 1, 5, 51000, 0x0060, 1, FMT_INT32, 5);
    for (uint32_t i = 5; i < 10; i++)
        n += msg_put_sample(b + n, FMT_INT32, pattern_pressure(i));
    DOC("DATA pressure pattern", 11, n);
    status_t st = { 87, 3, 0, 1, 2, 3, 1, 0, 2000000 };
    n = msg_status(b, &st); DOC("STATUS", 12, n);
    n = msg_event(b, EVT_SRC_HOST, 42, 1234, 617000); DOC("EVENT", 13, n);
#undef DOC
}

/* ---- host commands ---------------------------------------------------------------------------- */

static FILE *cmd_json;
static int cmd_count;

static const char *frame_err(frame_result_t r)
{
    switch (r) {
    case FRAME_ERR_TOO_LONG: return "too_long";
    case FRAME_ERR_COBS: return "cobs";
    case FRAME_ERR_SHORT: return "short";
    case FRAME_ERR_CRC: return "crc";
    default: return "none";
    }
}

/* Runs raw wire bytes (ending in 0x00) through the device's receiver and parser and records what
 * it concluded. */
static void command_vector(const char *name, const uint8_t *wire, size_t wl)
{
    frame_rx_t rx;
    frame_rx_init(&rx);
    frame_result_t last = FRAME_NONE, err = FRAME_NONE;
    for (size_t i = 0; i < wl; i++) {
        frame_result_t r = frame_rx_byte(&rx, wire[i]);
        if (r == FRAME_OK) last = r;
        if (r < 0 && err == FRAME_NONE) err = r;
    }
    fprintf(cmd_json, "%s\n  {\"name\": ", cmd_count++ ? "," : "");
    json_str(cmd_json, (const uint8_t *)name, strlen(name));
    fprintf(cmd_json, ", \"wire_hex\": \"");
    hex(cmd_json, wire, wl);
    fprintf(cmd_json, "\",\n   \"expect\": ");
    if (err != FRAME_NONE || last != FRAME_OK) {
        fprintf(cmd_json, "{\"ok\": false, \"error\": \"%s\"}}", frame_err(err));
        return;
    }
    command_t c;
    int r = command_parse(rx.body, rx.body_len, &c);
    if (r != 0) {
        fprintf(cmd_json, "{\"ok\": false, \"error\": \"nak\", \"nak_reason\": %d, \"type\": %u, \"req_id\": %u}}",
                r, c.type, c.req_id);
        return;
    }
    fprintf(cmd_json, "{\"ok\": true, \"type\": %u, \"command\": \"%s\", \"req_id\": %u",
            c.type, command_name(c.type), c.req_id);
    switch (c.type) {
    case CMD_START: fprintf(cmd_json, ", \"mask\": %u", c.arg.mask); break;
    case CMD_PING: fprintf(cmd_json, ", \"nonce\": %u", c.arg.nonce); break;
    case CMD_SET_RATE: fprintf(cmd_json, ", \"stream_id\": %u, \"rate_hz\": %u", c.arg.rate.stream_id, c.arg.rate.rate_hz); break;
    case CMD_SET_MODE: fprintf(cmd_json, ", \"mode\": %u", c.arg.mode); break;
    case CMD_MARK: fprintf(cmd_json, ", \"code\": %u", c.arg.code); break;
    default: break;
    }
    fprintf(cmd_json, "}}");
}

static size_t cmd_wire(uint8_t *w, uint8_t type, uint16_t req, const uint8_t *payload, size_t n)
{
    uint8_t b[BODY_MAX];
    b[0] = type;
    put_u16(b + 1, req);
    if (n)
        memcpy(b + 3, payload, n);
    return frame_seal(b, 3 + n, w);
}

static void host_commands(void)
{
    uint8_t w[1024];
    size_t n;
    command_vector("HELLO", w, cmd_wire(w, CMD_HELLO, 1, NULL, 0));
    command_vector("START mask 3", w, cmd_wire(w, CMD_START, 2, (const uint8_t[]){ 3 }, 1));
    command_vector("STOP", w, cmd_wire(w, CMD_STOP, 3, NULL, 0));
    command_vector("PING nonce 0x12345678", w, cmd_wire(w, CMD_PING, 4, (const uint8_t[]){ 0x78, 0x56, 0x34, 0x12 }, 4));
    command_vector("SET_RATE 0 1000", w, cmd_wire(w, CMD_SET_RATE, 5, (const uint8_t[]){ 0, 0xE8, 3, 0, 0 }, 5));
    command_vector("SET_MODE 3", w, cmd_wire(w, CMD_SET_MODE, 6, (const uint8_t[]){ 3 }, 1));
    command_vector("GET_STATUS", w, cmd_wire(w, CMD_GET_STATUS, 7, NULL, 0));
    command_vector("MARK 42", w, cmd_wire(w, CMD_MARK, 8, (const uint8_t[]){ 42, 0 }, 2));
    command_vector("START req_id 0xFFFF", w,
                   cmd_wire(w, CMD_START, 0xFFFF, (const uint8_t[]){ 1 }, 1));
    command_vector("PING with an appended (future minor) field: accepted", w,
                   cmd_wire(w, CMD_PING, 9, (const uint8_t[]){ 1, 0, 0, 0, 0xAA, 0xBB }, 6));
    command_vector("SET_RATE payload too short -> NAK BAD_LENGTH", w,
                   cmd_wire(w, CMD_SET_RATE, 10, (const uint8_t[]){ 0, 0xE8 }, 2));
    command_vector("unknown command 0x42 -> NAK UNKNOWN_COMMAND", w, cmd_wire(w, 0x42, 11, NULL, 0));
    n = cmd_wire(w, CMD_START, 12, (const uint8_t[]){ 3 }, 1);
    w[2] ^= 0x04;
    command_vector("START with one bit flipped -> crc", w, n);
    n = cmd_wire(w, CMD_PING, 13, (const uint8_t[]){ 1, 2, 3, 4 }, 4);
    w[n - 3] = 0x00;   /* delimiter arrives two bytes early */
    command_vector("PING truncated (delimiter arrives two bytes early)", w, n - 2);
    /* Body of 2 bytes + CRC: valid COBS and CRC, but shorter than any header. */
    {
        uint8_t raw[4] = { 0x01, 0x01, 0, 0 };
        put_u16(raw + 2, crc16(raw, 2));
        n = cobs_encode(raw, 4, w);
        w[n++] = 0;
        command_vector("2-byte body -> short", w, n);
    }
    const uint8_t bad_cobs[] = { 0x05, 0x01, 0x02, 0x00 };
    command_vector("COBS code past the end -> cobs", bad_cobs, sizeof bad_cobs);
    for (n = 0; n < 300; n++)
        w[n] = 0x41;
    w[n++] = 0;
    command_vector("300 bytes without delimiter -> too_long", w, n);
}

/* ---- corrupt stream --------------------------------------------------------------------------- */

static void corrupt_stream(void)
{
    uint8_t s[4096], w[WIRE_MAX], b[BODY_MAX];
    size_t n = 0, wl;
    uint32_t rng = 12345;
#define APPEND(p, len) do { memcpy(s + n, (p), (len)); n += (len); } while (0)
    /* valid A */
    size_t bl = msg_ack(b, 1, CMD_HELLO);
    msg_set_seq(b, 0);
    wl = frame_seal(b, bl, w);
    APPEND(w, wl);
    /* B: bit flip in a DATA frame */
    bl = msg_data_header(b, 0, 0, 0, 0x60, 2, FMT_INT24, 5);
    for (uint32_t i = 0; i < 5; i++)
        for (unsigned c = 0; c < 2; c++)
            bl += msg_put_sample(b + bl, FMT_INT24, pattern_emg(i, c));
    msg_set_seq(b, 1);
    wl = frame_seal(b, bl, w);
    /* flip a data bit (not a COBS code byte) so that only the CRC can catch it */
    for (size_t i = 10; i < wl - 1; i++) {
        uint8_t tmp[ENCODED_MAX];
        size_t tl;
        w[i] ^= 0x01;
        if (w[i] != 0 && frame_open(w, wl - 1, tmp, &tl) == FRAME_ERR_CRC)
            break;
        w[i] ^= 0x01;
    }
    APPEND(w, wl);
    /* valid C: the same DATA frame with the next seq */
    msg_set_seq(b, 2);
    wl = frame_seal(b, bl, w); APPEND(w, wl);
    /* D: truncated frame (first 15 bytes, then the delimiter) */
    msg_set_seq(b, 3);
    wl = frame_seal(b, bl, w); APPEND(w, 15); s[n++] = 0;
    /* garbage between frames, including zero bytes */
    for (int i = 0; i < 40; i++)
        s[n++] = (uint8_t)(i % 13 == 5 ? 0 : rng_next(&rng));
    s[n++] = 0;
    /* valid E */
    bl = msg_pong(b, 4, 0xCAFEF00D, 123456, 1); msg_set_seq(b, 4); wl = frame_seal(b, bl, w); APPEND(w, wl);
    /* over-long run without delimiter */
    for (int i = 0; i < 300; i++)
        s[n++] = (uint8_t)(1 + i % 255);
    s[n++] = 0;
    /* empty frames */
    s[n++] = 0; s[n++] = 0;
    /* valid F, then garbage without zero directly followed by valid G (they merge: one error,
     * G is lost as well: the receiver cannot know where G began) */
    bl = msg_event(b, 0, 1, 99, 5); msg_set_seq(b, 5); wl = frame_seal(b, bl, w); APPEND(w, wl);
    for (int i = 0; i < 7; i++)
        s[n++] = (uint8_t)(rng_next(&rng) | 1);
    bl = msg_ack(b, 9, CMD_STOP); msg_set_seq(b, 6); wl = frame_seal(b, bl, w); APPEND(w, wl);
    /* valid H after a lone delimiter restores sync */
    s[n++] = 0;
    bl = msg_ack(b, 10, CMD_STOP); msg_set_seq(b, 7); wl = frame_seal(b, bl, w); APPEND(w, wl);
#undef APPEND

    FILE *fb = open_out("corrupt_stream.bin", "wb");
    fwrite(s, 1, n, fb);
    fclose(fb);

    FILE *fj = open_out("corrupt_stream.json", "w");
    frame_rx_t rx;
    frame_rx_init(&rx);
    int errors = 0, valid = 0;
    fprintf(fj, "{\n \"description\": \"corrupt_stream.bin fed byte by byte to a protocol.md section 1 receiver\",\n");
    fprintf(fj, " \"results\": [");
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        frame_result_t r = frame_rx_byte(&rx, s[i]);
        if (r == FRAME_NONE)
            continue;
        fprintf(fj, "%s\"%s\"", first ? "" : ", ", r == FRAME_OK ? "ok" : frame_err(r));
        first = 0;
        if (r < 0) errors++;
    }
    fprintf(fj, "],\n \"valid_body_hex\": [");
    frame_rx_init(&rx);
    for (size_t i = 0; i < n; i++) {
        if (frame_rx_byte(&rx, s[i]) == FRAME_OK) {
            fprintf(fj, "%s\n  \"", valid++ ? "," : "");
            hex(fj, rx.body, rx.body_len);
            fprintf(fj, "\"");
        }
    }
    fprintf(fj, "\n ],\n \"valid_frames\": %d,\n \"errors\": %d\n}\n", valid, errors);
    fclose(fj);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_vectors OUTDIR\n");
        return 2;
    }
    outdir = argv[1];
    dev_json = open_out("device_frames.json", "w");
    dev_bin = open_out("device_session.bin", "wb");
    fprintf(dev_json, "[");
    session();
    doc_examples();
    fprintf(dev_json, "\n]\n");
    fclose(dev_json);
    fclose(dev_bin);

    cmd_json = open_out("host_commands.json", "w");
    fprintf(cmd_json, "[");
    host_commands();
    fprintf(cmd_json, "\n]\n");
    fclose(cmd_json);

    corrupt_stream();
    printf("gen_vectors: %d device frames, %d host commands -> %s\n", dev_count, cmd_count, outdir);
    return 0;
}
