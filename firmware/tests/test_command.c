#include "check.h"
#include "../core/command.h"
#include "../core/protocol.h"

void test_command(void)
{
    command_t c;
    const uint8_t hello[] = { 0x01, 0x34, 0x12 };
    CHECK_EQ(command_parse(hello, 3, &c), 0);
    CHECK_EQ(c.type, CMD_HELLO);
    CHECK_EQ(c.req_id, 0x1234);

    const uint8_t rate[] = { 0x05, 1, 0, 0, 0xE8, 0x03, 0, 0 };
    CHECK_EQ(command_parse(rate, sizeof rate, &c), 0);
    CHECK_EQ(c.arg.rate.stream_id, 0);
    CHECK_EQ(c.arg.rate.rate_hz, 1000);
    CHECK_EQ(command_parse(rate, sizeof rate - 1, &c), NAK_BAD_LENGTH);
    CHECK_EQ(c.req_id, 1);   /* still addressed for the NAK */

    const uint8_t ping_long[] = { 0x04, 9, 0, 0x78, 0x56, 0x34, 0x12, 0xEE };   /* appended field */
    CHECK_EQ(command_parse(ping_long, sizeof ping_long, &c), 0);
    CHECK_EQ(c.arg.nonce, 0x12345678);

    const uint8_t unknown[] = { 0x42, 7, 0 };
    CHECK_EQ(command_parse(unknown, 3, &c), NAK_UNKNOWN_COMMAND);
    CHECK_EQ(c.req_id, 7);
    const uint8_t devtype[] = { 0x90, 7, 0 };
    CHECK_EQ(command_parse(devtype, 3, &c), NAK_UNKNOWN_COMMAND);
    CHECK_EQ(command_parse(unknown, 2, &c), NAK_BAD_LENGTH);
}
