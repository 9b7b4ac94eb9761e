/* Error names for test output that must read the same on Linux and on this kernel (errno numbers
 * agree, but names read better and strerror texts differ between C libraries). */
#pragma once
#include <stdio.h>
#include <errno.h>
#include <string.h>

static const char *errname(int e)
{
    switch (e) {
    case 0: return "ok";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case EINTR: return "EINTR";
    case EBADF: return "EBADF";
    case ECHILD: return "ECHILD";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EEXIST: return "EEXIST";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case EMFILE: return "EMFILE";
    case ENOSPC: return "ENOSPC";
    case ESPIPE: return "ESPIPE";
    case EPIPE: return "EPIPE";
    case ERANGE: return "ERANGE";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOSYS: return "ENOSYS";
    case ENOTEMPTY: return "ENOTEMPTY";
    case ENOTTY: return "ENOTTY";
    case EROFS: return "EROFS";
    case ENXIO: return "ENXIO";
    case ELOOP: return "ELOOP";
    case EOVERFLOW: return "EOVERFLOW";
    case ENOTSUP: return "ENOTSUP";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EIO: return "EIO";
    case ENOEXEC: return "ENOEXEC";
    case ELIBBAD: return "ELIBBAD";
    case ENODATA: return "ENODATA";
    case E2BIG: return "E2BIG";
    case ENOTSOCK: return "ENOTSOCK";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    case ESOCKTNOSUPPORT: return "ESOCKTNOSUPPORT";
    case EPROTOTYPE: return "EPROTOTYPE";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ECONNRESET: return "ECONNRESET";
    case ENOTCONN: return "ENOTCONN";
    case EISCONN: return "EISCONN";
    case EADDRINUSE: return "EADDRINUSE";
    case EMSGSIZE: return "EMSGSIZE";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    case ENOBUFS: return "ENOBUFS";
    case EDESTADDRREQ: return "EDESTADDRREQ";
    case EFBIG: return "EFBIG";
    case EIDRM: return "EIDRM";
    case ENOMSG: return "ENOMSG";
    default: return strerror(e);
    }
}

/* Runs a call that returns -1 and sets errno on failure; prints "label: ok" or the error. */
#define REPORT(label, expr)                                                                  \
    do {                                                                                    \
        errno = 0;                                                                          \
        long check_r_ = (long)(expr);                                                       \
        printf("%s: %s\n", (label), check_r_ == -1 ? errname(errno) : "ok");                \
    } while (0)
