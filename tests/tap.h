/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TAP output for the project's C test programs (tests/NAME.c, bench/): the
 * plan, one "ok N desc" / "not ok N desc" a test, skips ("ok N desc #
 * SKIP reason") and "# " diagnostics, flushed line by line so that a
 * program killed by its timeout leaves what it printed. tap_exit() is the
 * exit status: 1 when a test failed, else 0. (tests/tap.sh is the same
 * for the shell scripts.)
 */
#ifndef TIMENS_TAP_H
#define TIMENS_TAP_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#define TAP_UNUSED	__attribute__((unused))

static int tap_n TAP_UNUSED, tap_failed TAP_UNUSED;

static TAP_UNUSED void tap_plan(int n)
{
	printf("TAP version 13\n1..%d\n", n);
	fflush(stdout);
}

/* one test: "ok N ..." when @pass; returns @pass */
static TAP_UNUSED bool __attribute__((format(printf, 2, 3)))
tap_result(bool pass, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	tap_failed += !pass;
	printf("%sok %d ", pass ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return pass;
}

/* a test that did not run: "ok N DESC # SKIP REASON" */
static TAP_UNUSED void __attribute__((format(printf, 2, 3)))
tap_skip(const char *desc, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("ok %d %s # SKIP ", tap_n, desc);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static TAP_UNUSED void __attribute__((format(printf, 1, 2))) tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static TAP_UNUSED int tap_exit(void)
{
	return tap_failed ? 1 : 0;
}

#endif /* TIMENS_TAP_H */
