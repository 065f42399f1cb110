#include "check.h"
#include <stdlib.h>

int check_failures, check_count;

size_t hex_bytes(const char *hex, unsigned char *out)
{
    size_t n = 0;
    while (*hex) {
        while (*hex == ' ' || *hex == '\n') hex++;
        if (!*hex) break;
        unsigned v;
        if (sscanf(hex, "%2x", &v) != 1) abort();
        out[n++] = (unsigned char)v;
        hex += 2;
    }
    return n;
}

void test_crc_cobs(void);
void test_frame(void);
void test_txring(void);
void test_command(void);
void test_device(void);
void test_signals(void);
void test_doc_examples(void);

int main(void)
{
    test_crc_cobs();
    test_frame();
    test_txring();
    test_command();
    test_device();
    test_signals();
    test_doc_examples();
    printf("firmware core: %d checks, %d failed\n", check_count, check_failures);
    return check_failures ? 1 : 0;
}
