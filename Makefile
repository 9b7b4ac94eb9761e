# Two commands do everything on a fresh Debian machine:
#   make run    build, boot the kernel in QEMU, run the demo (or INIT=...), power off
#   make test   host unit/property tests, in-kernel self-tests in QEMU, integration tests
# Targets install what they need: the pinned Rust toolchain, and QEMU, OVMF, cpio and musl-tools
# with apt-get as root.

SHELL := /bin/bash
CARGO ?= cargo
TARGET_DIR := target
KERNEL := $(TARGET_DIR)/x86_64-unknown-none/debug/kernel
USER_DIR := $(TARGET_DIR)/x86_64-unknown-none/debug
BOOT := $(TARGET_DIR)/debug/boot
TIMEOUT ?= 120
HOST_LIBS := -p abi -p buddy -p cpio -p vma -p exec
# Where the bootloader puts the (position-independent) kernel: gdb needs it to place the symbols.
KERNEL_BASE := 0xffffffff80000000

# make run INIT=path/to/static-elf ARGS="a b c" FILES="host/path:/guest/path ..."
INIT ?=
ARGS ?=
# More files for the initramfs, each host:guest (unpacked into the writable root at boot).
FILES ?=
UEFI ?=
BOOT_FLAGS := --timeout $(TIMEOUT) $(if $(UEFI),--uefi,)

# Without INIT, the demo: a walk through a process's areas, ending with its /proc/self/maps.
INIT_NAME := $(if $(INIT),$(notdir $(INIT)),demo)
INIT_PATH := $(if $(INIT),$(INIT),$(USER_DIR)/demo)
RUN_FILES := --file $(INIT_PATH):/bin/$(INIT_NAME) $(foreach f,$(FILES),--file $(f))
RUN_CMDLINE := init=/bin/$(INIT_NAME) -- $(ARGS)

.PHONY: all run test test-host test-kernel test-integration fuzz fuzz-linux gdb clean toolchain qemu build kernel boot user check fmt

all: build

toolchain:
	@rustup toolchain install >/dev/null 2>&1 || rustup toolchain install

# System packages: QEMU and OVMF (to boot), cpio and musl-gcc (some tests use them). Installed with
# apt-get when running as root; otherwise a message says what to install.
DEB_PACKAGES := qemu-system-x86 ovmf cpio musl-tools
qemu:
	@missing=""; \
	command -v qemu-system-x86_64 >/dev/null || missing="$$missing qemu-system-x86"; \
	[ -e /usr/share/ovmf/OVMF.fd ] || [ -e /usr/share/OVMF/OVMF_CODE.fd ] || missing="$$missing ovmf"; \
	command -v cpio >/dev/null || missing="$$missing cpio"; \
	command -v musl-gcc >/dev/null || missing="$$missing musl-tools"; \
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

# The host runner: built on its own, never together with the no_std crates.
boot: toolchain
	$(CARGO) build -p boot

build: kernel user boot

# make exits 2 whenever a recipe fails, so the program's own status is printed; `boot exec` (see
# README) returns it exactly.
run: build qemu
	@$(BOOT) run --kernel $(KERNEL) $(BOOT_FLAGS) $(RUN_FILES) --cmdline "$(RUN_CMDLINE)"; \
	  status=$$?; [ $$status -eq 0 ] || echo "make run: exit status $$status" >&2; exit $$status

test: test-host test-kernel test-integration

test-host: toolchain qemu
	$(CARGO) test $(HOST_LIBS)

test-kernel: build qemu
	$(BOOT) run --kernel $(KERNEL) $(BOOT_FLAGS) --cmdline "ktest"

test-integration: build qemu
	KERNEL=$(abspath $(KERNEL)) BOOT=$(abspath $(BOOT)) USER_BIN_DIR=$(abspath $(USER_DIR)) \
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

gdb: build qemu
	$(BOOT) run --kernel $(KERNEL) --gdb $(RUN_FILES) --cmdline "$(RUN_CMDLINE)" & \
	  sleep 2; gdb -q -ex "symbol-file -o $(KERNEL_BASE) $(KERNEL)" -ex "target remote localhost:1234"; wait

check: toolchain
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy $(HOST_LIBS) --all-targets -- -D warnings
	$(CARGO) clippy -p kernel -p user -- -D warnings
	$(CARGO) clippy -p boot -p tests --all-targets -- -D warnings

fmt: toolchain
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
