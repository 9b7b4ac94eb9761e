/* Helpers shared by the descriptor tests (fds.c, pipes.c, poll.c): print a call's result the same
 * way on Linux and on this kernel, with errno names instead of numbers. */
#include "errname.h"

/* Prints "what: value", or "what: -1 ENAME" for a failed call (result -1). */
static long show(const char *what, long value) {
    if (value == -1)
        printf("%s: -1 %s\n", what, errname(errno));
    else
        printf("%s: %ld\n", what, value);
    return value;
}

#define CHECK(expr) show(#expr, (long)(expr))
