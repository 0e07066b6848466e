# make check-debug: the make check suite and the reliability tests on a debug
# kernel (SPEC.md section 4, issue 6). Included by the top Makefile
# ("include mk/debug.mk" after its rules), which defines B (build/),
# FRAGMENTS, LOCKED, the rule for $(B)/tree.stamp, the phony target "always"
# and the rule $(B)/tests/%: tests/%.c (make tests).
#
#   build/tree + configs/*.config + configs-debug/*.config
#       --(kbuild, O=build/obj-debug)--> build/bzImage-debug
#   build/tree --(scripts/selftests, obj-debug's headers)--> build/selftests-debug
#   build/bzImage-debug + tests --(scripts/check debug)--> "N passed, N failed"
#
# The debug fragment (configs-debug/debug.config): KASAN (generic, inline),
# lockdep (PROVE_LOCKING), DEBUG_ATOMIC_SLEEP, UBSAN, debugobjects with
# timers, DEBUG_LIST, kmemleak (scanned at the end of the run), the lockup
# detectors, fault injection. scripts/kbuild checks that every option landed.
# Measured (2 shared cores): the first build about 12 minutes, the run 13
# to 14 minutes (boot 16 s).
#
# Settings: DEBUG_BUILD_TIMEOUT (3000 s), and those of scripts/check's
# debug environment (MEM=2G, TIMEOUT=3600, TEST_TIMEOUT=900,
# STRESS_SECONDS=60, FUZZ_INPUTS).

DEBUG_FRAGMENTS := $(FRAGMENTS) $(sort $(wildcard configs-debug/*.config))
DEBUG_BUILD_TIMEOUT ?= 3000
LOCKED ?= scripts/locked $(B)/.lock
export STRESS_SECONDS FUZZ_INPUTS

.PHONY: check-debug kernel-debug selftests-debug clean-debug

kernel-debug: $(B)/bzImage-debug
$(B)/obj-debug/.config.stamp: $(B)/tree.stamp $(DEBUG_FRAGMENTS) scripts/kbuild
	@$(LOCKED) scripts/kbuild config $(B)/tree $(B)/obj-debug $(B)/logs/kernel-debug.log \
		$(DEBUG_FRAGMENTS)
	@touch $@
# always: as for $(B)/bzImage, the kernel's make is incremental
$(B)/bzImage-debug: $(B)/obj-debug/.config.stamp always
	@$(LOCKED) timeout $(DEBUG_BUILD_TIMEOUT) scripts/kbuild build $(B)/tree $(B)/obj-debug \
		$(B)/logs/kernel-debug.log $@

# the kselftests against the debug kernel's headers (same tree, same uapi)
selftests-debug: kernel-debug
	@$(LOCKED) scripts/selftests $(B)/tree $(B)/obj-debug $(B)/selftests-debug/timens

check-debug: deps kernel-debug tests selftests-debug
	@scripts/locked $(B)/run/check-debug.lock scripts/check debug check-debug \
		$(B)/bzImage-debug guest series scenarios reliability debug

clean-debug:
	$(LOCKED) rm -rf $(B)/obj-debug $(B)/bzImage-debug $(B)/selftests-debug \
		$(B)/run/check-debug
