#include "faults.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../core/rng.h"

static double chance(faults_t *f) { return (double)rng_uniform(&f->rng); }

int faults_parse(faults_t *f, const char *spec)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        char *eq = strchr(tok, '=');
        if (!eq) {
            fprintf(stderr, "bfsensor-emu: --faults: expected key=value, got '%s'\n", tok);
            return -1;
        }
        *eq = 0;
        char *end;
        double v = strtod(eq + 1, &end);
        if (*end || v < 0) {
            fprintf(stderr, "bfsensor-emu: --faults: bad value for %s\n", tok);
            return -1;
        }
        if (!strcmp(tok, "drop")) f->drop = v;
        else if (!strcmp(tok, "flip")) f->flip = v;
        else if (!strcmp(tok, "garbage")) f->garbage = v;
        else if (!strcmp(tok, "reset")) f->reset_s = v;
        else {
            fprintf(stderr, "bfsensor-emu: --faults: unknown fault '%s' (drop, flip, reset, garbage)\n", tok);
            return -1;
        }
    }
    return 0;
}

size_t faults_apply(faults_t *f, const uint8_t *frame, size_t len, uint8_t *out)
{
    size_t n = 0;
    if (f->garbage > 0 && chance(f) < f->garbage) {
        size_t g = 1 + rng_next(&f->rng) % 32;
        for (size_t i = 0; i < g; i++)
            out[n++] = (uint8_t)rng_next(&f->rng);
    }
    if (f->drop > 0 && chance(f) < f->drop)
        return n;
    memcpy(out + n, frame, len);
    if (f->flip > 0 && chance(f) < f->flip) {
        size_t bit = rng_next(&f->rng) % (len * 8);
        out[n + bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    return n + len;
}
