# Two commands do everything on a fresh Debian machine:
#   make run    build, boot the kernel in QEMU, run the demo (or INIT=...), power off
#   make test   host unit/property tests, in-kernel self-tests in QEMU, integration tests
# Targets install what they need: the pinned Rust toolchain, and QEMU, OVMF, cpio, musl-tools and
# the static glibc (libc6-dev) with apt-get as root.

SHELL := /bin/bash
CARGO ?= cargo
TARGET_DIR := target
KERNEL := $(TARGET_DIR)/x86_64-unknown-none/debug/kernel
USER_DIR := $(TARGET_DIR)/x86_64-unknown-none/debug
BOOT := $(TARGET_DIR)/debug/boot
TIMEOUT ?= 120
HOST_LIBS := -p abi -p buddy -p cpio -p vma -p exec -p calendar -p crng -p tty -p slab
# Where the bootloader puts the (position-independent) kernel: gdb needs it to place the symbols.
KERNEL_BASE := 0xffffffff80000000

# make run INIT=path/to/static-elf ARGS="a b c" FILES="host/path:/guest/path ..."
INIT ?=
ARGS ?=
# More files for the initramfs, each host:guest (unpacked into the writable root at boot).
FILES ?=
UEFI ?=
# ICOUNT=1: the guest's TSC counts guest instructions (QEMU -icount shift=0), for exact figures.
ICOUNT ?=
BOOT_FLAGS := --timeout $(TIMEOUT) $(if $(UEFI),--uefi,) $(if $(filter 1,$(ICOUNT)),--icount,)

# Without INIT, the demo: a walk through a process's areas, ending with its /proc/self/maps.
INIT_NAME := $(if $(INIT),$(notdir $(INIT)),demo)
INIT_PATH := $(if $(INIT),$(INIT),$(USER_DIR)/demo)
# The demo ends with a dynamically linked program, Debian's own cat (the runner adds its loader
# and libraries).
DEMO_FILES := $(if $(INIT),,$(if $(wildcard /usr/bin/cat),--file /usr/bin/cat:/usr/bin/cat,))
RUN_FILES := --file $(INIT_PATH):/bin/$(INIT_NAME) $(DEMO_FILES) $(foreach f,$(FILES),--file $(f))
RUN_CMDLINE := init=/bin/$(INIT_NAME) -- $(ARGS)

.PHONY: all run shell test test-host test-kernel test-integration test-bench fuzz fuzz-linux bench gdb clean toolchain qemu build kernel boot user check fmt

all: build

toolchain:
	@rustup toolchain install >/dev/null 2>&1 || rustup toolchain install
	@rustup target list --installed | grep -q x86_64-unknown-linux-musl || rustup target add x86_64-unknown-linux-musl

# System packages: QEMU and OVMF (to boot), cpio, musl-gcc and the static glibc (tests use them),
# busybox-static (make shell's user space, and the shell tests). Installed with apt-get when
# running as root; otherwise a message says what to install.
DEB_PACKAGES := qemu-system-x86 ovmf cpio musl-tools libc6-dev busybox-static
qemu:
	@missing=""; \
	command -v qemu-system-x86_64 >/dev/null || missing="$$missing qemu-system-x86"; \
	[ -e /usr/share/ovmf/OVMF.fd ] || [ -e /usr/share/OVMF/OVMF_CODE.fd ] || missing="$$missing ovmf"; \
	command -v cpio >/dev/null || missing="$$missing cpio"; \
	command -v musl-gcc >/dev/null || missing="$$missing musl-tools"; \
	[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || missing="$$missing libc6-dev"; \
	dpkg -s busybox-static >/dev/null 2>&1 || missing="$$missing busybox-static"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing$$missing with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  elif ! command -v qemu-system-x86_64 >/dev/null; then \
	    echo "missing:$$missing; run 'sudo apt-get install $(DEB_PACKAGES)'"; exit 1; \
	  else \
	    echo "note: missing$$missing (some tests will skip); 'sudo apt-get install $(DEB_PACKAGES)'"; \
	  fi; \
	fi

kernel: toolchain
	$(CARGO) build -p kernel

user: toolchain
	$(CARGO) build -p user --bins
	$(CARGO) build --manifest-path user-std/Cargo.toml --target x86_64-unknown-linux-musl --target-dir $(TARGET_DIR)

# The host runner: built on its own, never together with the no_std crates.
boot: toolchain
	$(CARGO) build -p boot

build: kernel user boot

# make exits 2 whenever a recipe fails, so the program's own status is printed; `boot exec` (see
# README) returns it exactly.
# MEMORY: the machine's RAM; 1 GiB by default, so that transparent huge pages are on (they are
# off below 512 MiB, as on Linux).
MEMORY ?= 1G
run: build qemu
	@$(BOOT) run --kernel $(KERNEL) $(BOOT_FLAGS) --memory $(MEMORY) $(RUN_FILES) --cmdline "$(RUN_CMDLINE)"; \
	  status=$$?; [ $$status -eq 0 ] || echo "make run: exit status $$status" >&2; exit $$status

# make shell [FILES="host:guest ..."]: busybox as the user space, its shell (ash) as pid 1 on the
# console; make shell's standard input is the console's input (a terminal or a pipe). Every applet
# is a /bin/<name> symlink to /bin/busybox, as `busybox --install -s` makes them; Debian's build
# has no pmap, so user/src/bin/pmap.rs (busybox's pmap output) is /bin/pmap. `exit N` or ^D
# powers off, and the shell's status is reported as make run reports a program's.
BUSYBOX ?= /bin/busybox
SHELL_TIMEOUT ?= 86400
# /etc/passwd and /etc/group, so that ps, ls -l and id show names as on Linux.
SHELL_ETC := --file scripts/shell/etc/passwd:/etc/passwd --file scripts/shell/etc/group:/etc/group
shell: build qemu
	@links=$$($(BUSYBOX) --list | grep -vx busybox | sed 's|^|--symlink /bin/|; s|$$|:busybox|'); \
	  $(BOOT) run --kernel $(KERNEL) --timeout $(SHELL_TIMEOUT) $(if $(UEFI),--uefi,) \
	  --file $(BUSYBOX):/bin/busybox --file $(USER_DIR)/pmap:/bin/pmap $$links $(SHELL_ETC) \
	  $(foreach f,$(FILES),--file $(f)) \
	  --cmdline "init=/bin/sh"; \
	  status=$$?; [ $$status -eq 0 ] || echo "make shell: exit status $$status" >&2; exit $$status

test: test-host test-kernel test-integration test-bench

test-host: toolchain qemu
	$(CARGO) test $(HOST_LIBS)

test-kernel: build qemu
	$(BOOT) run --kernel $(KERNEL) $(BOOT_FLAGS) --cmdline "ktest"

test-integration: build qemu
	KERNEL=$(abspath $(KERNEL)) BOOT=$(abspath $(BOOT)) USER_BIN_DIR=$(abspath $(USER_DIR)) \
	  USER_STD_BIN_DIR=$(abspath $(TARGET_DIR)/x86_64-unknown-linux-musl/debug) \
	  $(CARGO) test -p tests

# make fuzz [SEED=n] [OPS=n] [WORKERS=n] [FUZZ_FLAGS=trace]: the system-call
# fuzzer (user/src/bin/fuzz.rs) as the first process. The seed defaults to the time and is printed;
# the same SEED, OPS and WORKERS replay the same run. A kernel panic (253) or a hang (124) fails it
# as much as a broken invariant (status 1).
SEED ?=
OPS ?= 1000000
WORKERS ?= 4
FUZZ_FLAGS ?=
FUZZ_TIMEOUT ?= 7200
FUZZ_SEED := $(if $(SEED),$(SEED),$(shell date +%s))
fuzz: build qemu
	@echo "make fuzz: seed $(FUZZ_SEED), replay with: make fuzz SEED=$(FUZZ_SEED) OPS=$(OPS)"
	@$(BOOT) run --kernel $(KERNEL) --timeout $(FUZZ_TIMEOUT) --file $(USER_DIR)/fuzz:/bin/fuzz \
	  --cmdline "init=/bin/fuzz -- $(FUZZ_SEED) $(OPS) $(WORKERS) $(FUZZ_FLAGS)"; \
	  status=$$?; echo "make fuzz: seed $(FUZZ_SEED) ops $(OPS): exit status $$status" >&2; \
	  exit $$status

# make fuzz-linux [SEED=n] [OPS=n] [WORKERS=n]: the same fuzzer on Linux, which must keep the same
# invariants (all but the exact memory count). Debian's kernel (linux-image-amd64, fetched once with
# apt-get download into target/linux) boots in QEMU through its PVH entry with the fuzzer as /init
# of an initramfs; the fuzzer powers the machine off at the end. Passes when it printed `fuzz: ok`.
LINUX_DIR := $(TARGET_DIR)/linux
$(LINUX_DIR)/vmlinux:
	mkdir -p $(LINUX_DIR)
	cd $(LINUX_DIR) && pkg=$$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/ {print $$2; exit}'); \
	  [ -n "$$pkg" ] || { apt-get update -qq && pkg=$$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/ {print $$2; exit}'); }; \
	  rm -f linux-image-*.deb && apt-get download $$pkg 2>&1 | grep -v '^W: Download is performed unsandboxed'; \
	  dpkg-deb --fsys-tarfile linux-image-*.deb | tar -x --wildcards './boot/vmlinuz-*'
	# vmlinuz holds the ELF vmlinux as an xz stream.
	python3 -c 'import lzma, sys; d = open(sys.argv[1], "rb").read(); \
	  open(sys.argv[2], "wb").write(lzma.LZMADecompressor().decompress(d[d.find(b"\xfd7zXZ\0"):]))' \
	  $$(ls $(LINUX_DIR)/boot/vmlinuz-* | head -1) $@

fuzz-linux: user qemu $(LINUX_DIR)/vmlinux
	@rm -rf $(LINUX_DIR)/root && mkdir -p $(LINUX_DIR)/root/proc && cp $(USER_DIR)/fuzz $(LINUX_DIR)/root/init
	@cd $(LINUX_DIR)/root && find . | cpio -o -H newc --quiet > ../initramfs.cpio
	@echo "make fuzz-linux: seed $(FUZZ_SEED), replay with: make fuzz-linux SEED=$(FUZZ_SEED) OPS=$(OPS)"
	@timeout $(FUZZ_TIMEOUT) qemu-system-x86_64 -kernel $(LINUX_DIR)/vmlinux -initrd $(LINUX_DIR)/initramfs.cpio \
	  -append "console=ttyS0 panic=-1 quiet -- $(FUZZ_SEED) $(OPS) $(WORKERS) $(FUZZ_FLAGS)" \
	  -display none -serial stdio -monitor none -no-reboot -m 512M -cpu max -smp 1 </dev/null \
	  | tee $(LINUX_DIR)/console.log; \
	  if grep -q '^fuzz: ok' $(LINUX_DIR)/console.log; then echo "make fuzz-linux: ok"; \
	  else echo "make fuzz-linux: seed $(FUZZ_SEED) ops $(OPS): failed" >&2; exit 1; fi

# make bench [ICOUNT=0]: the benchmark (user/src/bin/bench.rs) as the first process on this kernel
# and on Linux 6.1 (Debian's kernel, fetched once as for fuzz-linux) in the same QEMU (-cpu max,
# -m 1G so that both turn transparent huge pages on, one CPU), then one table with the ratio per operation. With ICOUNT=1 (the default) the
# guest's TSC counts instructions, so the figures are exact and repeatable; ICOUNT=0 gives TCG
# cycles for a second opinion. Without the Linux image the table has this kernel's column only.
BENCH_DIR := $(TARGET_DIR)/bench
BENCH_ON_ICOUNT := $(if $(filter 0,$(ICOUNT)),,1)
BENCH_ICOUNT := $(if $(BENCH_ON_ICOUNT),-icount shift=0,)
BENCH_UNIT := $(if $(BENCH_ON_ICOUNT),guest instructions,TSC ticks (TCG))
bench: build qemu
	@mkdir -p $(BENCH_DIR)
	@$(BOOT) run --kernel $(KERNEL) $(if $(BENCH_ON_ICOUNT),--icount,) --timeout 900 --memory 1G \
	  --file $(USER_DIR)/bench:/bin/bench --cmdline "init=/bin/bench" | tee $(BENCH_DIR)/kernel.txt
	@rm -f $(BENCH_DIR)/linux.txt; \
	if $(MAKE) --no-print-directory $(LINUX_DIR)/vmlinux >/dev/null 2>&1; then \
	  rm -rf $(BENCH_DIR)/root && mkdir -p $(BENCH_DIR)/root/proc && cp $(USER_DIR)/bench $(BENCH_DIR)/root/init && \
	  (cd $(BENCH_DIR)/root && find . | cpio -o -H newc --quiet > ../initramfs.cpio) && \
	  timeout 900 qemu-system-x86_64 -kernel $(LINUX_DIR)/vmlinux -initrd $(BENCH_DIR)/initramfs.cpio \
	    -append "console=ttyS0 panic=-1 quiet" -display none -serial stdio -monitor none -no-reboot \
	    -m 1G -cpu max -smp 1 $(BENCH_ICOUNT) </dev/null > $(BENCH_DIR)/linux.txt 2>&1 || true; \
	fi
	@python3 scripts/bench_table.py $(BENCH_DIR)/kernel.txt $(BENCH_DIR)/linux.txt "$(BENCH_UNIT)"

# make test checks that the benchmark runs to the end on both kernels (its figures are not judged).
test-bench: bench
	@grep -q '^bench done' $(BENCH_DIR)/kernel.txt || { echo "bench did not finish here" >&2; exit 1; }
	@[ ! -s $(BENCH_DIR)/linux.txt ] || grep -q '^bench done' $(BENCH_DIR)/linux.txt || \
	  { echo "bench did not finish on Linux" >&2; exit 1; }
	@echo "bench: ran to the end"

gdb: build qemu
	$(BOOT) run --kernel $(KERNEL) --gdb $(RUN_FILES) --cmdline "$(RUN_CMDLINE)" & \
	  sleep 2; gdb -q -ex "symbol-file -o $(KERNEL_BASE) $(KERNEL)" -ex "target remote localhost:1234"; wait

check: toolchain
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy $(HOST_LIBS) --all-targets -- -D warnings
	$(CARGO) clippy -p kernel -p user -- -D warnings
	$(CARGO) clippy -p boot -p tests --all-targets -- -D warnings
	$(CARGO) fmt --manifest-path user-std/Cargo.toml -- --check
	$(CARGO) clippy --manifest-path user-std/Cargo.toml --target x86_64-unknown-linux-musl --target-dir $(TARGET_DIR) -- -D warnings

fmt: toolchain
	$(CARGO) fmt --all
	$(CARGO) fmt --manifest-path user-std/Cargo.toml

clean:
	$(CARGO) clean
