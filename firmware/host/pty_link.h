/* The emulator's serial port: a pseudo-terminal that behaves like a USB-serial adapter. */
#ifndef BF_PTY_LINK_H
#define BF_PTY_LINK_H
#include <stddef.h>

typedef struct {
    int master;          /* our end: non-blocking */
    int slave_keep;      /* held open so early bytes are not echoed and the master never sees EIO */
    char path[128];      /* /dev/pts/N */
    char link[512];      /* optional symlink, removed on close */
} pty_link_t;

/* Returns 0 or -1 (message printed). link_path may be NULL. */
int pty_link_open(pty_link_t *p, const char *link_path);
void pty_link_close(pty_link_t *p);

#endif
