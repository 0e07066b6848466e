# make ... ARCH=arm64: the series on arm64. Included by the top Makefile in
# place of its x86_64 rules; it defines B (build/), FRAGMENTS (configs/
# timens.config, kunit.config and configs/arm64/*.config), LOCKED, the rule
# for $(B)/tree.stamp and the phony target "always".
#
#   build/tree + FRAGMENTS --(kbuild, aarch64-linux-gnu-gcc, O=build/arm64/obj)
#       --> build/arm64/Image
#   tests/*.c, bench/timens-bench.c --(static, cross)--> build/arm64/tests,
#       build/arm64/bench; tests/vdso.c for AArch32 too (tests/vdso32)
#   Debian's arm64 packages --(scripts/mkroot)--> build/arm64/root, the
#       guest's / (busybox, util-linux's unshare and nsenter)
#   build/arm64/Image --(scripts/check arm64, qemu-system-aarch64 -M virt,
#       TCG)--> "N passed, N failed"
#
# The suite is make check's but for what needs the host's x86-64 programs:
# the vDSO test, the kselftests, util-linux (tests/util-linux.sh, with
# Debian's arm64 unshare), the reliability tests and the benchmark's brief
# run. CRIU, crun and LXC, and the migration, stay on x86-64.
# check-debug and check-base are x86-64's alone.

A := $(B)/arm64
CROSS := aarch64-linux-gnu-
CROSS32 := arm-linux-gnueabihf-
ARM64_TESTS := vdso fuzz-offsets stress-timens wall-race leak-timens perm-timens
ARM64_TESTPROGS := $(addprefix $(A)/tests/,$(ARM64_TESTS)) $(A)/tests/vdso32

.PHONY: root kernel-stock bench-prog check-debug check-base kernel-base

# --- the kernels: the series, and for make bench the stock one
kernel: $(A)/Image
$(A)/obj/.config.stamp: $(B)/tree.stamp $(FRAGMENTS) scripts/kbuild
	@$(LOCKED) scripts/kbuild config $(B)/tree $(A)/obj $(B)/logs/kernel-arm64.log $(FRAGMENTS)
	@touch $@
$(A)/Image: $(A)/obj/.config.stamp always
	@$(LOCKED) scripts/kbuild build $(B)/tree $(A)/obj $(B)/logs/kernel-arm64.log $@

# (the anchor of make bench: Debian's source unmodified, as for x86_64)
kernel-stock: $(A)/Image-stock
$(A)/obj-stock/.config.stamp: $(B)/base.stamp $(FRAGMENTS) scripts/kbuild
	@$(LOCKED) scripts/kbuild config $(B)/upstream $(A)/obj-stock $(B)/logs/kernel-stock-arm64.log $(FRAGMENTS)
	@touch $@
$(A)/Image-stock: $(A)/obj-stock/.config.stamp
	@$(LOCKED) scripts/kbuild build $(B)/upstream $(A)/obj-stock $(B)/logs/kernel-stock-arm64.log $@
	@touch $@

# --- the programs, static for arm64
tests: $(ARM64_TESTPROGS) $(A)/bench/timens-bench
$(A)/tests/%: tests/%.c $(wildcard tests/*.h) bench/vdso-lookup.h
	@mkdir -p $(@D)
	$(CROSS)gcc -static -O2 -Wall -Wextra -o $@ $<
# the vDSO test as an AArch32 program: the compat vDSO's reads
$(A)/tests/vdso32: tests/vdso.c $(wildcard tests/*.h)
	@mkdir -p $(@D)
	$(CROSS32)gcc -static -O2 -Wall -Wextra -o $@ $<
bench-prog: $(A)/bench/timens-bench
$(A)/bench/timens-bench: bench/timens-bench.c bench/vdso-lookup.h tests/tap.h
	@mkdir -p $(@D)
	$(CROSS)gcc -static -O2 -Wall -Wextra -o $@ $<
selftests: kernel
	@$(LOCKED) scripts/selftests $(B)/tree $(A)/obj $(A)/selftests/timens

# --- the guest's root: Debian's arm64 packages, unpacked (never committed)
# (scripts/mkroot remakes it only when it or guest/root-init changed)
root: deps
	@$(LOCKED) scripts/mkroot $(A)/root

# --- booting
run: deps kernel root
	@scripts/locked $(B)/run/run.lock scripts/run $(A)/Image

check: deps kernel tests selftests root
	@scripts/locked $(B)/run/check-arm64.lock scripts/check arm64 check-arm64 $(A)/Image \
		guest series scenarios reliability bench

# the series against the stock kernel, side by side (scripts/bench)
bench: $(A)/Image $(A)/Image-stock $(A)/bench/timens-bench root
	@scripts/locked $(B)/run/bench.lock scripts/bench $(A)/Image $(A)/Image-stock \
		$(A)/bench/timens-bench

check-debug check-base kernel-base:
	@echo "make $@ is x86_64's: ARCH=arm64 has check, run, bench, bisect," \
	      "kernel, tests and selftests" >&2
	@exit 2

clean:
	$(LOCKED) rm -rf $(A)/obj $(A)/obj-stock $(A)/Image $(A)/Image-stock \
		$(A)/tests $(A)/bench $(A)/selftests $(B)/run/check-arm64 \
		$(B)/run/bench-*-arm64
