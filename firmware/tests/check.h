/* Minimal unit-test harness: no dependency beyond libc, so `make test` runs on any CI image. */
#ifndef BF_CHECK_H
#define BF_CHECK_H
#include <stdio.h>
#include <string.h>

extern int check_failures, check_count;

#define CHECK(cond) do { check_count++; if (!(cond)) { check_failures++; \
    fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)
#define CHECK_EQ(a, b) do { long long va_ = (long long)(a), vb_ = (long long)(b); check_count++; \
    if (va_ != vb_) { check_failures++; fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", \
    __FILE__, __LINE__, #a, #b, va_, vb_); } } while (0)
#define CHECK_MEM(a, b, n) do { check_count++; if (memcmp((a), (b), (n)) != 0) { check_failures++; \
    fprintf(stderr, "%s:%d: memory differs: %s vs %s\n", __FILE__, __LINE__, #a, #b); } } while (0)

/* Parses "01 ab ..." hex into out, returns byte count. */
size_t hex_bytes(const char *hex, unsigned char *out);

#endif
