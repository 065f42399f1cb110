/* Protocol v1 constants. docs/protocol.md is the specification; every number here
 * must match a table there. */
#ifndef BF_PROTOCOL_H
#define BF_PROTOCOL_H

#define PROTO_MAJOR 1
#define PROTO_MINOR 0

/* Framing limits (protocol.md §1). */
#define BODY_MAX      252u              /* body without CRC */
#define BODY_MIN      3u                /* type + seq/req_id */
#define WIRE_MAX      256u              /* COBS(body+crc) + delimiter */
#define ENCODED_MAX   255u              /* COBS(body+crc) without delimiter */

/* Device -> host message types (§3). */
enum {
    MSG_HELLO_DEVICE  = 0x81,
    MSG_HELLO_STREAM  = 0x82,
    MSG_HELLO_CHANNEL = 0x83,
    MSG_STATUS        = 0x84,
    MSG_ACK           = 0x85,
    MSG_NAK           = 0x86,
    MSG_PONG          = 0x87,
    MSG_EVENT         = 0x88,
    MSG_DATA          = 0x90
};

/* Host -> device commands (§4). */
enum {
    CMD_HELLO      = 0x01,
    CMD_START      = 0x02,
    CMD_STOP       = 0x03,
    CMD_PING       = 0x04,
    CMD_SET_RATE   = 0x05,
    CMD_SET_MODE   = 0x06,
    CMD_GET_STATUS = 0x07,
    CMD_MARK       = 0x08
};

/* NAK reasons (§3.6). */
enum {
    NAK_UNKNOWN_COMMAND = 1,
    NAK_BAD_LENGTH      = 2,
    NAK_BAD_ARGUMENT    = 3,
    NAK_BAD_STATE       = 4,
    NAK_HARDWARE_FAULT  = 5
};

/* DATA / STATUS flags (§3.4). */
#define FLAG_LEAD_OFF     0x0001u
#define FLAG_SATURATION   0x0002u
#define FLAG_OVERRUN      0x0004u
#define FLAG_TEST_SIGNAL  0x0008u
#define FLAG_BATTERY_LOW  0x0010u
#define FLAG_SYNTHETIC    0x0020u
#define FLAG_PATTERN      0x0040u

/* Modes (§5.1). */
enum { MODE_NORMAL = 0, MODE_TEST_SIGNAL = 1, MODE_SYNTHETIC = 2, MODE_PATTERN = 3, MODE_COUNT = 4 };

/* Sample formats: bytes per signed LE sample (§3.2). */
enum { FMT_INT16 = 2, FMT_INT24 = 3, FMT_INT32 = 4 };

/* Channel kinds (§3.3). */
enum { KIND_OTHER = 0, KIND_EMG = 1, KIND_PRESSURE = 2 };

/* STATUS.error (§3.5). */
enum { ERR_NONE = 0, ERR_FRONTEND = 1, ERR_PRESSURE = 2, ERR_CLOCK = 3, ERR_INTERNAL = 4 };

/* EVENT sources and device event codes (§3.8). */
enum { EVT_SRC_DEVICE = 0, EVT_SRC_HOST = 1 };
enum { EVT_KEEPALIVE_TIMEOUT = 1 };

/* Streams (§3.2). */
enum { STREAM_EMG = 0, STREAM_PRESSURE = 1, STREAM_COUNT = 2 };
#define STREAM_MASK_ALL 0x03u

#define DATA_HEADER_LEN   17u
#define KEEPALIVE_MS      5000u
#define STATUS_PERIOD_MS  1000u
#define BATTERY_LOW_PCT   15u
#define TX_CONTROL_RESERVE 8u   /* ring slots kept free for replies (§7.4) */

#endif
