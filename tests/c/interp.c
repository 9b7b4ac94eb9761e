/* execve of a program whose PT_INTERP is wrong: Linux's checks of the interpreter's path and file,
 * each failing execve with the same errno here. The program is a tiny ET_DYN built here: one
 * PT_INTERP naming the interpreter, one PT_LOAD holding the whole file. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errname.h"

static char dir[64];

/* Writes `size` bytes of `data` to dir/name with `mode`, returns the path. */
static const char *put(const char *name, const void *data, size_t size, mode_t mode) {
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
        perror(path);
        _exit(1);
    }
    close(fd);
    chmod(path, mode);
    return path;
}

/* A program asking for the interpreter `interp` (`len` bytes of it, as PT_INTERP's p_filesz). */
static const char *program(const char *interp, size_t len) {
    static unsigned char image[8192];
    memset(image, 0, sizeof image);
    Elf64_Ehdr *eh = (Elf64_Ehdr *)image;
    memcpy(eh->e_ident, ELFMAG, SELFMAG);
    eh->e_ident[EI_CLASS] = ELFCLASS64;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_ident[EI_VERSION] = EV_CURRENT;
    eh->e_type = ET_DYN;
    eh->e_machine = EM_X86_64;
    eh->e_version = EV_CURRENT;
    eh->e_entry = 0x200;
    eh->e_phoff = sizeof *eh;
    eh->e_ehsize = sizeof *eh;
    eh->e_phentsize = sizeof(Elf64_Phdr);
    eh->e_phnum = 2;
    Elf64_Phdr *ph = (Elf64_Phdr *)(image + sizeof *eh);
    size_t size = 0x300 + len;
    ph[0] = (Elf64_Phdr){.p_type = PT_INTERP, .p_flags = PF_R, .p_offset = 0x300, .p_vaddr = 0x300,
                         .p_filesz = len, .p_memsz = len, .p_align = 1};
    ph[1] = (Elf64_Phdr){.p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0, .p_vaddr = 0,
                         .p_filesz = size, .p_memsz = size, .p_align = 4096};
    memcpy(image + 0x300, interp, len);
    return put("prog", image, size, 0755);
}

static void try(const char *what, const char *interp, size_t len) {
    const char *path = program(interp, len);
    char *argv[] = {"prog", NULL}, *envp[] = {NULL};
    execve(path, argv, envp);
    printf("%s: execve: %s\n", what, errname(errno));
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/interp-test-%d", (int)getpid());
    mkdir("/tmp", 0777);
    if (mkdir(dir, 0755) != 0) {
        perror(dir);
        return 1;
    }
    char path[256], script[100];

    try("missing interpreter", "/nonexistent/ld.so", sizeof "/nonexistent/ld.so");
    try("relative missing interpreter", "ld.so", sizeof "ld.so");
    try("path without its NUL", "/lib/ld.so", strlen("/lib/ld.so"));
    try("path of one byte", "", 1);
    static char longpath[4200];
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[0] = '/';
    try("path longer than PATH_MAX", longpath, 4097);
    try("interpreter is a directory", dir, strlen(dir) + 1);

    snprintf(path, sizeof path, "%s/noexec", dir);
    put("noexec", "\x7f" "ELF", 4, 0644);
    try("interpreter without execute permission", path, strlen(path) + 1);

    memset(script, '#', sizeof script);
    memcpy(script, "#!/bin/sh\n", 10);
    snprintf(path, sizeof path, "%s/script", dir);
    put("script", script, sizeof script, 0755);
    try("interpreter is a script", path, strlen(path) + 1);

    snprintf(path, sizeof path, "%s/short", dir);
    put("short", "\x7f" "ELF\2\1\1", 7, 0755);
    try("interpreter shorter than an ELF header", path, strlen(path) + 1);

    /* An ELF header for another machine (i386's number), long enough. */
    static Elf64_Ehdr other;
    memcpy(other.e_ident, ELFMAG, SELFMAG);
    other.e_ident[EI_CLASS] = ELFCLASS64;
    other.e_ident[EI_DATA] = ELFDATA2LSB;
    other.e_ident[EI_VERSION] = EV_CURRENT;
    other.e_type = ET_DYN;
    other.e_machine = EM_386;
    other.e_version = EV_CURRENT;
    snprintf(path, sizeof path, "%s/i386", dir);
    put("i386", &other, sizeof other, 0755);
    try("interpreter for another machine", path, strlen(path) + 1);

    /* An x86-64 header whose program header table is not there. */
    other.e_machine = EM_X86_64;
    other.e_phoff = 64;
    other.e_phentsize = sizeof(Elf64_Phdr);
    other.e_phnum = 3;
    snprintf(path, sizeof path, "%s/nophdrs", dir);
    put("nophdrs", &other, sizeof other, 0755);
    try("interpreter without its program headers", path, strlen(path) + 1);

    const char *names[] = {"prog", "noexec", "script", "short", "i386", "nophdrs"};
    for (unsigned i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
    printf("done\n");
    return 0;
}
