#define _XOPEN_SOURCE 600
#include "pty_link.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* cfmakeraw() is a BSD/GNU extension; this is its documented effect, so we stay within POSIX. */
static void make_raw(struct termios *t)
{
    t->c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t->c_oflag &= ~(tcflag_t)OPOST;
    t->c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    t->c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
    t->c_cflag |= CS8;
    t->c_cc[VMIN] = 1;
    t->c_cc[VTIME] = 0;
}

int pty_link_open(pty_link_t *p, const char *link_path)
{
    memset(p, 0, sizeof *p);
    p->master = p->slave_keep = -1;
    p->master = posix_openpt(O_RDWR | O_NOCTTY);
    if (p->master < 0 || grantpt(p->master) != 0 || unlockpt(p->master) != 0) {
        perror("bfsensor-emu: posix_openpt");
        return -1;
    }
    const char *name = ptsname(p->master);
    if (!name) {
        perror("bfsensor-emu: ptsname");
        return -1;
    }
    snprintf(p->path, sizeof p->path, "%s", name);
    p->slave_keep = open(p->path, O_RDWR | O_NOCTTY);
    if (p->slave_keep < 0) {
        perror("bfsensor-emu: open slave");
        return -1;
    }
    struct termios t;
    if (tcgetattr(p->slave_keep, &t) == 0) {
        make_raw(&t);
        tcsetattr(p->slave_keep, TCSANOW, &t);
    }
    int fl = fcntl(p->master, F_GETFL);
    fcntl(p->master, F_SETFL, fl | O_NONBLOCK);
    if (link_path && *link_path) {
        unlink(link_path);   /* a stale link from a killed run */
        if (symlink(p->path, link_path) != 0) {
            fprintf(stderr, "bfsensor-emu: symlink %s: %s\n", link_path, strerror(errno));
            return -1;
        }
        snprintf(p->link, sizeof p->link, "%s", link_path);
    }
    return 0;
}

void pty_link_close(pty_link_t *p)
{
    if (p->link[0])
        unlink(p->link);
    if (p->slave_keep >= 0)
        close(p->slave_keep);
    if (p->master >= 0)
        close(p->master);
    p->master = p->slave_keep = -1;
}
