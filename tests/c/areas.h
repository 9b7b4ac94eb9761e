/* What /proc/self/smaps says about the areas around a mapping, printed the same on Linux and on
 * this kernel: each area's bounds in pages relative to a base address (never raw addresses), its
 * VmFlags and, when asked, its Locked size. */
#pragma once
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char smaps_buf[1 << 20];

static const char *read_smaps(void)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    size_t n = f ? fread(smaps_buf, 1, sizeof smaps_buf - 1, f) : 0;
    smaps_buf[n] = 0;
    if (f)
        fclose(f);
    return smaps_buf;
}

/* One line per area overlapping [base, base + len): "label: +S..+E flags [locked kB]". */
__attribute__((unused)) static void show_areas(const char *label, const void *base, unsigned long len, int locked)
{
    unsigned long b = (unsigned long)base;
    const char *p = read_smaps();
    int shown = 0;
    while (*p) {
        unsigned long s, e;
        if (sscanf(p, "%lx-%lx ", &s, &e) == 2) { /* an area's first line */
            const char *fl = strstr(p, "VmFlags:");
            const char *lk = strstr(p, "\nLocked:");
            if (fl && e > b && s < b + len) {
                const char *end = strchr(fl, '\n');
                printf("%s: %+ld..%+ld %.*s", label, ((long)s - (long)b) / 4096,
                       ((long)e - (long)b) / 4096, (int)(end - fl - 9), fl + 9);
                if (locked && lk)
                    printf(" locked %ld kB", strtol(lk + 8, NULL, 10));
                printf("\n");
                shown++;
            }
            p = fl ? fl : p + 1;
        }
        p = strchr(p, '\n');
        if (!p)
            break;
        p++;
    }
    if (!shown)
        printf("%s: nothing mapped\n", label);
}

/* The value in kB of a line of /proc/self/status ("VmLck", "VmSize", ...), or -1. */
__attribute__((unused)) static long status_kb(const char *name)
{
    static char buf[8192];
    FILE *f = fopen("/proc/self/status", "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = 0;
    if (f)
        fclose(f);
    char key[64];
    snprintf(key, sizeof key, "\n%s:", name);
    const char *l = strstr(buf, key);
    return l ? strtol(l + strlen(key), NULL, 10) : -1;
}
