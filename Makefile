# Time namespaces for Linux: the patch series, and the tooling that turns it
# into a booted, tested kernel. See README.md; `make help` lists the targets.
#
#   /usr/src/linux-source-6.12.tar.xz --(mkbase: unpack)--> build/upstream
#   build/upstream --(mkbase: linked copy, strip, verify)--> build/base
#   build/base + patches/ --(mktree: git am)--> build/tree (git)
#   build/tree + configs/ --(kbuild, O=build/obj)--> build/bzImage
#   build/bzImage + tests --(qemu-run)--> "N passed, N failed"
#
# ARCH=arm64 (mk/arm64.mk): the same series cross-built for arm64 into
# build/arm64/, booted under qemu-system-aarch64 -M virt.

B := $(CURDIR)/build
TARBALL := /usr/src/linux-source-6.12.tar.xz
# The architecture the kernel and the tests are built for: x86_64, or arm64
# (cross-built, mk/arm64.mk). ARCH goes to the scripts in the environment.
ARCH ?= x86_64
ifeq ($(ARCH),x86)
override ARCH := x86_64
endif
ifneq ($(filter-out x86_64 arm64,$(ARCH)),)
$(error ARCH=$(ARCH): this project builds x86_64 (the default) or arm64)
endif
# (x86_64: the kernel's make finds its ARCH itself, as before there was arm64)
ifeq ($(ARCH),arm64)
export ARCH
else
unexport ARCH
endif
# the arch-neutral fragments, and those of configs/ARCH/ (x86_64's are
# configs/*.config: they came first)
ifeq ($(ARCH),arm64)
FRAGMENTS := configs/timens.config configs/kunit.config $(sort $(wildcard configs/arm64/*.config))
else
FRAGMENTS := $(sort $(wildcard configs/*.config))
endif
PATCHES := $(wildcard patches/*.patch)
TESTPROGS := $(patsubst tests/%.c,$(B)/tests/%,$(wildcard tests/*.c))
STRIPPER := $(wildcard scripts/strip-upstream-timens scripts/verify-stripped)
# One step at a time in build/, whoever runs make (scripts/locked)
LOCKED := scripts/locked $(B)/.lock

# Settings (see README.md); exported to the scripts.
JOBS ?= 3
export JOBS TIMEOUT TEST_TIMEOUT KVM MEM SMP V QEMU_EXTRA CMDLINE_EXTRA ONLY
export STRIP VERIFY FORCE CMD
export BASE_INFO = $(shell head -n 1 $(B)/base.stamp 2>/dev/null)

.PHONY: help deps base tree strip-diff export checkpatch bisect kernel kernel-base \
	run check check-base tests selftests clean distclean always
.DELETE_ON_ERROR:

help:
	@echo 'make check        build what is missing, boot, run the tests (what .ci/run does)'
	@echo '                  (ARCH=arm64: on arm64 under qemu-system-aarch64; also kernel,'
	@echo '                  tests, selftests, run, bench and bisect)'
	@echo 'make run          boot the kernel: a shell on a terminal, CMD='"'"'...'"'"' runs'
	@echo '                  a command in the guest, otherwise a short demo'
	@echo 'make check-base   boot the stripped base alone: prove the clean room'
	@echo 'make deps         install the Debian packages the project needs'
	@echo 'make base         build/base: Debian linux-source-6.12, stripped'
	@echo 'make tree         build/tree: git repo, the base commit + patches/ (git am)'
	@echo 'make strip-diff   build/strip.diff: the strip as a diff (upstream..base)'
	@echo 'make export       write build/tree'"'"'s commits back to patches/'
	@echo 'make checkpatch   scripts/checkpatch.pl --strict on every patch'
	@echo 'make bisect       build the kernel after each patch in turn'
	@echo 'make kernel       build/bzImage from build/tree (kernel-base: build/bzImage-base)'
	@echo 'make bench        this series against the stock kernel, side by side (ratios)'
	@echo 'make check-debug  the suite and the reliability tests on a debug kernel'
	@echo 'make clean        remove kernels, objects, test results (distclean: all of build/)'
	@echo 'Settings: ARCH=arm64 KVM=1 TIMEOUT=s TEST_TIMEOUT=s MEM=1G SMP=2 JOBS=3 V=1 FORCE=1'

deps:
	@scripts/deps

$(TARBALL):
	@scripts/deps

# --- the base: unpacked, stripped, renamed into place only when complete
base: $(B)/base.stamp
$(B)/base.stamp: $(TARBALL) scripts/mkbase $(STRIPPER) | deps
	@$(LOCKED) scripts/mkbase $(B)

# --- the tree: git, base commit + the series; FORCE=1 discards its work
tree: $(B)/tree.stamp
$(B)/tree.stamp: $(B)/base.stamp patches/series $(PATCHES) scripts/mktree \
		scripts/tree-lib.sh $(if $(filter 1,$(FORCE)),always)
	@$(LOCKED) scripts/mktree $(B)
	@touch $@

# the strip as a diff, for review: build/tree's commit upstream (the
# tarball) against base (stripped)
strip-diff: $(B)/tree.stamp
	@git -C $(B)/tree diff --stat=100 upstream base | tail -n 1
	@git -C $(B)/tree diff upstream base >$(B)/strip.diff
	@echo "the strip: $(B)/strip.diff (or: git -C build/tree diff upstream base)"

# (no prerequisite: it must work when patches/ and build/tree both changed)
export:
	@$(LOCKED) scripts/export $(B)

checkpatch: $(B)/tree.stamp
	@scripts/checkpatch $(B)

bisect: $(B)/tree.stamp
	@$(LOCKED) scripts/bisect $(B) $(FRAGMENTS)

ifeq ($(ARCH),arm64)
include mk/arm64.mk
else
# --- kernels: the series (build/tree) and the stripped base alone
kernel: $(B)/bzImage
$(B)/obj/.config.stamp: $(B)/tree.stamp $(FRAGMENTS) scripts/kbuild
	@$(LOCKED) scripts/kbuild config $(B)/tree $(B)/obj $(B)/logs/kernel.log $(FRAGMENTS)
	@touch $@
# always: build/tree may hold edits of its own; the kernel's make is incremental
$(B)/bzImage: $(B)/obj/.config.stamp always
	@$(LOCKED) scripts/kbuild build $(B)/tree $(B)/obj $(B)/logs/kernel.log $@

kernel-base: $(B)/bzImage-base
$(B)/obj-base/.config.stamp: $(B)/base.stamp $(FRAGMENTS) scripts/kbuild
	@$(LOCKED) scripts/kbuild config $(B)/base $(B)/obj-base $(B)/logs/kernel-base.log $(FRAGMENTS)
	@touch $@
$(B)/bzImage-base: $(B)/obj-base/.config.stamp
	@$(LOCKED) scripts/kbuild build $(B)/base $(B)/obj-base $(B)/logs/kernel-base.log $@

# --- test programs (static: the guest runs them as they are)
tests: $(TESTPROGS)
# the series' kselftests, when it has them; they need the kernel's headers
selftests: kernel
	@$(LOCKED) scripts/selftests $(B)/tree $(B)/obj $(B)/selftests/timens
$(B)/tests/%: tests/%.c $(wildcard tests/*.h) bench/vdso-lookup.h
	@mkdir -p $(@D)
	gcc -static -O2 -Wall -Wextra -o $@ $<

# --- booting
run: deps kernel
	@scripts/locked $(B)/run/run.lock scripts/run $(B)/bzImage

# scripts/check ENV NAME KERNEL GROUP...: one runner for every kernel
check: deps kernel tests selftests
	@scripts/locked $(B)/run/check.lock scripts/check normal check $(B)/bzImage \
		guest series scenarios reliability bench migrate

check-base: deps kernel-base tests
	@scripts/locked $(B)/run/check-base.lock scripts/check normal check-base $(B)/bzImage-base \
		guest cleanroom

clean:
	$(LOCKED) rm -rf $(B)/obj $(B)/obj-base $(B)/bzImage $(B)/bzImage-base \
		$(B)/tests $(B)/selftests $(B)/run $(B)/logs

# make bench: this series against the stock kernel (issue 4)
include mk/bench.mk
# make check-debug: the suite on a KASAN/lockdep/UBSAN/kmemleak kernel (issue 6)
include mk/debug.mk
endif

distclean:
	$(LOCKED) rm -rf $(B)
