# Two commands do everything on a fresh Debian machine:
#   make run    build, boot the kernel in QEMU, run the demo (or INIT=...), power off
#   make test   host unit/property tests, in-kernel self-tests in QEMU, integration tests
# Targets install what they need: the pinned Rust toolchain, and QEMU (+ OVMF) with apt-get as root.

SHELL := /bin/bash
CARGO ?= cargo
TARGET_DIR := target
KERNEL := $(TARGET_DIR)/x86_64-unknown-none/debug/kernel
USER_DIR := $(TARGET_DIR)/x86_64-unknown-none/debug
BOOT := $(TARGET_DIR)/debug/boot
TIMEOUT ?= 120
HOST_LIBS := -p buddy -p cpio -p vma -p exec

# make run INIT=path/to/static-elf ARGS="a b c"
INIT ?=
ARGS ?=
UEFI ?=
BOOT_FLAGS := --timeout $(TIMEOUT) $(if $(UEFI),--uefi,)

ifneq ($(INIT),)
INIT_NAME := $(notdir $(INIT))
RUN_FILES := --file $(INIT):/bin/$(INIT_NAME)
RUN_CMDLINE := init=/bin/$(INIT_NAME) -- $(ARGS)
else
RUN_FILES :=
RUN_CMDLINE :=
endif

.PHONY: all run test test-host test-kernel test-integration gdb clean toolchain qemu build kernel boot user check fmt

all: build

toolchain:
	@rustup toolchain install >/dev/null 2>&1 || rustup toolchain install

qemu:
	@if ! command -v qemu-system-x86_64 >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing qemu-system-x86, ovmf and cpio with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-system-x86 ovmf cpio >/dev/null; \
	  else \
	    echo "qemu-system-x86_64 is missing: run 'sudo apt-get install qemu-system-x86 ovmf'"; exit 1; \
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

run: build qemu
	$(BOOT) run --kernel $(KERNEL) $(BOOT_FLAGS) $(RUN_FILES) --cmdline "$(RUN_CMDLINE)"

test: test-host test-kernel test-integration

test-host: toolchain
	$(CARGO) test $(HOST_LIBS)

test-kernel: build qemu
	$(BOOT) run --kernel $(KERNEL) $(BOOT_FLAGS) --cmdline "ktest"

test-integration: build qemu
	KERNEL=$(abspath $(KERNEL)) BOOT=$(abspath $(BOOT)) USER_BIN_DIR=$(abspath $(USER_DIR)) \
	  $(CARGO) test -p tests

gdb: build qemu
	$(BOOT) run --kernel $(KERNEL) --gdb $(RUN_FILES) --cmdline "$(RUN_CMDLINE)" & \
	  sleep 2; gdb -q $(KERNEL) -ex "target remote localhost:1234"; wait

check: toolchain
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy $(HOST_LIBS) --all-targets -- -D warnings
	$(CARGO) clippy -p kernel -p user -- -D warnings
	$(CARGO) clippy -p boot -p tests --all-targets -- -D warnings

fmt: toolchain
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
