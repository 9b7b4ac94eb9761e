/* A program with a large bss that grows its heap with brk and then prints /proc/self/maps: the
 * bss and [heap] must come out as Linux shows them (two areas: brk never extends the bss). */
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static char big[20000];

int main(void) {
    big[0] = 1;
    big[sizeof big - 1] = 2;
    long top = syscall(SYS_brk, 0);
    syscall(SYS_brk, top + 8192);
    ((char *)top)[0] = 1;
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[256];
    while (fgets(line, sizeof line, maps))
        fputs(line, stdout);
    return 0;
}
