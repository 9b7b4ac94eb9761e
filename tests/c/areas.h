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

/* The first area at or after the line starting at `p` in smaps text (the area's maps line), its
 * bounds in *s and *e; NULL when there is none. */
static const char *find_area(const char *p, unsigned long *s, unsigned long *e)
{
    while (p && *p) {
        if (sscanf(p, "%lx-%lx ", s, e) == 2)
            return p;
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return NULL;
}

/* The area after the one whose maps line starts at `area`. */
static const char *next_area(const char *area, unsigned long *s, unsigned long *e)
{
    const char *line = strchr(area, '\n');
    return find_area(line ? line + 1 : NULL, s, e);
}

/* The number after "name:" in the smaps block of the area starting at `area`, or -1. */
__attribute__((unused)) static long area_field(const char *area, const char *name)
{
    char key[64];
    snprintf(key, sizeof key, "\n%s:", name);
    const char *l = strstr(area, key);
    return l ? strtol(l + strlen(key), NULL, 10) : -1;
}

/* One line per area overlapping [base, base + len): "label: +S..+E flags [locked kB]". */
__attribute__((unused)) static void show_areas(const char *label, const void *base, unsigned long len, int locked)
{
    unsigned long b = (unsigned long)base, s, e;
    int shown = 0;
    for (const char *a = find_area(read_smaps(), &s, &e); a; a = next_area(a, &s, &e)) {
        const char *fl = strstr(a, "VmFlags:");
        if (!fl || e <= b || s >= b + len)
            continue;
        const char *end = strchr(fl, '\n');
        printf("%s: %+ld..%+ld %.*s", label, ((long)s - (long)b) / 4096, ((long)e - (long)b) / 4096,
               (int)(end - fl - 9), fl + 9);
        if (locked)
            printf(" locked %ld kB", area_field(a, "Locked"));
        printf("\n");
        shown++;
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
