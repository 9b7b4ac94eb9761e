/* Helpers shared by the descriptor tests (fds.c, pipes.c, poll.c): print a call's result the same
 * way on Linux and on this kernel, with errno names instead of numbers. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *errname(int e) {
    switch (e) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EINTR: return "EINTR";
    case EBADF: return "EBADF";
    case ECHILD: return "ECHILD";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EFAULT: return "EFAULT";
    case EEXIST: return "EEXIST";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case EMFILE: return "EMFILE";
    case ENOTTY: return "ENOTTY";
    case ESPIPE: return "ESPIPE";
    case EROFS: return "EROFS";
    case EPIPE: return "EPIPE";
    case ENXIO: return "ENXIO";
    case ENOSYS: return "ENOSYS";
    case EOVERFLOW: return "EOVERFLOW";
    default: return "E?";
    }
}

/* Prints "what: value", or "what: -1 ENAME" for a failed call (result -1). */
static long show(const char *what, long value) {
    if (value == -1)
        printf("%s: -1 %s\n", what, errname(errno));
    else
        printf("%s: %ld\n", what, value);
    return value;
}

#define CHECK(expr) show(#expr, (long)(expr))
