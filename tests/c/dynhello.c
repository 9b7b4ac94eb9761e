/* A dynamically linked program (plain `gcc`, a PIE with PT_INTERP, libc.so.6 and libm.so.6):
 * what the dynamic loader was told (the auxiliary vector) and the process map it built, printed
 * the same way on Linux and on this kernel.
 *
 * The map is normalised as tests/src/lib.rs's normalize_maps does: per area its rights, file
 * offset, size in pages and the last component of its name, without addresses, devices or inodes
 * (raw lines are printed as "# " lines). The areas only Linux has ([vdso], [vvar], [vvar_vclock],
 * [vsyscall]) are left out. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

extern char _start[];

static int count_objects(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    const char *name = info->dlpi_name[0] ? strrchr(info->dlpi_name, '/') : NULL;
    if (!strncmp(info->dlpi_name, "linux-vdso", 10))
        return 0; /* Linux's vDSO: there is none here */
    printf("loaded object: %s, %d program headers\n", name ? name + 1 : "(main program)",
           info->dlpi_phnum > 0);
    ++*(int *)data;
    return 0;
}

/* Where the top-down mmap area starts under `setarch -R` with an 8 MiB stack limit:
 * TASK_SIZE - 128 MiB. The loader is the first thing mapped there. */
#define MMAP_BASE 0x7ffff7fff000UL

static void print_maps(void) {
    unsigned long loader_end = 0;
    FILE *maps = fopen("/proc/self/maps", "r");
    if (!maps) {
        perror("maps");
        exit(1);
    }
    char line[512];
    while (fgets(line, sizeof line, maps)) {
        unsigned long start, end, offset;
        char perms[8], name[400] = "";
        if (sscanf(line, "%lx-%lx %7s %lx %*s %*s %399[^\n]", &start, &end, perms, &offset, name) < 4)
            continue;
        printf("# %s", line);
        if (!strcmp(name, "[vdso]") || !strcmp(name, "[vvar]") || !strcmp(name, "[vvar_vclock]") ||
            !strcmp(name, "[vsyscall]"))
            continue;
        const char *base = name[0] == '/' ? strrchr(name, '/') + 1 : name;
        if (!strcmp(base, "ld-linux-x86-64.so.2") && end > loader_end)
            loader_end = end;
        printf("%s %08lx pages=%lu %s\n", perms, offset, (end - start) / 4096, base);
    }
    fclose(maps);
    printf("the loader ends at the mmap base: %s\n", loader_end == MMAP_BASE ? "yes" : "no");
}

int main(int argc, char **argv) {
    (void)argc;
    printf("hello from %s, dynamically linked\n", strrchr(argv[0], '/') + 1);

    /* The auxiliary vector the loader started from. */
    unsigned long base = getauxval(AT_BASE), entry = getauxval(AT_ENTRY);
    printf("AT_BASE (the loader) set: %s\n", base ? "yes" : "no");
    printf("# AT_BASE %#lx AT_ENTRY %#lx AT_PHDR %#lx\n", base, entry, getauxval(AT_PHDR));
    printf("AT_ENTRY is the program's _start: %s\n", entry == (unsigned long)_start ? "yes" : "no");
    printf("AT_PHENT %lu, AT_PAGESZ %lu, AT_SECURE %lu, AT_CLKTCK %lu\n", getauxval(AT_PHENT),
           getauxval(AT_PAGESZ), getauxval(AT_SECURE), getauxval(AT_CLKTCK));
    const char *execfn = (const char *)getauxval(AT_EXECFN);
    printf("AT_EXECFN ends with: %s\n", execfn ? strrchr(execfn, '/') + 1 : "(none)");
    /* AT_PHDR points at this program's own headers: the PT_PHDR entry says where it is. */
    const ElfW(Phdr) *phdr = (const ElfW(Phdr) *)getauxval(AT_PHDR);
    unsigned long phnum = getauxval(AT_PHNUM), bias = 0;
    int interp = 0;
    for (unsigned long i = 0; i < phnum; i++) {
        if (phdr[i].p_type == PT_PHDR)
            bias = (unsigned long)phdr - phdr[i].p_vaddr;
        if (phdr[i].p_type == PT_INTERP)
            interp = 1;
    }
    printf("AT_PHDR holds a PT_INTERP: %s\n", interp ? "yes" : "no");
    printf("# load bias %#lx\n", bias);
    printf("the program is a PIE at ELF_ET_DYN_BASE: %s\n", bias == 0x555555554000UL ? "yes" : "no");

    /* The shared objects the loader mapped, and calls into them. */
    int objects = 0;
    dl_iterate_phdr(count_objects, &objects);
    volatile double x = 2.0;
    printf("sqrt(2) from libm.so.6: %.6f\n", sqrt(x));
    char *heap = malloc(100000);
    strcpy(heap, "malloc works");
    printf("%s\n", heap);
    void *self = dlopen(NULL, RTLD_NOW);
    printf("dlsym(printf) is libc's printf: %s\n", self && dlsym(self, "printf") == (void *)printf ? "yes" : "no");

    print_maps();
    free(heap);
    return 0;
}
