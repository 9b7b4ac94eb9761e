/* The smallest C program the kernel runs: no C library, two raw system calls (write, exit_group).
 * Built both as a classic static executable (ET_EXEC: gcc -static -nostdlib -no-pie) and as a
 * static-pie (ET_DYN without an interpreter: gcc -static-pie -nostdlib), which the kernel loads at
 * Linux's ELF_ET_DYN_BASE. */
void _start(void) {
    static const char msg[] = "hello from a bare C program\n";
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(1), "D"(1), "S"(msg), "d"(sizeof msg - 1) : "rcx", "r11", "memory");
    __asm__ volatile("syscall" ::"a"(231), "D"(0));
    for (;;) {
    }
}
