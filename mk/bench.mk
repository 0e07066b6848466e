# make bench: this series against the stock Debian kernel (SPEC section 5).
# Included by the top Makefile, which defines B (build/), TARBALL, FRAGMENTS,
# LOCKED (one step at a time in build/) and the rule for $(B)/bzImage (the
# series' kernel).
#
#   build/upstream (scripts/mkbase: the tarball as unpacked, unmodified)
#   build/upstream + configs/ --(kbuild, O=build/obj-stock)--> build/bzImage-stock
#   bench/timens-bench.c --(gcc -static -O2)--> build/bench/timens-bench
#   bench/faketime-cases.c --(gcc -O2, dynamic)--> build/bench/faketime-cases
#   both kernels + the programs --(scripts/bench, -icount)--> table, ratios
#
# The stock kernel ("the anchor") is Debian's linux-source-6.12 as shipped,
# upstream's own time namespace left in, configured from the same fragments
# (CONFIG_TIME_NS=y is native there), built out of tree with ccache.

# BENCH_KERNEL: the kernel measured against the anchor (default: the series'
# own, built as for make check); e.g. a development build's bzImage.
# BENCH_BASE=1 adds the stripped base (make kernel-base), no time namespace
# at all: what the feature costs the root namespace.
BENCH_KERNEL ?= $(B)/bzImage
BENCH_BASE_KERNEL := $(if $(filter 1,$(BENCH_BASE)),$(B)/bzImage-base)
export BENCH_ARGS BENCH_SMP

.PHONY: bench kernel-stock bench-prog

BENCH_PROGS := $(B)/bench/timens-bench $(B)/bench/faketime-cases

bench: $(BENCH_KERNEL) $(B)/bzImage-stock $(BENCH_PROGS) $(BENCH_BASE_KERNEL)
	@scripts/locked $(B)/run/bench.lock scripts/bench $(BENCH_KERNEL) $(B)/bzImage-stock \
		$(B)/bench/timens-bench $(BENCH_BASE_KERNEL)

kernel-stock: $(B)/bzImage-stock
bench-prog: $(BENCH_PROGS)

# make check runs the program once (--brief) in its guest, and it runs
# faketime-cases: build them with the other test programs.
tests: $(BENCH_PROGS)

# The source: build/upstream, which scripts/mkbase unpacks with the base
# (base.stamp: it is there) and unpacks again only for a new package
# (upstream.stamp: its version). BASE_INFO: kbuild's log names it.
STOCK_INFO = Debian linux-source-6.12 $$(cat $(B)/upstream.stamp), unmodified
$(B)/obj-stock/.config.stamp: $(B)/base.stamp $(FRAGMENTS) scripts/kbuild
	@BASE_INFO="$(STOCK_INFO)" $(LOCKED) scripts/kbuild config $(B)/upstream $(B)/obj-stock $(B)/logs/kernel-stock.log $(FRAGMENTS)
	@touch $@
# (touch: kbuild keeps an unchanged image's mtime; the source never
# changes, so once built the anchor is up to date until reconfigured)
$(B)/bzImage-stock: $(B)/obj-stock/.config.stamp
	@BASE_INFO="$(STOCK_INFO)" $(LOCKED) scripts/kbuild build $(B)/upstream $(B)/obj-stock $(B)/logs/kernel-stock.log $@
	@touch $@

$(B)/bench/timens-bench: bench/timens-bench.c bench/vdso-lookup.h tests/tap.h
	@mkdir -p $(@D)
	gcc -static -O2 -Wall -Wextra -o $@ $<

# Dynamic, unlike every other program here: what libfaketime (LD_PRELOAD)
# is used on, and can only fake through the dynamic linker. timens-bench
# finds it beside itself.
$(B)/bench/faketime-cases: bench/faketime-cases.c bench/vdso-lookup.h
	@mkdir -p $(@D)
	gcc -O2 -Wall -Wextra -o $@ $<

# make clean removes the anchor's objects and the program too (distclean
# removes build/ whole); the unpacked source (build/upstream) stays.
# (The results, build/run/bench-*, go with build/run.)
.PHONY: clean-bench
clean: clean-bench
clean-bench:
	$(LOCKED) rm -rf $(B)/obj-stock $(B)/bzImage-stock $(B)/bench
