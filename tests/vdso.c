// SPDX-License-Identifier: GPL-2.0
/*
 * The guest serves clock reads from the vDSO, without entering the kernel:
 * benchmarks of the vDSO path and tests of it mean nothing otherwise.
 *
 * A seccomp filter makes the clock_gettime, gettimeofday and time system
 * calls fail with ENOSYS; the libc calls must still succeed, so they did not
 * reach the kernel. Prints kselftest-style TAP.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

static int done, failed;

static void result(int pass, const char *name, int err)
{
	done++;
	failed += !pass;
	printf("%sok %d %s", pass ? "" : "not ", done, name);
	if (!pass)
		printf(" # %s", err ? strerror(err) : "wrong value");
	printf("\n");
}

#define DENY(nr) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS)

static int deny_clock_syscalls(void)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		DENY(SYS_clock_gettime),
		DENY(SYS_gettimeofday),
		DENY(SYS_time),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof(filter) / sizeof(filter[0]),
		.filter = filter,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

static void test_clock(const char *name, clockid_t clock)
{
	struct timespec ts = { 0, -1 };
	int ret = clock_gettime(clock, &ts);

	result(ret == 0 && ts.tv_nsec >= 0, name, ret ? errno : 0);
}

int main(void)
{
	struct timespec ts;
	struct timeval tv;
	char name[128];
	FILE *f;

	printf("TAP version 13\n1..8\n");
	f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
	if (f && fgets(name, sizeof(name), f))
		printf("# clocksource: %s", name);
	if (f)
		fclose(f);

	result(deny_clock_syscalls() == 0, "seccomp filter installed", errno);
	errno = 0;
	result(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts) == -1 &&
	       errno == ENOSYS, "the clock_gettime system call is denied", errno);
	test_clock("vDSO clock_gettime(CLOCK_MONOTONIC)", CLOCK_MONOTONIC);
	test_clock("vDSO clock_gettime(CLOCK_MONOTONIC_RAW)", CLOCK_MONOTONIC_RAW);
	test_clock("vDSO clock_gettime(CLOCK_BOOTTIME)", CLOCK_BOOTTIME);
	test_clock("vDSO clock_gettime(CLOCK_REALTIME)", CLOCK_REALTIME);
	result(gettimeofday(&tv, NULL) == 0, "vDSO gettimeofday()", errno);
	result(time(NULL) != (time_t)-1, "vDSO time()", errno);
	return failed != 0;
}
