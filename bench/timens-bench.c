// SPDX-License-Identifier: GPL-2.0
/*
 * timens-bench: what a time namespace costs, measured in one process.
 *
 * Reads clocks through the vDSO (found with our own lookup in the ELF image
 * at AT_SYSINFO_EHDR, bench/vdso-lookup.h) and by system call, in the
 * initial ("root") time namespace, in two namespaces with non-zero offsets
 * and, where the kernel has it (this series, not upstream), in one with a
 * wall clock of its own; times creating, entering and destroying a
 * namespace (unshare, write the offsets, fork a child into it that exits,
 * wait), and its parts; arming absolute CLOCK_REALTIME timers (timerfd,
 * POSIX timer, clock_nanosleep) in those namespaces; receiving a UDP
 * datagram with its SO_TIMESTAMPNS stamp there; setting the host's
 * clock and, with 0, 100 and 10000 timers armed on it, a namespace's own
 * wall clock. Last, it runs bench/faketime-cases (dynamic, beside it) plain,
 * under Debian's faketime and in a namespace whose wall clock is a year
 * ahead: what each approach gets right, and what a read costs.
 *
 * Timing: meant for a guest under QEMU's "-icount shift=0,sleep=off", where
 * guest time counts executed instructions (1 ns each). The time around a
 * loop of N calls (CLOCK_MONOTONIC_RAW, by system call), less the time
 * around the same loop without the call, divided by N, is the number of
 * instructions a call costs, the caller's three (argument set-up, call)
 * included. Each round measures everything once, the namespaces in turns
 * of order; the figures are the median, 10th and 90th percentile over the
 * rounds. The program runs without address space randomisation (it
 * re-executes itself so), which would move the cost of a fork by a few
 * percent from boot to boot.
 *
 * Before the rounds, each namespace's clocks are checked against the
 * system call and the offsets, and one call of CLOCK_MONOTONIC,
 * CLOCK_BOOTTIME and CLOCK_REALTIME is single-stepped: "# trace NS CLOCK N
 * instructions in the vDSO: OFFSETS..." lists the instructions it executed
 * (objdump's addresses), a cross-check of the timed figures (N + 3).
 *
 * Output is TAP: the checks are test points, everything else is a comment.
 * Lines "# result PATH NS CLOCK MEDIAN P10 P90 ROUNDS" carry the figures for
 * scripts/bench. Exit status 0 when every check passed.
 *
 * Usage: timens-bench [--brief] [--root-only] [--rounds R] [--calls N]
 *                     [--syscalls N] [--forks K] [--arms N] [--udps N]
 *                     [--sets N]
 *        timens-bench --print-realtime
 *   --brief: a few short rounds, only to prove that everything works
 *            (no single-stepped trace: see main()).
 *   --root-only: no namespace at all, for a kernel without them (the
 *                stripped base): the root namespace's figures only.
 *   --sets N: clock_settime() calls a round, a multiple of 8 (see
 *                host_set_rounds()).
 *   --print-realtime: print "realtime SECS NSECS" (libc's clock_gettime)
 *                and exit: faketime-cases' static program.
 *
 * The program steps the host's wall clock: by less than a second at the
 * start (align_realtime()) and, timing clock_settime(), back and forth by
 * microseconds, put right after. It is meant for a throwaway guest.
 */
#define _GNU_SOURCE
#include "../tests/tap.h"
#include "vdso-lookup.h"
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/auxv.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/user.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#define NSEC_PER_SEC 1000000000LL

/*
 * The namespaces' offsets, and where in the host's second their loops run.
 * What a read in a namespace costs depends on whether the host's
 * nanoseconds plus the offset's leave [0, 1 s) and need a correction, and
 * each implementation keeps the offset its own way: upstream's nanoseconds
 * are in [0, 1 s) and carry when the sum reaches a second; this series'
 * are in (-1 s, 0] (struct vdso_ns_offset) and borrow when the sum is
 * negative. The loops of a round in a namespace last a few milliseconds,
 * so they start at a chosen phase of the host's second and every read in
 * them takes the same branch:
 *   timens     offsets of N s + 0.5 s, loops from 0.1 s of the host's
 *              second on: every read of this series borrows (its worst
 *              case), no read of upstream carries (its best case);
 *   timens_hi  the same offsets, loops from 0.6 s on: no read of this
 *              series borrows (its best case, as with any offset of whole
 *              seconds), every read of upstream carries (its worst).
 *   timens_wall  timens' offsets, and a wall clock of its own (a realtime
 *              line) 365 days and 0.5 s ahead, loops from 0.1 s on: every
 *              read of every clock borrows, CLOCK_REALTIME's and the
 *              COARSE clocks' too, this series' worst case. Upstream
 *              answers the realtime line with EINVAL and the namespace is
 *              left out there.
 * Not right after a whole second: until the next tick updates the vDSO's
 * data, every reader's nanoseconds, the root's too, come out above a
 * second and carry. An offset with random nanoseconds costs between the
 * two cases.
 * The phase is CLOCK_MONOTONIC's; CLOCK_REALTIME's nanoseconds differ from
 * it by whatever fraction of a second the clock was last set at (the RTC's
 * whole seconds, some way into the boot). align_realtime() steps the host's
 * wall clock by less than a second so that the two agree: the realtime
 * loops then run at the same phase of their own second, in every
 * namespace, the root's included, and on both kernels.
 */
struct nsdef {
	const char *name;
	long long mono_sec, mono_nsec, boot_sec, boot_nsec;
	int wall;		/* a realtime line: a wall clock of its own */
	long long rt_sec, rt_nsec;
	long long phase;	/* host nanoseconds at which the loops start */
};

enum { NS_ROOT, NS_TIMENS, NS_TIMENS_HI, NS_TIMENS_WALL, NR_NS };
static const struct nsdef nsdefs[NR_NS] = {
	{ "root",	0, 0, 0, 0, 0, 0, 0, 100000000 },
	/* 10 and 20 days */
	{ "timens",	864000, 500000000, 1728000, 500000000, 0, 0, 0, 100000000 },
	{ "timens_hi",	864000, 500000000, 1728000, 500000000, 0, 0, 0, 600000000 },
	/* the wall clock: 365 days */
	{ "timens_wall", 864000, 500000000, 1728000, 500000000, 1, 31536000, 500000000,
	  100000000 },
};
#define NS_LIFE NS_TIMENS	/* the offsets written by the lifecycle loop */

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);

static clock_gettime_fn vdso_cgt;
/* TAP: tap_result() a check; the plan comes last, when the checks are known */
#define check tap_result

/* ------------------------------------------------------------------ */
/* Clocks and loops                                                    */

static inline long sys_clock_gettime(clockid_t clk, struct timespec *ts)
{
	/* inline: the syscall path's figure is the kernel's, not libc's */
#if defined(__x86_64__)
	long ret;

	asm volatile("syscall"
		     : "=a"(ret)
		     : "0"((long)SYS_clock_gettime), "D"((long)clk), "S"(ts)
		     : "rcx", "r11", "memory");
	return ret;
#elif defined(__aarch64__)
	register long x8 asm("x8") = SYS_clock_gettime;
	register long x0 asm("x0") = clk;
	register long x1 asm("x1") = (long)ts;

	asm volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1) : "memory");
	return x0;
#endif
}

/* The time base: instructions under -icount shift=0 */
static inline int64_t now(void)
{
	struct timespec ts;

	sys_clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static int64_t ts_ns(const struct timespec *ts)
{
	return ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec;
}

/*
 * The loops: the same loop control, with a call through the vDSO pointer,
 * a system call, or nothing. noinline keeps each one the same code in
 * every use.
 */
__attribute__((noinline)) static int64_t loop_vdso(clockid_t clk, long n)
{
	clock_gettime_fn fn = vdso_cgt;
	struct timespec ts;
	int64_t t0, t1;
	long i;

	t0 = now();
	for (i = 0; i < n; i++)
		fn(clk, &ts);
	t1 = now();
	return t1 - t0;
}

__attribute__((noinline)) static int64_t loop_syscall(clockid_t clk, long n)
{
	struct timespec ts;
	int64_t t0, t1;
	long i;

	t0 = now();
	for (i = 0; i < n; i++)
		sys_clock_gettime(clk, &ts);
	t1 = now();
	return t1 - t0;
}

__attribute__((noinline)) static int64_t loop_empty(clockid_t clk, long n)
{
	clock_gettime_fn fn = vdso_cgt;
	struct timespec ts;
	int64_t t0, t1;
	long i;

	t0 = now();
	for (i = 0; i < n; i++)
		asm volatile("" : : "r"(fn), "r"(clk), "r"(&ts) : "memory");
	t1 = now();
	return t1 - t0;
}

/* ------------------------------------------------------------------ */
/* Timers and setting the clock                                        */

/*
 * Arming an absolute CLOCK_REALTIME deadline, in the caller's namespace,
 * where the series converts it with the namespace's wall clock and, for a
 * clock of its own, links the timer to it (what a set of that clock must
 * move). One operation: a timerfd or POSIX timer armed an hour ahead and
 * disarmed (what a program that re-arms its timers does, and no timer
 * left linked); a clock_nanosleep() to a deadline a second past, which
 * converts it and returns at once.
 */
enum { A_TIMERFD, A_POSIX, A_SLEEP, NR_ARM };
static const char *const arm_names[NR_ARM] = { "timerfd", "posix_timer", "nanosleep_past" };
static int arm_tfd = -1, arm_timer = -1;	/* both CLOCK_REALTIME */

__attribute__((noinline)) static int64_t loop_arm(int kind, long n, int *err)
{
	struct itimerspec on = { 0 }, off = { 0 };
	struct timespec past;
	int64_t t0, t1;
	long i, ret = 0;

	vdso_cgt(CLOCK_REALTIME, &on.it_value);
	past = on.it_value;
	on.it_value.tv_sec += 3600;
	past.tv_sec -= 1;
	t0 = now();
	switch (kind) {
	case A_TIMERFD:
		for (i = 0; i < n; i++) {
			ret |= sys4(SYS_timerfd_settime, arm_tfd, TFD_TIMER_ABSTIME, (long)&on, 0);
			ret |= sys4(SYS_timerfd_settime, arm_tfd, 0, (long)&off, 0);
		}
		break;
	case A_POSIX:
		for (i = 0; i < n; i++) {
			ret |= sys4(SYS_timer_settime, arm_timer, TIMER_ABSTIME, (long)&on, 0);
			ret |= sys4(SYS_timer_settime, arm_timer, 0, (long)&off, 0);
		}
		break;
	case A_SLEEP:
		for (i = 0; i < n; i++)
			ret |= sys4(SYS_clock_nanosleep, CLOCK_REALTIME, TIMER_ABSTIME,
				    (long)&past, 0);
		break;
	}
	t1 = now();
	if (ret)
		*err = 1;
	return t1 - t0;
}

/* The timers of loop_arm(): a timerfd, a POSIX timer that signals nothing */
static int arm_create(void)
{
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };

	arm_tfd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC);
	if (arm_tfd < 0 ||
	    sys4(SYS_timer_create, CLOCK_REALTIME, (long)&sev, (long)&arm_timer, 0))
		return -1;
	return 0;
}

/*
 * Receiving a datagram with its stamp: one operation is a UDP datagram
 * sent on the loopback to a socket of our own and received with
 * SO_TIMESTAMPNS's control message, which the series reports in the
 * receiver's namespace (its wall clock's). Everything else on the path is
 * the network stack's, the same in every namespace and on both kernels.
 */
static int udp_rx = -1, udp_tx = -1;

/* A datagram received on udp_rx, with room for its stamp's message */
struct udp_msg {
	union {
		char buf[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr align;
	} ctl;
	char data[64];
	struct iovec iov;
	struct msghdr m;
};

static void udp_msg_init(struct udp_msg *u)
{
	memset(u, 0, sizeof(*u));
	u->iov.iov_base = u->data;
	u->iov.iov_len = sizeof(u->data);
	u->m.msg_iov = &u->iov;
	u->m.msg_iovlen = 1;
}

/* Receive a datagram of @len bytes: its SO_TIMESTAMPNS message, or NULL */
static inline struct cmsghdr *udp_recv_stamped(struct udp_msg *u, ssize_t len)
{
	struct cmsghdr *cm;

	u->m.msg_control = u->ctl.buf;
	u->m.msg_controllen = sizeof(u->ctl.buf);
	if (recvmsg(udp_rx, &u->m, 0) != len)
		return NULL;
	cm = CMSG_FIRSTHDR(&u->m);
	return cm && cm->cmsg_type == SCM_TIMESTAMPNS ? cm : NULL;
}

__attribute__((noinline)) static int64_t loop_udp(long n, int *err)
{
	static const char payload[32] = "timens-bench";
	struct udp_msg u;
	int64_t t0, t1;
	long i, bad = 0;

	udp_msg_init(&u);
	t0 = now();
	for (i = 0; i < n; i++) {
		bad |= send(udp_tx, payload, sizeof(payload), 0) != sizeof(payload);
		bad |= !udp_recv_stamped(&u, sizeof(payload));
	}
	t1 = now();
	if (bad)
		*err = 1;
	return t1 - t0;
}

/*
 * The sockets of loop_udp(), on 127.0.0.1: made for each measurement and
 * closed after it, so that the forks of the lifecycle loops copy the same
 * descriptor table as ever.
 */
static void udp_close(void)
{
	if (udp_rx >= 0)
		close(udp_rx);
	if (udp_tx >= 0)
		close(udp_tx);
	udp_rx = udp_tx = -1;
}

static int udp_create(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int on = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	udp_rx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	udp_tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (udp_rx < 0 || udp_tx < 0 ||
	    bind(udp_rx, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(udp_rx, (struct sockaddr *)&a, &len) ||
	    setsockopt(udp_rx, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) ||
	    connect(udp_tx, (struct sockaddr *)&a, sizeof(a)))
		return -1;
	return 0;
}

/*
 * One datagram's stamp against CLOCK_REALTIME read around it in the
 * current namespace: the figures of a path that reported the wrong
 * clock would mean nothing.
 */
static int udp_stamp_right(void)
{
	struct timespec before, after, stamp;
	struct cmsghdr *cm;
	struct udp_msg u;

	udp_msg_init(&u);
	clock_gettime(CLOCK_REALTIME, &before);
	if (send(udp_tx, "x", 1, 0) != 1)
		return 0;
	cm = udp_recv_stamped(&u, 1);
	clock_gettime(CLOCK_REALTIME, &after);
	if (!cm)
		return 0;
	memcpy(&stamp, CMSG_DATA(cm), sizeof(stamp));
	if (ts_ns(&stamp) < ts_ns(&before) || ts_ns(&stamp) > ts_ns(&after)) {
		printf("# stamp %lld.%09ld outside [%lld.%09ld, %lld.%09ld]\n",
		       (long long)stamp.tv_sec, stamp.tv_nsec, (long long)before.tv_sec,
		       before.tv_nsec, (long long)after.tv_sec, after.tv_nsec);
		return 0;
	}
	return 1;
}

/*
 * Setting the clock: @n clock_settime(CLOCK_REALTIME) calls, to @base plus
 * a second and back to @base in turns (@n even: the clock ends where it was
 * at the start of the loop, the loop's own time behind). In a namespace
 * whose wall clock is its own, this sets that clock and moves the timers
 * armed on it.
 */
__attribute__((noinline)) static int64_t loop_set(const struct timespec *base, long n,
						  int *err)
{
	struct timespec ts[2] = { *base, *base };
	int64_t t0, t1;
	long i, ret = 0;

	ts[0].tv_sec++;
	t0 = now();
	for (i = 0; i < n; i++)
		ret |= sys4(SYS_clock_settime, CLOCK_REALTIME, (long)&ts[i & 1], 0, 0);
	t1 = now();
	if (ret)
		*err = 1;
	return t1 - t0;
}

/*
 * The host's clock set to what it reads (@set) or only read: the
 * difference is what clock_settime() costs. Each set puts the clock back
 * by the time since the read; host_set_rounds() puts that right.
 */
__attribute__((noinline)) static int64_t loop_host_set(long n, int set, int *err)
{
	struct timespec ts;
	int64_t t0, t1;
	long i, ret = 0;

	t0 = now();
	for (i = 0; i < n; i++) {
		vdso_cgt(CLOCK_REALTIME, &ts);
		if (set)
			ret |= sys4(SYS_clock_settime, CLOCK_REALTIME, (long)&ts, 0, 0);
	}
	t1 = now();
	if (ret)
		*err = 1;
	return t1 - t0;
}

/* ------------------------------------------------------------------ */
/* Results                                                             */

static const struct {
	clockid_t id;
	const char *name;
	int offset;	/* 1 monotonic, 2 boottime, 3 realtime */
} clocks[] = {
	{ CLOCK_MONOTONIC,		"CLOCK_MONOTONIC",		1 },
	{ CLOCK_BOOTTIME,		"CLOCK_BOOTTIME",		2 },
	{ CLOCK_REALTIME,		"CLOCK_REALTIME",		3 },
	{ CLOCK_MONOTONIC_RAW,		"CLOCK_MONOTONIC_RAW",		1 },
	{ CLOCK_MONOTONIC_COARSE,	"CLOCK_MONOTONIC_COARSE",	1 },
	{ CLOCK_REALTIME_COARSE,	"CLOCK_REALTIME_COARSE",	3 },
};
#define NCLOCKS (int)(sizeof(clocks) / sizeof(clocks[0]))

enum { P_VDSO, P_SYSCALL, NR_PATHS };
static const char *const path_names[NR_PATHS] = { "vdso", "syscall" };
/*
 * The lifecycle loops, each from the root namespace: a plain fork, exit and
 * wait (the baseline); the full create, enter and destroy; and its first
 * steps alone, to see where the cost lies.
 */
enum { L_FORK, L_TIMENS, L_UNSHARE, L_UNSHARE_WRITE, NR_LIFE };
static const char *const life_names[NR_LIFE] = {
	"fork_wait", "create_enter_exit", "unshare_destroy", "unshare_write_destroy"
};

#define MAX_ROUNDS 1000
static double per_call[NR_PATHS][NR_NS][NCLOCKS][MAX_ROUNDS];
static double per_life[NR_LIFE][MAX_ROUNDS];
static double per_empty[NR_NS][MAX_ROUNDS];
static double per_arm[NR_ARM][NR_NS][MAX_ROUNDS];
static double per_udp[NR_NS][MAX_ROUNDS];

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Percentile with linear interpolation; sorts v. */
static double percentile(double *v, int n, double p)
{
	double pos, frac;
	int i;

	qsort(v, n, sizeof(*v), cmp_double);
	pos = p * (n - 1);
	i = (int)pos;
	frac = pos - i;
	return i + 1 < n ? v[i] + frac * (v[i + 1] - v[i]) : v[i];
}

static void report(const char *path, const char *ns, const char *clock,
		   double *v, int n)
{
	double p10 = percentile(v, n, 0.10);
	double p50 = percentile(v, n, 0.50);
	double p90 = percentile(v, n, 0.90);

	printf("# result %-7s %-11s %-22s %12.2f %12.2f %12.2f %4d\n",
	       path, ns, clock, p50, p10, p90, n);
}

/* ------------------------------------------------------------------ */
/* Namespaces                                                          */

/*
 * Wait until the host's CLOCK_MONOTONIC reaches @d's phase of its second,
 * reading the clock of @d's namespace (entered), which is ahead by @d's
 * offset. Sleep (under -icount with sleep=off that takes no real time)
 * until shortly before, then spin: a CPU that was idle has no tick, and
 * the vDSO's data would be stale, seconds old, when the loops begin.
 */
static void align_phase(const struct nsdef *d)
{
	long long want = (d->phase + d->mono_nsec) % NSEC_PER_SEC;
	struct timespec t;
	int64_t until;

	sys_clock_gettime(CLOCK_MONOTONIC, &t);
	if (t.tv_nsec >= want)
		t.tv_sec++;
	t.tv_nsec = want;
	until = ts_ns(&t);
	t.tv_sec--;
	t.tv_nsec += NSEC_PER_SEC - 20000000;	/* 20 ms before */
	if (t.tv_nsec >= NSEC_PER_SEC) {
		t.tv_sec++;
		t.tv_nsec -= NSEC_PER_SEC;
	}
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL);
	do
		sys_clock_gettime(CLOCK_MONOTONIC, &t);
	while (ts_ns(&t) < until);
}

/* one write of @buf to timens_offsets; errno kept for the caller */
static int write_buf(const char *buf)
{
	int fd, len = strlen(buf), ok, err;

	fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ok = write(fd, buf, len) == len;
	err = errno;
	close(fd);
	errno = err;
	return ok ? 0 : -1;
}

/* the monotonic and boottime offsets, in one write as upstream's clients do */
static int write_offsets(const struct nsdef *d)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "monotonic %lld %lld\nboottime %lld %lld\n",
		 d->mono_sec, d->mono_nsec, d->boot_sec, d->boot_nsec);
	return write_buf(buf);
}

/*
 * The realtime line, in a write of its own: a kernel without wall clocks
 * (upstream) rejects it with EINVAL, and a write is all or nothing.
 */
static int write_realtime(long long sec, long long nsec)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "realtime %lld %lld\n", sec, nsec);
	return write_buf(buf);
}

/* --root-only: a kernel without time namespaces, the root's figures only */
static int root_only;

static int enter(int fd)
{
	return root_only ? 0 : setns(fd, CLONE_NEWTIME);
}

/*
 * Create, enter and destroy: each iteration unshares a new namespace for
 * the children (which frees the previous iteration's), writes its offsets,
 * forks a child into it that exits at once, and waits for it. L_FORK: only
 * the fork, exit and wait; L_UNSHARE(_WRITE): only the first step(s).
 */
static int life_once(int kind)
{
	int status;
	pid_t pid;

	if (kind != L_FORK && unshare(CLONE_NEWTIME))
		return -1;
	if ((kind == L_TIMENS || kind == L_UNSHARE_WRITE) &&
	    write_offsets(&nsdefs[NS_LIFE]))
		return -1;
	if (kind == L_UNSHARE || kind == L_UNSHARE_WRITE)
		return 0;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(0);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return -1;
	return 0;
}

static int64_t life_loop(int kind, int k, int *err)
{
	int64_t t0, t1;
	int i;

	if (life_once(kind))	/* warm-up; leaves a namespace to destroy */
		*err = 1;
	t0 = now();
	for (i = 0; i < k; i++)
		if (life_once(kind))
			*err = 1;
	t1 = now();
	return t1 - t0;
}

/*
 * Compare the vDSO's reading of each clock with the system call's, in the
 * current namespace, and with the root namespace's readings @root (taken
 * just before entering) shifted by the clock's offset.
 */
static int check_clocks(int ns, const struct timespec *root)
{
	const struct nsdef *d = &nsdefs[ns];
	int c, ok = 1;

	for (c = 0; c < NCLOCKS; c++) {
		struct timespec v, s;
		int64_t expect, d_sys, d_root;
		int r;

		r = vdso_cgt(clocks[c].id, &v);
		sys_clock_gettime(clocks[c].id, &s);
		expect = ts_ns(&root[c]);
		if (clocks[c].offset == 1)
			expect += d->mono_sec * NSEC_PER_SEC + d->mono_nsec;
		if (clocks[c].offset == 2)
			expect += d->boot_sec * NSEC_PER_SEC + d->boot_nsec;
		if (clocks[c].offset == 3)
			expect += d->rt_sec * NSEC_PER_SEC + d->rt_nsec;
		d_sys = ts_ns(&s) - ts_ns(&v);
		d_root = ts_ns(&v) - expect;
		/*
		 * Coarse clocks lag by up to a tick (4 ms at HZ=250); the
		 * system call follows the vDSO read, never precedes it.
		 */
		if (r || v.tv_nsec < 0 || v.tv_nsec >= NSEC_PER_SEC ||
		    d_sys < -10000000 || d_sys > 1000000000 ||
		    d_root < -10000000 || d_root > 1000000000) {
			printf("# %s %s: vdso %lld.%09ld (ret %d), syscall %lld.%09ld, expected about %lld ns\n",
			       d->name, clocks[c].name, (long long)v.tv_sec, v.tv_nsec,
			       r, (long long)s.tv_sec, s.tv_nsec, (long long)expect);
			ok = 0;
		}
	}
	return ok;
}

static void read_root(struct timespec *root)
{
	int c;

	for (c = 0; c < NCLOCKS; c++)
		sys_clock_gettime(clocks[c].id, &root[c]);
}

#define CLOCKSOURCE "/sys/devices/system/clocksource/clocksource0/current_clocksource"

/*
 * x86 boots on "tsc-early" and switches to "tsc" with a refined calibration
 * about a second later: measure after the switch, with the final scale
 * (5 s at most; both are served by the vDSO anyway). arm64's
 * "arch_sys_counter" is there from the start, at its final rate: nothing
 * to wait for.
 */
static void wait_clocksource(void)
{
#if defined(__x86_64__)
	char buf[64];
	int i;

	for (i = 0; i < 50; i++) {
		FILE *f = fopen(CLOCKSOURCE, "r");

		if (!f)
			return;
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
		if (strncmp(buf, "tsc-early", 9))
			return;
		usleep(100000);
	}
#endif
}

static void show_file(const char *label, const char *path)
{
	char buf[256] = "";
	FILE *f = fopen(path, "r");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = 0;
	printf("# %s: %s\n", label, f ? buf : "(unreadable)");
}

/* ------------------------------------------------------------------ */
/* The wall clock: its phase, setting it, and libfaketime beside it    */

/* @a's nanoseconds less @b's, in (-0.5 s, 0.5 s] */
static long long phase_diff(const struct timespec *a, const struct timespec *b)
{
	long long d = ((a->tv_nsec - b->tv_nsec) % NSEC_PER_SEC + NSEC_PER_SEC) % NSEC_PER_SEC;

	return d > NSEC_PER_SEC / 2 ? d - NSEC_PER_SEC : d;
}

/*
 * Step the host's CLOCK_REALTIME by less than a second so that its
 * nanoseconds are CLOCK_MONOTONIC's (see struct nsdef). What is left is
 * the time between the read and the set taking effect, microseconds.
 */
static void align_realtime(void)
{
	struct timespec m, t;
	long long before;

	sys_clock_gettime(CLOCK_MONOTONIC, &m);
	sys_clock_gettime(CLOCK_REALTIME, &t);
	before = phase_diff(&t, &m);
	t.tv_nsec = m.tv_nsec;
	if (sys4(SYS_clock_settime, CLOCK_REALTIME, (long)&t, 0, 0)) {
		printf("# realtime phase: clock_settime failed, left %lld ns from CLOCK_MONOTONIC's\n",
		       before);
		return;
	}
	sys_clock_gettime(CLOCK_MONOTONIC, &m);
	sys_clock_gettime(CLOCK_REALTIME, &t);
	printf("# realtime phase: CLOCK_REALTIME's nanoseconds were %lld ns from CLOCK_MONOTONIC's, now %lld\n",
	       before, phase_diff(&t, &m));
}

/*
 * clock_settime() of the host's clock, in the root namespace, on both
 * kernels: @n sets a round, each less a read (loop_host_set()). Then the
 * clock is put back where it would be without them, from CLOCK_MONOTONIC,
 * which no set moves.
 * @n a multiple of 8: each set mixes 24 bytes (the cycle counter and the
 * time set) into the entropy pool, whose hash compresses a 64-byte block
 * (about 1600 instructions) when it is full; 8 sets fill 3 blocks, and
 * every round then compresses as often. (With 20, rounds alternate
 * between 7 and 8 compressions and the median lands on either.)
 */
static double per_host_set[MAX_ROUNDS];

static int host_set_rounds(long rounds, long n)
{
	struct timespec rt0, m0, rt1, m1;
	int64_t drift;
	int err = 0;
	long r;

	sys_clock_gettime(CLOCK_REALTIME, &rt0);
	sys_clock_gettime(CLOCK_MONOTONIC, &m0);
	loop_host_set(2, 1, &err);	/* warm-up */
	for (r = 0; r < rounds; r++) {
		int64_t read_only = loop_host_set(n, 0, &err);

		per_host_set[r] = (double)(loop_host_set(n, 1, &err) - read_only) / n;
	}
	sys_clock_gettime(CLOCK_MONOTONIC, &m1);
	drift = ts_ns(&rt0) + ts_ns(&m1) - ts_ns(&m0);
	rt1.tv_sec = drift / NSEC_PER_SEC;
	rt1.tv_nsec = drift % NSEC_PER_SEC;
	if (sys4(SYS_clock_settime, CLOCK_REALTIME, (long)&rt1, 0, 0))
		err = 1;
	sys_clock_gettime(CLOCK_REALTIME, &rt1);
	sys_clock_gettime(CLOCK_MONOTONIC, &m1);
	drift = (ts_ns(&rt1) - ts_ns(&m1)) - (ts_ns(&rt0) - ts_ns(&m0));
	check(!err, "clock_settime(CLOCK_REALTIME) of the host's clock timed, %ld rounds of %ld",
	      rounds, n);
	/* 10 ms: a preemption between the read and the set, outside -icount */
	return check(!err && drift > -10000000 && drift < 10000000,
		     "the host's clock put back where it was (%+lld ns against CLOCK_MONOTONIC)",
		     (long long)drift);
}

/*
 * Setting a namespace's own wall clock with 0, 100 and 10000 timerfds
 * armed on it (CLOCK_REALTIME, absolute, a day ahead: a set of a second
 * either way fires none): the set moves each of them, so its cost should
 * grow by the same amount per timer. The 10000 case, milliseconds a set,
 * runs two sets a round.
 */
enum { NR_SET = 3 };
static const long set_armed[NR_SET] = { 0, 100, 10000 };
static double per_set[NR_SET][MAX_ROUNDS];
static long set_rounds[NR_SET];
static int set_tfds[10000];

static int ns_set_rounds(int fd_root, long rounds, long sets)
{
	const struct nsdef *d = &nsdefs[NS_TIMENS_WALL];
	struct itimerspec its = { 0 };
	struct timespec base;
	struct rlimit rl;
	int k, fd, armed = 0, fired = 0, err = 0;
	long r;
	uint64_t ticks;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return check(0, "getrlimit: %s", strerror(errno));
	if (rl.rlim_cur < 10000 + 256) {
		rl.rlim_cur = 10000 + 256;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			return check(0, "setrlimit(RLIMIT_NOFILE, 10256): %s", strerror(errno));
	}
	/*
	 * A namespace of its own, timens_wall's offsets: what the sets move.
	 * Whatever happens, back to the root's after (enter()): the children
	 * forked later, faketime-cases', must not start in it.
	 */
	if (unshare(CLONE_NEWTIME) || write_offsets(d) ||
	    write_realtime(d->rt_sec, d->rt_nsec)) {
		check(0, "a namespace for setting its wall clock: %s", strerror(errno));
		enter(fd_root);
		return 0;
	}
	fd = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWTIME)) {
		check(0, "entering the namespace for setting: %s", strerror(errno));
		enter(fd_root);
		return 0;
	}
	close(fd);

	vdso_cgt(CLOCK_REALTIME, &base);
	for (k = 0; k < NR_SET; k++) {
		long n = set_armed[k] >= 10000 ? 2 : sets;

		/* arm up to this case's number, the earlier ones left armed */
		for (; armed < set_armed[k]; armed++) {
			fd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK);
			its.it_value.tv_sec = base.tv_sec + 86400 + armed / 1000;
			its.it_value.tv_nsec = armed % 1000 * 1000000;
			if (fd < 0 || timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL)) {
				printf("# arming timerfd %d: %s\n", armed, strerror(errno));
				err = 1;
				break;
			}
			set_tfds[armed] = fd;
		}
		if (err)
			break;
		set_rounds[k] = rounds;
		vdso_cgt(CLOCK_REALTIME, &base);
		loop_set(&base, 2, &err);	/* warm-up */
		for (r = 0; r < set_rounds[k]; r++) {
			int64_t empty = loop_empty(CLOCK_MONOTONIC, n);

			vdso_cgt(CLOCK_REALTIME, &base);
			per_set[k][r] = (double)(loop_set(&base, n, &err) - empty) / n;
		}
	}
	for (k = 0; k < armed; k++) {
		if (read(set_tfds[k], &ticks, sizeof(ticks)) == sizeof(ticks))
			fired++;
		close(set_tfds[k]);
	}
	if (enter(fd_root))
		err = 1;
	return check(!err && !fired && armed == set_armed[NR_SET - 1],
		     "a namespace's wall clock set 1 s forward and back with 0, 100 and 10000 timers armed (%d armed, %d fired)",
		     armed, fired);
}

/*
 * bench/faketime-cases (dynamic, beside this program) run one way: plain,
 * under Debian's faketime (@faker), or entered into namespace @nsfd. Its
 * comment lines are passed on; returns the number of cases it found right,
 * -1 when it did not run through (exit status, fewer verdicts, no figure).
 */
#define FAKETIME	"/usr/bin/faketime"
#define FAKE_CASES	5	/* libc_read static_binary vdso_direct abs_timer abs_timer_syscall */
#define YEAR		31536000LL

static int run_cases(const char *cases, const char *self, const char *way,
		     long long expect, int faker, int nsfd, int brief, long rounds)
{
	char host[64], expbuf[32], nr[32], line[512], w[64], c[64], v[16];
	const char *argv[32];
	int pfd[2], status, a = 0, verdicts = 0, right = 0, result = 0;
	struct timespec ts;
	FILE *f;
	pid_t pid;

	if (faker) {
		argv[a++] = FAKETIME;
		argv[a++] = "-f";
		argv[a++] = "+365d";
	}
	argv[a++] = cases;
	argv[a++] = "--way";
	argv[a++] = way;
	snprintf(expbuf, sizeof(expbuf), "%lld", expect);
	argv[a++] = "--expect";
	argv[a++] = expbuf;
	argv[a++] = "--static";
	argv[a++] = self;
	snprintf(nr, sizeof(nr), "%ld", rounds);
	argv[a++] = "--rounds";
	argv[a++] = nr;
	argv[a++] = "--calls";
	argv[a++] = brief ? "200" : "2000";
	argv[a++] = "--timer-ms";
	argv[a++] = brief ? "250" : "1000";
	argv[a++] = "--host-now";
	argv[a++] = host;
	argv[a] = NULL;

	if (pipe(pfd))
		return -1;
	/* the host's time as late as can be: the child checks against it */
	sys_clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(host, sizeof(host), "%lld.%09ld", (long long)ts.tv_sec, ts.tv_nsec);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		if (nsfd >= 0 && setns(nsfd, CLONE_NEWTIME))
			_exit(126);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	close(pfd[1]);
	f = fdopen(pfd[0], "r");
	while (f && fgets(line, sizeof(line), f)) {
		fputs(line[0] == '#' ? "" : "# ", stdout);
		fputs(line, stdout);
		if (sscanf(line, "# faketime %63s %63s %15s", w, c, v) == 3 &&
		    (!strcmp(v, "right") || !strcmp(v, "WRONG"))) {
			verdicts++;
			right += !strcmp(v, "right");
		}
		result |= !strncmp(line, "# result ", 9);
	}
	if (f)
		fclose(f);
	else
		close(pfd[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) || verdicts != FAKE_CASES || !result)
		return -1;
	return right;
}

/*
 * The alternative users pick today beside a namespace with its own wall
 * clock: libfaketime, a year ahead (its "+365d" is whole seconds, so the
 * namespace's offset is too: 365 days, no borrow, the same time).
 */
static void faketime_ways(int fd_root, int wall, int brief, long rounds)
{
	char self[4096], cases[4096 + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;
	int nsfd, right;

	self[n > 0 ? n : 0] = 0;
	slash = strrchr(self, '/');
	snprintf(cases, sizeof(cases), "%.*s/faketime-cases",
		 slash ? (int)(slash - self) : 1, slash ? self : ".");
	if (n <= 0 || access(cases, X_OK)) {
		tap_skip("faketime cases", "no %s", cases);
		return;
	}
	right = run_cases(cases, self, "plain", 0, 0, -1, brief, rounds);
	check(right == FAKE_CASES, "faketime-cases plain: %d of %d cases right", right,
	      FAKE_CASES);
	if (access(FAKETIME, X_OK)) {
		tap_skip("faketime-cases under faketime", "no %s (Debian package faketime)",
			 FAKETIME);
	} else {
		right = run_cases(cases, self, "faketime", YEAR, 1, -1, brief, rounds);
		/* its cases are findings, not failures: it must only run */
		check(right >= 0, "faketime-cases under faketime -f +365d ran: %d of %d cases right",
		      right, FAKE_CASES);
	}
	if (!wall)
		return;
	nsfd = -1;
	if (!unshare(CLONE_NEWTIME) && !write_realtime(YEAR, 0))
		nsfd = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		check(0, "a namespace whose wall clock is 365 days ahead: %s", strerror(errno));
	/* the next children start in the root's again; this one enters it */
	enter(fd_root);
	if (nsfd < 0)
		return;
	right = run_cases(cases, self, "timens_wall", YEAR, 0, nsfd, brief, rounds);
	check(right == FAKE_CASES,
	      "faketime-cases in a namespace whose wall clock is 365 days ahead: %d of %d cases right",
	      right, FAKE_CASES);
	close(nsfd);
}

/* ------------------------------------------------------------------ */
/* The path of one call, instruction by instruction                    */

/*
 * A child calls the vDSO TRACE_CALLS times (the first call may fault the
 * [vvar] pages in), from its namespace's phase on; the parent single-steps it and keeps the shortest of
 * the later calls (a call that raced with an update of the host's data
 * retries its read): the instructions it executed inside the vDSO, as
 * offsets from the vDSO's start (objdump's addresses). A cross-check of
 * the timed figures, and the raw material for reading the disassembly.
 */
#define MAX_TRACE 1024
#define TRACE_CALLS 4
static uintptr_t vdso_lo, vdso_hi, vdso_entry;

/* The program counter of a stopped tracee: 0, or -1 */
static int trace_pc(pid_t pid, uintptr_t *pc)
{
	struct user_regs_struct regs;
#if defined(__x86_64__)
	if (ptrace(PTRACE_GETREGS, pid, NULL, &regs))
		return -1;
	*pc = regs.rip;
#elif defined(__aarch64__)
	/* no PTRACE_GETREGS there: the general registers are a register set */
	struct iovec iov = { .iov_base = &regs, .iov_len = sizeof(regs) };

	if (ptrace(PTRACE_GETREGSET, pid, (void *)NT_PRSTATUS, &iov))
		return -1;
	*pc = regs.pc;
#endif
	return 0;
}

static int trace_call(const struct nsdef *d, clockid_t clk, unsigned int *best,
		      int *best_len)
{
	static unsigned int path[MAX_TRACE];
	int status, calls = 0, n = 0, sig = 0;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct timespec ts;

		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(1);
		align_phase(d);
		raise(SIGSTOP);
		for (n = 0; n < TRACE_CALLS; n++)
			vdso_cgt(clk, &ts);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
		return -1;
	*best_len = MAX_TRACE + 1;
	for (;;) {
		uintptr_t pc;
		int in_vdso = 0;

		if (ptrace(PTRACE_SINGLESTEP, pid, NULL, (void *)(long)sig))
			break;
		if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
			break;
		sig = WSTOPSIG(status) == SIGTRAP ? 0 : WSTOPSIG(status);
		if (trace_pc(pid, &pc))
			break;
		in_vdso = pc >= vdso_lo && pc < vdso_hi;
		if (pc == vdso_entry) {
			calls++;
			n = 0;
		}
		if (calls && in_vdso && n < MAX_TRACE)
			path[n++] = pc - vdso_lo;
		if (calls > 1 && !in_vdso && n) {	/* a call returned */
			if (n < *best_len) {
				memcpy(best, path, n * sizeof(*path));
				*best_len = n;
			}
			n = 0;
		}
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return calls == TRACE_CALLS && *best_len <= MAX_TRACE &&
	       WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -1;
}

/*
 * Trace CLOCK_MONOTONIC, CLOCK_BOOTTIME and CLOCK_REALTIME (the first
 * three of clocks[]) in namespace @ns (entered).
 */
static int trace_ns(int ns)
{
	static unsigned int path[MAX_TRACE];
	int c, i, len, ok = 1;

	for (c = 0; c < 3; c++) {
		if (trace_call(&nsdefs[ns], clocks[c].id, path, &len)) {
			printf("# trace %s %s: failed\n", nsdefs[ns].name, clocks[c].name);
			ok = 0;
			continue;
		}
		printf("# trace %-9s %-22s %4d instructions in the vDSO:",
		       nsdefs[ns].name, clocks[c].name, len);
		for (i = 0; i < len && i < MAX_TRACE; i++)
			printf(" %x", path[i]);
		printf("\n");
	}
	return ok;
}

/* ------------------------------------------------------------------ */

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [--brief] [--root-only] [--rounds R] [--calls N] [--syscalls N] [--forks K] [--arms N] [--udps N] [--sets N]\n"
		"       %s --print-realtime\n", prog, prog);
	exit(2);
}

int main(int argc, char **argv)
{
	long rounds = 21, calls = 5000, syscalls = 1000, forks = 8, arms = 200, udps = 100, sets = 40;
	struct vdso_image img = { 0 };
	struct timespec root_ts[NCLOCKS];
	int fd[NR_NS], brief = 0, i, r, c, p, o, err_run = 0, ok;
	int nr_ns = NR_NS, nr_life = NR_LIFE, a, wall = 0;
	int64_t t_begin;

	/*
	 * faketime-cases' static program: the wall clock as a static binary
	 * reads it (libc's clock_gettime, no dynamic linker to preload a
	 * faker into). First, before the re-execution below.
	 */
	if (argc == 2 && !strcmp(argv[1], "--print-realtime")) {
		struct timespec ts;

		if (clock_gettime(CLOCK_REALTIME, &ts))
			return 1;
		printf("realtime %lld %09ld\n", (long long)ts.tv_sec, ts.tv_nsec);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--brief")) {
			brief = 1;
			rounds = 3;
			calls = 500;
			syscalls = 50;
			forks = 2;
			arms = 20;
			udps = 10;
			sets = 8;
		} else if (!strcmp(argv[i], "--root-only")) {
			root_only = 1;
			nr_ns = 1;
			nr_life = 1;
		} else if (i + 1 < argc && !strcmp(argv[i], "--rounds")) {
			rounds = atol(argv[++i]);
		} else if (i + 1 < argc && !strcmp(argv[i], "--calls")) {
			calls = atol(argv[++i]);
		} else if (i + 1 < argc && !strcmp(argv[i], "--syscalls")) {
			syscalls = atol(argv[++i]);
		} else if (i + 1 < argc && !strcmp(argv[i], "--forks")) {
			forks = atol(argv[++i]);
		} else if (i + 1 < argc && !strcmp(argv[i], "--arms")) {
			arms = atol(argv[++i]);
		} else if (i + 1 < argc && !strcmp(argv[i], "--udps")) {
			udps = atol(argv[++i]);
		} else if (i + 1 < argc && !strcmp(argv[i], "--sets")) {
			sets = atol(argv[++i]);
		} else {
			usage(argv[0]);
		}
	}
	if (rounds < 1 || rounds > MAX_ROUNDS || calls < 1 || syscalls < 1 ||
	    forks < 1 || arms < 1 || udps < 1 || sets < 8 || sets % 8)
		usage(argv[0]);
	/*
	 * Without address space randomisation: where the stack, the vDSO and
	 * the heap land changes the page tables a fork copies, by a few
	 * percent from one boot to the next.
	 */
	i = personality(0xffffffff);
	if (i != -1 && !(i & ADDR_NO_RANDOMIZE) &&
	    personality(i | ADDR_NO_RANDOMIZE) != -1)
		execv("/proc/self/exe", argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	/*
	 * Touch the result arrays whole: the memory a fork copies is then
	 * the same whatever the options (--root-only fills fewer rows).
	 */
	memset(per_call, 0, sizeof(per_call));
	memset(per_life, 0, sizeof(per_life));
	memset(per_empty, 0, sizeof(per_empty));
	memset(per_arm, 0, sizeof(per_arm));
	memset(per_udp, 0, sizeof(per_udp));

	printf("TAP version 13\n");
	printf("# timens-bench%s%s: %ld rounds, %ld vDSO calls, %ld system calls, %ld forks, %ld timer arms, %ld datagrams a round\n",
	       brief ? " --brief" : "", root_only ? " --root-only" : "", rounds, calls, syscalls,
	       forks, arms, udps);
	show_file("kernel", "/proc/version");
	printf("# address space randomisation: %s\n",
	       personality(0xffffffff) & ADDR_NO_RANDOMIZE ? "off" : "ON (figures may vary)");
	wait_clocksource();
	show_file("clocksource", CLOCKSOURCE);
	/* --brief runs outside -icount: the phase means nothing, leave the clock */
	if (!brief)
		align_realtime();
	for (i = 1; i < nr_ns; i++) {
		char rt[64] = "";

		if (nsdefs[i].wall)
			snprintf(rt, sizeof(rt), ", realtime %lld %lld", nsdefs[i].rt_sec,
				 nsdefs[i].rt_nsec);
		printf("# offsets %s: monotonic %lld %lld, boottime %lld %lld%s; loops from host phase %lld ns\n",
		       nsdefs[i].name, nsdefs[i].mono_sec, nsdefs[i].mono_nsec,
		       nsdefs[i].boot_sec, nsdefs[i].boot_nsec, rt, nsdefs[i].phase);
	}

	ok = vdso_open(&img) == 0;
	if (ok)
		vdso_cgt = (clock_gettime_fn)vdso_lookup(&img, VDSO_CLOCK_GETTIME);
	if (!check(vdso_cgt != NULL, "%s found in the vDSO", VDSO_CLOCK_GETTIME))
		goto out;
	vdso_lo = img.lo;
	vdso_hi = img.hi;
	vdso_entry = (uintptr_t)vdso_cgt;
	printf("# %s at vDSO offset %#lx\n", VDSO_CLOCK_GETTIME,
	       (unsigned long)(vdso_entry - vdso_lo));

	fd[NS_ROOT] = -1;
	if (!root_only) {
		fd[NS_ROOT] = open("/proc/self/ns/time", O_RDONLY | O_CLOEXEC);
		if (!check(fd[NS_ROOT] >= 0, "open /proc/self/ns/time"))
			goto out;
	}
	for (i = 1; i < nr_ns; i++) {
		if (!check(unshare(CLONE_NEWTIME) == 0, "unshare(CLONE_NEWTIME) for %s",
			   nsdefs[i].name)) {
			printf("# %s\n", strerror(errno));
			goto out;
		}
		if (!check(write_offsets(&nsdefs[i]) == 0,
			   "write /proc/self/timens_offsets for %s", nsdefs[i].name)) {
			printf("# %s\n", strerror(errno));
			goto out;
		}
		/*
		 * The wall clock: upstream has none and rejects the line
		 * (EINVAL); its figures are left out, not failed. The
		 * namespace is the last: the others are measured alike.
		 */
		if (nsdefs[i].wall && write_realtime(nsdefs[i].rt_sec, nsdefs[i].rt_nsec)) {
			if (errno == EINVAL) {
				printf("# wall clock: not supported by this kernel (%s)\n",
				       strerror(errno));
				nr_ns = i;
				break;
			}
			check(0, "write the realtime offset of %s: %s", nsdefs[i].name,
			      strerror(errno));
			goto out;
		}
		fd[i] = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
		if (!check(fd[i] >= 0, "open /proc/self/ns/time_for_children of %s",
			   nsdefs[i].name))
			goto out;
	}

	/* Correctness first: the figures mean nothing otherwise. */
	for (i = 0; i < nr_ns; i++) {
		enter(fd[NS_ROOT]);
		read_root(root_ts);
		if (!root_only &&
		    !check(enter(fd[i]) == 0, "setns into %s", nsdefs[i].name)) {
			printf("# %s\n", strerror(errno));
			goto out;
		}
		check(check_clocks(i, root_ts),
		      "%s: vDSO clocks agree with the system call%s", nsdefs[i].name,
		      i ? " and carry the offsets" : "");
		if (!check(udp_create() == 0, "%s: UDP sockets on 127.0.0.1",
			   nsdefs[i].name)) {
			printf("# %s\n", strerror(errno));
			goto out;
		}
		check(udp_stamp_right(),
		      "%s: a datagram's SO_TIMESTAMPNS lies within its CLOCK_REALTIME",
		      nsdefs[i].name);
		udp_close();
		/*
		 * Not in --brief: outside -icount a single-stepped reader
		 * can be slower than a tick, and the timekeeper's updates
		 * then keep it in its retry loop.
		 */
		if (!brief)
			check(trace_ns(i), "%s: one call traced", nsdefs[i].name);
	}
	if (!root_only &&
	    !check(enter(fd[NS_ROOT]) == 0, "setns back into the root time namespace"))
		goto out;
	read_root(root_ts);
	check(check_clocks(NS_ROOT, root_ts), "root again: unshifted clocks");
	wall = nr_ns > NS_TIMENS_WALL;
	if (!check(arm_create() == 0, "a CLOCK_REALTIME timerfd and POSIX timer to arm"))
		goto out;

	/* The rounds */
	t_begin = now();
	for (r = 0; r < rounds; r++) {
		for (o = 0; o < nr_ns; o++) {
			/* the order of the namespaces turns each round */
			int ns = (o + r) % nr_ns;
			int64_t empty_v, empty_s;

			if (enter(fd[ns])) {
				err_run = 1;
				printf("# round %d: setns %s: %s\n", r, nsdefs[ns].name,
				       strerror(errno));
				continue;
			}
			/* warm-up: faults the [vvar] pages in again; discarded */
			for (c = 0; c < NCLOCKS; c++) {
				loop_vdso(clocks[c].id, 16);
				loop_syscall(clocks[c].id, 4);
			}
			loop_empty(CLOCK_MONOTONIC, calls);
			/* --brief runs outside -icount: the phase means nothing */
			if (!brief)
				align_phase(&nsdefs[ns]);

			empty_v = loop_empty(CLOCK_MONOTONIC, calls);
			empty_s = loop_empty(CLOCK_MONOTONIC, syscalls);
			per_empty[ns][r] = (double)empty_v / calls;
			for (c = 0; c < NCLOCKS; c++) {
				per_call[P_VDSO][ns][c][r] =
					(double)(loop_vdso(clocks[c].id, calls) - empty_v) / calls;
				per_call[P_SYSCALL][ns][c][r] =
					(double)(loop_syscall(clocks[c].id, syscalls) - empty_s) / syscalls;
			}
			/* arming: timens_hi arms as timens does, the phase aside */
			if (ns == NS_TIMENS_HI)
				continue;
			empty_s = loop_empty(CLOCK_MONOTONIC, arms);
			for (a = 0; a < NR_ARM; a++) {
				loop_arm(a, 2, &err_run);	/* warm-up */
				per_arm[a][ns][r] =
					(double)(loop_arm(a, arms, &err_run) - empty_s) / arms;
			}
			if (udp_create()) {
				err_run = 1;
				continue;
			}
			empty_s = loop_empty(CLOCK_MONOTONIC, udps);
			loop_udp(2, &err_run);	/* warm-up */
			per_udp[ns][r] = (double)(loop_udp(udps, &err_run) - empty_s) / udps;
			udp_close();
		}
		/*
		 * create, enter, destroy: from the root namespace, whose
		 * children start in it too (setns sets both)
		 */
		for (o = 0; o < nr_life; o++) {
			int l = (r & 1) ? nr_life - 1 - o : o;

			if (enter(fd[NS_ROOT]))
				err_run = 1;
			per_life[l][r] = (double)life_loop(l, forks, &err_run) / forks;
		}
		/* leave no namespace behind for the children */
		if (enter(fd[NS_ROOT]))
			err_run = 1;
	}
	check(!err_run, "%ld rounds measured (setns, unshare, offsets, timers, datagrams, fork and wait all worked)",
	      rounds);

	/* The last check: still the right clocks in every namespace. */
	ok = 1;
	for (i = 0; i < nr_ns; i++) {
		ok = enter(fd[NS_ROOT]) == 0 && ok;
		read_root(root_ts);
		ok = enter(fd[i]) == 0 && check_clocks(i, root_ts) && ok;
	}
	ok = enter(fd[NS_ROOT]) == 0 && ok;
	check(ok, "after the rounds: every namespace's clocks still right");

	/* Setting the clock: the host's on every kernel, a namespace's own */
	host_set_rounds(rounds, sets);
	if (wall)
		ns_set_rounds(fd[NS_ROOT], rounds, sets);

	printf("# instructions per call (guest ns under -icount shift=0), %ld rounds in %.3f s of guest time\n",
	       rounds, (now() - t_begin) / 1e9);
	printf("# %-6s %-7s %-9s %-22s %12s %12s %12s %4s\n", "",
	       "path", "ns", "clock", "median", "p10", "p90", "n");
	for (p = 0; p < NR_PATHS; p++)
		for (i = 0; i < nr_ns; i++)
			for (c = 0; c < NCLOCKS; c++)
				report(path_names[p], nsdefs[i].name, clocks[c].name,
				       per_call[p][i][c], rounds);
	for (i = 0; i < nr_ns; i++)
		report("empty", nsdefs[i].name, "loop", per_empty[i], rounds);
	for (i = 0; i < nr_life; i++)
		report("life", "root", life_names[i], per_life[i], rounds);
	for (i = 0; i < nr_ns; i++)
		for (a = 0; a < NR_ARM && i != NS_TIMENS_HI; a++)
			report("arm", nsdefs[i].name, arm_names[a], per_arm[a][i], rounds);
	for (i = 0; i < nr_ns; i++)
		if (i != NS_TIMENS_HI)
			report("recv", nsdefs[i].name, "udp_timestampns", per_udp[i], rounds);
	report("set", "root", "host_settime", per_host_set, rounds);
	for (i = 0; wall && i < NR_SET; i++) {
		char name[32];

		snprintf(name, sizeof(name), "settime_armed_%ld", set_armed[i]);
		if (set_rounds[i])
			report("set", nsdefs[NS_TIMENS_WALL].name, name, per_set[i],
			       set_rounds[i]);
	}

	/* Last, libfaketime beside the namespace: not timed in our rounds */
	faketime_ways(fd[NS_ROOT], wall, brief, rounds);

out:
	printf("1..%d\n", tap_n);
	tap_diag("%d passed, %d failed", tap_n - tap_failed, tap_failed);
	return tap_exit();
}
