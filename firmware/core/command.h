/* Host -> device command parser (protocol.md §4). Checks structure only (length, known type);
 * argument values and state are judged by the device, which knows its capabilities. */
#ifndef BF_COMMAND_H
#define BF_COMMAND_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t type;
    uint16_t req_id;
    union {
        uint8_t mask;                                 /* START */
        uint32_t nonce;                               /* PING */
        struct { uint8_t stream_id; uint32_t rate_hz; } rate;   /* SET_RATE */
        uint8_t mode;                                 /* SET_MODE */
        uint16_t code;                                /* MARK */
    } arg;
} command_t;

/* Returns 0 on success, else a NAK reason (NAK_UNKNOWN_COMMAND, NAK_BAD_LENGTH). type and
 * req_id are filled whenever len >= 3 so the NAK can be addressed. len < 3 is NAK_BAD_LENGTH
 * with req_id 0 (the frame layer already rejects such frames). */
int command_parse(const uint8_t *body, size_t len, command_t *out);

/* Payload length (after the 3-byte header) the command needs, or -1 if unknown. */
int command_payload_len(uint8_t type);

const char *command_name(uint8_t type);

#endif
