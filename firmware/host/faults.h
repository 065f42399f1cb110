/* Link fault injection for the emulator (--faults drop=P,flip=P,reset=SECONDS,garbage=P). */
#ifndef BF_FAULTS_H
#define BF_FAULTS_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
    double drop;        /* probability a whole outgoing frame is lost on the line */
    double flip;        /* probability one random bit of an outgoing frame is inverted */
    double garbage;     /* probability 1..32 random bytes are sent before a frame */
    double reset_s;     /* reboot every reset_s seconds of emulated time; 0 = never */
    uint32_t rng;
} faults_t;

/* Returns 0, or -1 with a message on stderr. */
int faults_parse(faults_t *f, const char *spec);
/* Builds what goes on the line for one queued frame: possibly nothing (dropped), garbage plus a
 * possibly damaged copy. Returns the length written to out (capacity >= 32 + len). */
size_t faults_apply(faults_t *f, const uint8_t *frame, size_t len, uint8_t *out);

#endif
