// SPDX-License-Identifier: GPL-2.0
/*
 * Clocks are read through the vDSO, without entering the kernel, in the
 * root time namespace and in a namespace with offsets: benchmarks and
 * tests of the vDSO path mean nothing otherwise, and a silent fallback to
 * the system call would pass every other test.
 *
 * A child forbids itself the clock_gettime, gettimeofday, time (where the
 * architecture has one: x86-64, not arm64) and clock_getres system calls
 * with seccomp (ENOSYS), then reads every clock the vDSO serves (REALTIME,
 * MONOTONIC, MONOTONIC_RAW, REALTIME_COARSE, MONOTONIC_COARSE, BOOTTIME,
 * TAI), gettimeofday(), time() and the clocks' resolutions through libc,
 * which calls the vDSO. They must all succeed (so none reached the kernel),
 * while the filter is shown to trap a fallback: the system call itself
 * fails, and so does libc's clock_gettime of a CPU clock, which the vDSO
 * hands to the kernel. On arm64, whose vDSO has no time(), libc's time()
 * reads CLOCK_REALTIME_COARSE through the vDSO's clock_gettime: the same
 * check, a fallback of that read failing with ENOSYS too. Built for
 * AArch32 (make check ARCH=arm64's vdso32), it reads arm64's compat vDSO,
 * through clock_gettime64 where glibc has it; glibc's clock_getres() has
 * no vDSO entry there, and that test skips.
 *
 * The parent reads each clock before forking the child and after it
 * exited: the child's reading must lie between the two, plus the
 * namespace's offset for the clocks that have one (monotonic for
 * MONOTONIC, _RAW and _COARSE; boottime for BOOTTIME; none for the
 * others). No time is measured: the bounds are readings of the same clock.
 *
 * The second child runs in a time namespace with offsets (unshare, write
 * /proc/self/timens_offsets, fork): needs root and a kernel with time
 * namespaces, else those tests skip. Prints TAP.
 */
#include "tap.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME	0x00000080
#endif

#define MONO_OFFSET	(7 * 86400LL)	/* seconds */
#define BOOT_OFFSET	(400 * 86400LL)
#define NSEC		1000000000LL

enum offset { OFF_NONE, OFF_MONO, OFF_BOOT };

static const struct {
	clockid_t id;
	const char *name;
	enum offset off;
} clocks[] = {
	{ CLOCK_REALTIME, "CLOCK_REALTIME", OFF_NONE },
	{ CLOCK_MONOTONIC, "CLOCK_MONOTONIC", OFF_MONO },
	{ CLOCK_MONOTONIC_RAW, "CLOCK_MONOTONIC_RAW", OFF_MONO },
	{ CLOCK_REALTIME_COARSE, "CLOCK_REALTIME_COARSE", OFF_NONE },
	{ CLOCK_MONOTONIC_COARSE, "CLOCK_MONOTONIC_COARSE", OFF_MONO },
	{ CLOCK_BOOTTIME, "CLOCK_BOOTTIME", OFF_BOOT },
	{ CLOCK_TAI, "CLOCK_TAI", OFF_NONE },
};
#define NCLOCKS	(int)(sizeof(clocks) / sizeof(clocks[0]))
#define TESTS_PER_RUN	(5 + NCLOCKS)

/* what the child read, sent back through a pipe */
struct reading {
	int filter_err;			/* 0: the filter is installed */
	int sys_ret, sys_err;		/* syscall(SYS_clock_gettime) */
	int cpu_ret, cpu_err;		/* clock_gettime(CLOCK_PROCESS_CPUTIME_ID) */
	int ret[NCLOCKS], err[NCLOCKS];
	struct timespec ts[NCLOCKS];
	int res_ret[NCLOCKS], res_err[NCLOCKS];
	struct timespec res[NCLOCKS];
	int tv_ret, tv_err;
	struct timeval tv;
	time_t t;
	int t_err;
};

#define DENY(nr) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS)

static int deny_clock_syscalls(void)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		DENY(SYS_clock_gettime),
		DENY(SYS_gettimeofday),
#ifdef SYS_time
		DENY(SYS_time),
#endif
		DENY(SYS_clock_getres),
#ifdef SYS_clock_gettime64	/* 32-bit libcs' y2038-safe calls */
		DENY(SYS_clock_gettime64),
		DENY(SYS_clock_getres_time64),
#endif
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof(filter) / sizeof(filter[0]),
		.filter = filter,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return errno;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) ? errno : 0;
}

/* in the child: no clock system call from here on */
static void read_all(struct reading *r)
{
	struct timespec ts;
	int i;

	memset(r, 0, sizeof(*r));
	r->filter_err = deny_clock_syscalls();
	errno = 0;
	r->sys_ret = syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
	r->sys_err = errno;
	errno = 0;
	r->cpu_ret = clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	r->cpu_err = errno;
	for (i = 0; i < NCLOCKS; i++) {
		errno = 0;
		r->ret[i] = clock_gettime(clocks[i].id, &r->ts[i]);
		r->err[i] = errno;
		errno = 0;
		r->res_ret[i] = clock_getres(clocks[i].id, &r->res[i]);
		r->res_err[i] = errno;
	}
	errno = 0;
	r->tv_ret = gettimeofday(&r->tv, NULL);
	r->tv_err = errno;
	errno = 0;
	r->t = time(NULL);
	r->t_err = errno;
}

static int64_t ns_of(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * NSEC + ts->tv_nsec;
}

/* fork a child that reads; the parent's readings before and after it */
static int run_child(struct reading *r, struct timespec *before, struct timespec *after,
		     struct timeval *tv0, struct timeval *tv1, time_t *t0, time_t *t1)
{
	int p[2], i, status;
	ssize_t n;
	pid_t pid;

	if (pipe(p))
		return errno;
	gettimeofday(tv0, NULL);
	*t0 = time(NULL);
	for (i = 0; i < NCLOCKS; i++)
		clock_gettime(clocks[i].id, &before[i]);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return errno;
	if (pid == 0) {
		close(p[0]);
		read_all(r);
		_exit(write(p[1], r, sizeof(*r)) == (ssize_t)sizeof(*r) ? 0 : 1);
	}
	close(p[1]);
	n = read(p[0], r, sizeof(*r));
	close(p[0]);
	waitpid(pid, &status, 0);
	for (i = 0; i < NCLOCKS; i++)
		clock_gettime(clocks[i].id, &after[i]);
	*t1 = time(NULL);
	gettimeofday(tv1, NULL);
	return n == (ssize_t)sizeof(*r) ? 0 : EPROTO;
}

static void check(const char *where, int64_t mono, int64_t boot)
{
	struct timespec before[NCLOCKS], after[NCLOCKS];
	struct timeval tv0, tv1;
	struct reading r;
	time_t t0 = 0, t1 = 0;
	int i, err;
	bool ok;
#ifdef __arm__
	char desc[160];
#endif

	err = run_child(&r, before, after, &tv0, &tv1, &t0, &t1);
	if (err) {
		for (i = 0; i < TESTS_PER_RUN; i++)
			tap_result(false, "%s: the child read its clocks # %s", where, strerror(err));
		return;
	}
	tap_result(!r.filter_err, "%s: seccomp filter against the clock system calls installed%s%s",
		   where, r.filter_err ? " # " : "", r.filter_err ? strerror(r.filter_err) : "");
	tap_result(r.sys_ret == -1 && r.sys_err == ENOSYS,
		   "%s: the clock_gettime system call is denied (ENOSYS; got %d, %s)",
		   where, r.sys_ret, strerror(r.sys_err));
	tap_result(r.cpu_ret == -1 && r.cpu_err == ENOSYS,
		   "%s: a fallback is trapped: clock_gettime(CLOCK_PROCESS_CPUTIME_ID), "
		   "which the vDSO passes to the kernel, fails with ENOSYS (got %d, %s)",
		   where, r.cpu_ret, strerror(r.cpu_err));
	for (i = 0; i < NCLOCKS; i++) {
		int64_t off = clocks[i].off == OFF_MONO ? mono :
			      clocks[i].off == OFF_BOOT ? boot : 0;
		int64_t v = ns_of(&r.ts[i]) - off;

		ok = r.ret[i] == 0 && v >= ns_of(&before[i]) && v <= ns_of(&after[i]);
		tap_result(ok, "%s: vDSO clock_gettime(%s) = %lld.%09ld: the parent's reading "
			   "before and after, %+lld s", where, clocks[i].name,
			   (long long)r.ts[i].tv_sec, (long)r.ts[i].tv_nsec, (long long)(off / NSEC));
		if (!ok)
			tap_diag("  %s; parent: %lld.%09ld .. %lld.%09ld",
				 r.ret[i] ? strerror(r.err[i]) : "out of range",
				 (long long)before[i].tv_sec, (long)before[i].tv_nsec,
				 (long long)after[i].tv_sec, (long)after[i].tv_nsec);
	}
#ifdef __arm__
	/* an AArch32 glibc has no vDSO entry for it: the system call, denied */
	snprintf(desc, sizeof(desc), "%s: vDSO clock_getres() of every clock", where);
	tap_skip(desc, "libc's clock_getres() does not use the vDSO on 32-bit Arm");
#else
	ok = true;
	for (i = 0; i < NCLOCKS; i++) {
		struct timespec res;

		clock_getres(clocks[i].id, &res);
		if (r.res_ret[i] || r.res[i].tv_sec != res.tv_sec || r.res[i].tv_nsec != res.tv_nsec) {
			tap_diag("  clock_getres(%s): %s, %lld.%09ld (parent: %lld.%09ld)", clocks[i].name,
				 r.res_ret[i] ? strerror(r.res_err[i]) : "ok",
				 (long long)r.res[i].tv_sec, (long)r.res[i].tv_nsec,
				 (long long)res.tv_sec, (long)res.tv_nsec);
			ok = false;
		}
	}
	tap_result(ok, "%s: vDSO clock_getres() of every clock, as the parent's", where);
#endif
	ok = r.tv_ret == 0 && r.t_err == 0 && timercmp(&tv0, &r.tv, <=) &&
	     timercmp(&r.tv, &tv1, <=) && r.t >= t0 && r.t <= t1;
	tap_result(ok, "%s: vDSO gettimeofday() and time(), no offset: between the parent's", where);
	if (!ok)
		tap_diag("  gettimeofday %d (%s) %lld.%06ld in %lld.%06ld .. %lld.%06ld; time %lld (%s) in %lld .. %lld",
			 r.tv_ret, strerror(r.tv_err), (long long)r.tv.tv_sec, (long)r.tv.tv_usec,
			 (long long)tv0.tv_sec, (long)tv0.tv_usec, (long long)tv1.tv_sec,
			 (long)tv1.tv_usec, (long long)r.t, strerror(r.t_err), (long long)t0,
			 (long long)t1);
}

/* our children in a new time namespace with the offsets; 0 or errno */
static int enter_offsets(void)
{
	char buf[128];
	int fd, err = 0;
	ssize_t n;

	if (unshare(CLONE_NEWTIME))
		return errno;
	snprintf(buf, sizeof(buf), "monotonic %lld 0\nboottime %lld 0\n", MONO_OFFSET, BOOT_OFFSET);
	fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	n = write(fd, buf, strlen(buf));
	if (n != (ssize_t)strlen(buf))
		err = n < 0 ? errno : EIO;
	close(fd);
	return err;
}

int main(void)
{
	char name[128];
	FILE *f;
	int err, i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	tap_plan(2 * TESTS_PER_RUN);
	f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
	if (f && fgets(name, sizeof(name), f))
		tap_diag("clocksource: %.*s", (int)strcspn(name, "\n"), name);
	if (f)
		fclose(f);

	check("root namespace", 0, 0);

	if (geteuid() != 0)
		err = EPERM;
	else if (access("/proc/self/ns/time_for_children", F_OK))
		err = ENOENT;
	else
		err = enter_offsets();
	if (err) {
		for (i = 0; i < TESTS_PER_RUN; i++)
			tap_skip("time namespace with offsets", "%s",
				 err == EPERM ? "needs root" : err == ENOENT ?
				 "no time namespaces in this kernel" : strerror(err));
		return tap_exit();
	}
	check("time namespace (monotonic +7 d, boottime +400 d)", MONO_OFFSET * NSEC,
	      BOOT_OFFSET * NSEC);
	return tap_exit();
}
