#include "command.h"
#include "le.h"
#include "protocol.h"

int command_payload_len(uint8_t type)
{
    switch (type) {
    case CMD_HELLO: case CMD_STOP: case CMD_GET_STATUS: return 0;
    case CMD_START: case CMD_SET_MODE: return 1;
    case CMD_MARK: return 2;
    case CMD_PING: return 4;
    case CMD_SET_RATE: return 5;
    default: return -1;
    }
}

const char *command_name(uint8_t type)
{
    switch (type) {
    case CMD_HELLO: return "HELLO";
    case CMD_START: return "START";
    case CMD_STOP: return "STOP";
    case CMD_PING: return "PING";
    case CMD_SET_RATE: return "SET_RATE";
    case CMD_SET_MODE: return "SET_MODE";
    case CMD_GET_STATUS: return "GET_STATUS";
    case CMD_MARK: return "MARK";
    default: return "UNKNOWN";
    }
}

int command_parse(const uint8_t *body, size_t len, command_t *out)
{
    out->type = 0;
    out->req_id = 0;
    out->arg.nonce = 0;
    if (len < 3)
        return NAK_BAD_LENGTH;
    out->type = body[0];
    out->req_id = get_u16(body + 1);
    int need = command_payload_len(out->type);
    if (need < 0)
        return NAK_UNKNOWN_COMMAND;
    /* Longer payloads are accepted: a newer host may append fields (protocol.md §8). */
    if (len < 3u + (size_t)need)
        return NAK_BAD_LENGTH;
    const uint8_t *p = body + 3;
    switch (out->type) {
    case CMD_START: out->arg.mask = p[0]; break;
    case CMD_SET_MODE: out->arg.mode = p[0]; break;
    case CMD_MARK: out->arg.code = get_u16(p); break;
    case CMD_PING: out->arg.nonce = get_u32(p); break;
    case CMD_SET_RATE:
        out->arg.rate.stream_id = p[0];
        out->arg.rate.rate_hz = get_u32(p + 1);
        break;
    default: break;
    }
    return 0;
}
