/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the reliability tests of time namespaces
 * (tests/fuzz-offsets.c, stress-timens.c, leak-timens.c, perm-timens.c).
 *
 * Static programs, no library beyond libc: raw system calls for what glibc
 * 2.36 does not wrap (clone3, pidfd_open), a vDSO symbol lookup so that a
 * "vDSO read" is one for certain, a deterministic PRNG; TAP output from
 * tap.h.
 */
#ifndef TIMENS_REL_H
#define TIMENS_REL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "tap.h"
#include "../bench/vdso-lookup.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME		0x00000080
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD		0x00001000
#endif
#ifndef CLONE_CLEAR_SIGHAND
#define CLONE_CLEAR_SIGHAND	0x100000000ULL
#endif
#ifndef CSIGNAL
#define CSIGNAL			0x000000ff
#endif
#ifndef CLOCK_BOOTTIME_ALARM
#define CLOCK_BOOTTIME_ALARM	9
#endif
#ifndef __NR_clone3
#define __NR_clone3		435
#endif
#ifndef __NR_pidfd_open
#define __NR_pidfd_open		434
#endif

#define REL_NSEC		1000000000LL
#define REL_KTIME_SEC_MAX	9223372036LL	/* KTIME_MAX / NSEC_PER_SEC */
#define REL_CLOCK_SEC_MAX	(REL_KTIME_SEC_MAX / 2)
#define REL_PAGE		4096
#define REL_UNUSED		__attribute__((unused))

/* ---- PRNG: splitmix64, deterministic from a printed seed ---- */

static uint64_t rng_state __attribute__((unused));

static REL_UNUSED uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* uniform in [0, n) (n > 0) */
static REL_UNUSED uint64_t rnd(uint64_t n)
{
	return rng() % n;
}

static REL_UNUSED bool chance(unsigned int percent)
{
	return rnd(100) < percent;
}

/* ---- raw system calls ---- */

struct rel_clone_args {
	uint64_t flags;
	uint64_t pidfd;
	uint64_t child_tid;
	uint64_t parent_tid;
	uint64_t exit_signal;
	uint64_t stack;
	uint64_t stack_size;
	uint64_t tls;
	uint64_t set_tid;
	uint64_t set_tid_size;
	uint64_t cgroup;
};

/* clone3 like fork(): the child returns 0 on the parent's (copied) stack. */
static REL_UNUSED pid_t rel_clone3(uint64_t flags, int exit_signal)
{
	struct rel_clone_args args = {
		.flags = flags,
		.exit_signal = (uint64_t)exit_signal,
	};

	return syscall(__NR_clone3, &args, sizeof(args));
}

static REL_UNUSED int rel_pidfd_open(pid_t pid)
{
	return syscall(__NR_pidfd_open, pid, 0);
}

/*
 * long rel_clone3_fn(args, size, fn, arg): the child runs fn(arg) on
 * args->stack (aligned down to 16 bytes), then exits (exit, not
 * exit_group: a CLONE_THREAD child ends alone); the parent gets clone3's
 * result, -errno on failure. fn and arg are kept in callee-saved registers,
 * which the child inherits: it never reads the parent's stack.
 */
long rel_clone3_fn(struct rel_clone_args *args, size_t size, int (*fn)(void *), void *arg);
#if defined(__x86_64__)
__asm__(
	".text\n"
	".globl rel_clone3_fn\n"
	".type rel_clone3_fn,@function\n"
	"rel_clone3_fn:\n"
	"	push %r12\n"
	"	push %r13\n"
	"	mov %rdx, %r12\n"
	"	mov %rcx, %r13\n"
	"	mov $435, %eax\n"
	"	syscall\n"
	"	test %rax, %rax\n"
	"	jnz 1f\n"
	"	xor %ebp, %ebp\n"
	"	mov %r13, %rdi\n"
	"	and $-16, %rsp\n"
	"	call *%r12\n"
	"	mov %eax, %edi\n"
	"	mov $60, %eax\n"
	"	syscall\n"
	"	hlt\n"
	"1:	pop %r13\n"
	"	pop %r12\n"
	"	ret\n"
	".size rel_clone3_fn, .-rel_clone3_fn\n");
#elif defined(__aarch64__)
/* clone3 is 435 and exit 93 in the generic table */
__asm__(
	".text\n"
	".globl rel_clone3_fn\n"
	".type rel_clone3_fn,%function\n"
	".p2align 2\n"
	"rel_clone3_fn:\n"
	"	stp x19, x20, [sp, #-16]!\n"
	"	mov x19, x2\n"
	"	mov x20, x3\n"
	"	mov x8, #435\n"
	"	svc #0\n"
	"	cbnz x0, 1f\n"
	"	mov x29, xzr\n"
	"	mov x30, xzr\n"
	"	mov x9, sp\n"
	"	and x9, x9, #-16\n"
	"	mov sp, x9\n"
	"	mov x0, x20\n"
	"	blr x19\n"
	"	mov x8, #93\n"
	"	svc #0\n"
	"	brk #0\n"
	"1:	ldp x19, x20, [sp], #16\n"
	"	ret\n"
	".size rel_clone3_fn, .-rel_clone3_fn\n");
#endif

/* ---- clocks ---- */

typedef int (*vdso_gettime_t)(clockid_t, struct timespec *);
static vdso_gettime_t vdso_gettime __attribute__((unused));

/*
 * The vDSO's clock_gettime, found in the vDSO the kernel mapped
 * (AT_SYSINFO_EHDR) through its dynamic symbol table (bench/vdso-lookup.h).
 */
static REL_UNUSED bool rel_vdso_init(void)
{
	struct vdso_image img = { 0 };

	if (vdso_open(&img))
		return false;
	vdso_gettime = (vdso_gettime_t)vdso_lookup(&img, VDSO_CLOCK_GETTIME);
	if (!vdso_gettime)
		vdso_gettime = (vdso_gettime_t)vdso_lookup(&img, "clock_gettime");
	return vdso_gettime != NULL;
}

static REL_UNUSED inline int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * REL_NSEC + ts->tv_nsec;
}

/* through the vDSO (the libc call when there is none) */
static REL_UNUSED inline int64_t now_vdso(clockid_t clk)
{
	struct timespec ts;

	if (vdso_gettime ? vdso_gettime(clk, &ts) : clock_gettime(clk, &ts))
		return -1;
	return ts_ns(&ts);
}

/* through the system call, never the vDSO */
static REL_UNUSED inline int64_t now_sys(clockid_t clk)
{
	struct timespec ts;

	if (syscall(SYS_clock_gettime, clk, &ts))
		return -1;
	return ts_ns(&ts);
}

/*
 * The lowest of CLOCK_MONOTONIC, _RAW and _COARSE: the monotonic offset is
 * range checked on all three, and NTP's corrections (or a test's adjtimex
 * ADJ_TICK) can leave _RAW behind by more than a second.
 */
static REL_UNUSED inline int64_t rel_mono_low(void)
{
	int64_t t, low = now_sys(CLOCK_MONOTONIC);

	t = now_sys(CLOCK_MONOTONIC_RAW);
	if (t < low)
		low = t;
	t = now_sys(CLOCK_MONOTONIC_COARSE);
	return t < low ? t : low;
}

static REL_UNUSED void rel_msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---- files and namespaces ---- */

/* the whole of a small file; -errno on failure */
static REL_UNUSED ssize_t rel_read_file(const char *path, char *buf, size_t size)
{
	ssize_t n, got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((size_t)got < size - 1 &&
	       (n = read(fd, buf + got, size - 1 - got)) > 0)
		got += n;
	if (n < 0 && got == 0)
		got = -errno;
	close(fd);
	if (got >= 0)
		buf[got] = '\0';
	return got;
}

/* one write(2) of the whole string: 0 or -errno (open failures included) */
static REL_UNUSED int rel_write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	if (n < 0)
		err = -errno;
	else if ((size_t)n != strlen(s))
		err = -EIO;
	close(fd);
	return err;
}

static REL_UNUSED uint64_t rel_ino(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_ino;
}

static REL_UNUSED uint64_t rel_pid_ns_ino(pid_t pid, const char *which)
{
	char path[64];

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, which);
	else
		snprintf(path, sizeof(path), "/proc/self/ns/%s", which);
	return rel_ino(path);
}

/* format of a write: "monotonic S N\nboottime S N\n" from nanoseconds */
static REL_UNUSED void rel_split(int64_t ns, long long *sec, long *nsec)
{
	*sec = ns / REL_NSEC;
	*nsec = ns % REL_NSEC;
	if (*nsec < 0) {
		*nsec += REL_NSEC;
		(*sec)--;
	}
}

static REL_UNUSED int rel_set_offsets(pid_t pid, int64_t mono, int64_t boot)
{
	char path[64], buf[128];
	long long ms, bs;
	long mn, bn;

	rel_split(mono, &ms, &mn);
	rel_split(boot, &bs, &bn);
	snprintf(buf, sizeof(buf), "monotonic %lld %ld\nboottime %lld %ld\n",
		 ms, mn, bs, bn);
	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/timens_offsets", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/timens_offsets");
	return rel_write_file(path, buf);
}

/* /proc/PID/timens_offsets as nanoseconds; 0 or -errno (-EINVAL: malformed) */
static REL_UNUSED int rel_get_offsets(pid_t pid, int64_t *mono, int64_t *boot)
{
	char path[64], buf[256];
	long long ms, bs;
	long mn, bn;
	ssize_t n;
	int end = -1;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/timens_offsets", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/timens_offsets");

	n = rel_read_file(path, buf, sizeof(buf));
	if (n < 0)
		return n;
	/*
	 * As the selftests' tns_parse_offsets(): both lines, -EINVAL
	 * otherwise. A third line, realtime (shown while that offset is not
	 * zero), is not looked at: no test that reads through here sets it.
	 */
	if (sscanf(buf, "monotonic %lld %ld boottime %lld %ld%n", &ms, &mn, &bs, &bn, &end) != 4 ||
	    end < 0)
		return -EINVAL;
	*mono = ms * REL_NSEC + mn;
	*boot = bs * REL_NSEC + bn;
	return 0;
}

/* waitpid for a child's exit status; -1 when it died of a signal */
static REL_UNUSED int rel_wait(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, __WALL) < 0) {
		if (errno != EINTR)
			return -2;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return -1;
}

/*
 * Run @fn(@arg, @res) in a forked child and bring back the @size bytes it
 * left at @res. Return: 0, or -1 when the child could not be made or did
 * not report.
 */
static REL_UNUSED int rel_run_child(void (*fn)(void *arg, void *res), void *arg,
				    void *res, size_t size)
{
	ssize_t n;
	int p[2];
	pid_t pid;

	if (pipe(p))
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		fn(arg, res);
		_exit(write(p[1], res, size) == (ssize_t)size ? 0 : 1);
	}
	close(p[1]);
	n = pid < 0 ? -1 : read(p[0], res, size);
	close(p[0]);
	if (pid > 0)
		rel_wait(pid);
	return n == (ssize_t)size ? 0 : -1;
}

static REL_UNUSED const char *rel_errname(int err)
{
	static char other[32];

	switch (err) {
	case 0: return "0";
	case EINVAL: return "EINVAL";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case ERANGE: return "ERANGE";
	case ESRCH: return "ESRCH";
	case EFAULT: return "EFAULT";
	case EBADF: return "EBADF";
	case EUSERS: return "EUSERS";
	case ENOSPC: return "ENOSPC";
	case ENOMEM: return "ENOMEM";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENOENT: return "ENOENT";
	case ESPIPE: return "ESPIPE";
	case EEXIST: return "EEXIST";
	}
	snprintf(other, sizeof(other), "errno %d", err);
	return other;
}

/*
 * Line-buffered TAP, and the whole program skipped (exit 4, KSFT_SKIP)
 * unless it runs as root on a kernel with time namespaces.
 */
static inline void rel_need_root_timens(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root\n");
		exit(4);
	}
	if (access("/proc/self/ns/time_for_children", F_OK)) {
		printf("1..0 # SKIP no time namespaces\n");
		exit(4);
	}
}

#endif /* TIMENS_REL_H */
