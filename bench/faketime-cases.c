// SPDX-License-Identifier: GPL-2.0
/*
 * faketime-cases: what a program sees of a faked wall clock, and what one
 * read of it costs.
 *
 * The alternative users pick today for "a program whose date is not the
 * host's" is an LD_PRELOAD library: Debian's libfaketime (faketime -f
 * '+365d' PROGRAM). It can only fake what goes through the functions it
 * interposes, so this program is DYNAMIC, as the programs it is used on
 * are. bench/timens-bench runs it three ways: plain, under faketime, and
 * in a time namespace whose wall clock is a year ahead; each run checks
 * five cases against the host's CLOCK_REALTIME that the parent read just
 * before (--host-now) plus the offset it should see (--expect):
 *
 *   libc_read      clock_gettime(CLOCK_REALTIME) through libc, the call an
 *                  LD_PRELOAD library interposes
 *   static_binary  what a static program reads (timens-bench
 *                  --print-realtime, executed): no dynamic linker, so
 *                  nothing is preloaded
 *   vdso_direct    the vDSO's clock_gettime (__vdso_clock_gettime on
 *                  x86-64, __kernel_clock_gettime on arm64), found in the
 *                  vDSO and called directly, as Go's runtime does
 *   abs_timer      a CLOCK_REALTIME timerfd armed through libc with
 *                  TFD_TIMER_ABSTIME at the faked now plus a second: it
 *                  must fire after about a second, not at once and not a
 *                  year late (the wait gives up after three)
 *   abs_timer_syscall  the same timer armed by a system call of our
 *                  own, as a static program (its libc is inside it) or a
 *                  runtime with its own wrappers (Go's x/sys/unix) arms
 *                  it: only an interposed timerfd_settime() converts the
 *                  deadline
 *
 * printing "# faketime WAY CASE right|WRONG DETAIL"; then the per-call cost
 * of the libc read, timed as timens-bench times its loops (instructions
 * under -icount shift=0: the loop with the call less the empty loop), as
 * "# result call WAY CLOCK_REALTIME MEDIAN P10 P90 ROUNDS".
 *
 * The time base and the wait are raw system calls (inline, not libc's
 * syscall(), which a preload library may interpose too): only the cases
 * go through what a program would use.
 *
 * Output: comment lines only; timens-bench reads them and holds the TAP.
 * Exit status 0 when every case could be run, whatever its verdict.
 *
 * Usage: faketime-cases --way NAME --expect SECS --host-now SECS.NSECS
 *                       --static PATH [--rounds R] [--calls N] [--timer-ms MS]
 */
#define _GNU_SOURCE
#include "vdso-lookup.h"
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NSEC_PER_SEC 1000000000LL
#define MAX_ROUNDS 1000

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);

/* nanoseconds of @clk by system call: not faked by any preload library */
static int64_t raw_ns(clockid_t clk)
{
	struct timespec ts;

	sys4(SYS_clock_gettime, clk, (long)&ts, 0, 0);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static int64_t ts_ns(const struct timespec *ts)
{
	return ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec;
}

static const char *way = "plain";
static long long expect;	/* seconds the wall clock should be ahead */
static int64_t host_now;	/* the host's CLOCK_REALTIME, the parent's read */
static int failed;

/*
 * A reading is right when it is the host's time plus the expected offset,
 * give or take what passed since the parent's read (seconds at most, even
 * outside -icount): a wrong one is off by the whole offset, a year.
 */
static void verdict_read(const char *name, int64_t v)
{
	int64_t d = v - host_now - expect * NSEC_PER_SEC;
	int ok = d > -NSEC_PER_SEC && d < 60 * NSEC_PER_SEC;

	printf("# faketime %s %s %s reads host %+.1f s (want %+lld s)\n", way, name,
	       ok ? "right" : "WRONG", (double)(v - host_now) / NSEC_PER_SEC, expect);
}

/* A static program's reading: timens-bench --print-realtime, executed */
static int static_read(const char *path, int64_t *v)
{
	char buf[128] = "";
	long long sec, nsec;
	int pfd[2], status, n = 0, r;
	pid_t pid;

	if (pipe(pfd))
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		/* the environment as it is: LD_PRELOAD and FAKETIME included */
		execl(path, path, "--print-realtime", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	while (n < (int)sizeof(buf) - 1 &&
	       (r = read(pfd[0], buf + n, sizeof(buf) - 1 - n)) > 0)
		n += r;
	buf[n] = 0;
	close(pfd[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) ||
	    sscanf(buf, "realtime %lld %lld", &sec, &nsec) != 2)
		return -1;
	*v = sec * NSEC_PER_SEC + nsec;
	return 0;
}

/*
 * An absolute CLOCK_REALTIME timer at the faked now + @ms, armed through
 * libc (which a preload library may interpose and convert) or, @raw, by
 * system call; the wait is a
 * raw ppoll with a relative timeout of three times that, and the time it
 * took is CLOCK_MONOTONIC_RAW's, which no namespace offset or faker moves.
 */
static int abs_timer(const char *name, long ms, int raw)
{
	struct itimerspec its = { 0 };
	struct timespec t, limit = { 0 };
	struct pollfd pfd;
	int64_t t0, dt, want = ms * 1000000LL;
	int fd, ok;
	long r;

	fd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC);
	if (fd < 0)
		return -1;
	clock_gettime(CLOCK_REALTIME, &t);
	its.it_value.tv_sec = t.tv_sec + (t.tv_nsec + want) / NSEC_PER_SEC;
	its.it_value.tv_nsec = (t.tv_nsec + want) % NSEC_PER_SEC;
	t0 = raw_ns(CLOCK_MONOTONIC_RAW);
	r = raw ? sys4(SYS_timerfd_settime, fd, TFD_TIMER_ABSTIME, (long)&its, 0) :
		  timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL);
	if (r) {
		close(fd);
		errno = raw ? -r : errno;
		return -1;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	limit.tv_sec = 3 * want / NSEC_PER_SEC;
	limit.tv_nsec = 3 * want % NSEC_PER_SEC;
	do
		r = sys4(SYS_ppoll, (long)&pfd, 1, (long)&limit, 0);
	while (r == -EINTR);
	dt = raw_ns(CLOCK_MONOTONIC_RAW) - t0;
	close(fd);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	/* about @ms: not at once (no conversion), not a year late */
	ok = r == 1 && dt >= want / 2 && dt <= 2 * want;
	if (r == 0)
		printf("# faketime %s %s WRONG not fired within %.3f s (armed for %.3f s)\n",
		       way, name, dt / 1e9, want / 1e9);
	else
		printf("# faketime %s %s %s fired after %.3f s (armed for %.3f s)\n",
		       way, name, ok ? "right" : "WRONG", dt / 1e9, want / 1e9);
	return 0;
}

/*
 * The per-call cost: a loop of libc's clock_gettime (through the PLT, so
 * an LD_PRELOAD library's when there is one) less the same loop without
 * the call. noinline: the same code in every use.
 */
__attribute__((noinline)) static int64_t loop_libc(long n)
{
	struct timespec ts;
	int64_t t0, t1;
	long i;

	t0 = raw_ns(CLOCK_MONOTONIC_RAW);
	for (i = 0; i < n; i++)
		clock_gettime(CLOCK_REALTIME, &ts);
	t1 = raw_ns(CLOCK_MONOTONIC_RAW);
	return t1 - t0;
}

__attribute__((noinline)) static int64_t loop_empty(long n)
{
	struct timespec ts;
	int64_t t0, t1;
	long i;

	t0 = raw_ns(CLOCK_MONOTONIC_RAW);
	for (i = 0; i < n; i++)
		asm volatile("" : : "r"(CLOCK_REALTIME), "r"(&ts) : "memory");
	t1 = raw_ns(CLOCK_MONOTONIC_RAW);
	return t1 - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* as timens-bench's: linear interpolation; sorts v */
static double percentile(double *v, int n, double p)
{
	double pos = p * (n - 1), frac;
	int i = (int)pos;

	qsort(v, n, sizeof(*v), cmp_double);
	frac = pos - i;
	return i + 1 < n ? v[i] + frac * (v[i + 1] - v[i]) : v[i];
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s --way NAME --expect SECS --host-now SECS.NSECS --static PATH [--rounds R] [--calls N] [--timer-ms MS]\n",
		prog);
	exit(2);
}

int main(int argc, char **argv)
{
	long rounds = 21, calls = 2000, timer_ms = 1000;
	static double per_call[MAX_ROUNDS];
	const char *static_path = NULL;
	clock_gettime_fn vdso_cgt = NULL;
	struct vdso_image img = { 0 };
	struct timespec ts;
	long long sec = 0, nsec = 0;
	int64_t v;
	int i, r;

	for (i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage(argv[0]);
		if (!strcmp(argv[i], "--way"))
			way = argv[++i];
		else if (!strcmp(argv[i], "--expect"))
			expect = atoll(argv[++i]);
		else if (!strcmp(argv[i], "--host-now") &&
			 sscanf(argv[i + 1], "%lld.%lld", &sec, &nsec) == 2)
			host_now = sec * NSEC_PER_SEC + nsec, i++;
		else if (!strcmp(argv[i], "--static"))
			static_path = argv[++i];
		else if (!strcmp(argv[i], "--rounds"))
			rounds = atol(argv[++i]);
		else if (!strcmp(argv[i], "--calls"))
			calls = atol(argv[++i]);
		else if (!strcmp(argv[i], "--timer-ms"))
			timer_ms = atol(argv[++i]);
		else
			usage(argv[0]);
	}
	if (!host_now || !static_path || rounds < 1 || rounds > MAX_ROUNDS ||
	    calls < 1 || timer_ms < 1)
		usage(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# faketime-cases %s: FAKETIME=%s LD_PRELOAD=%s\n", way,
	       getenv("FAKETIME") ?: "(unset)", getenv("LD_PRELOAD") ?: "(unset)");

	clock_gettime(CLOCK_REALTIME, &ts);
	verdict_read("libc_read", ts_ns(&ts));

	if (!static_read(static_path, &v)) {
		verdict_read("static_binary", v);
	} else {
		printf("# faketime %s static_binary: %s --print-realtime failed\n",
		       way, static_path);
		failed = 1;
	}

	if (!vdso_open(&img))
		vdso_cgt = (clock_gettime_fn)vdso_lookup(&img, VDSO_CLOCK_GETTIME);
	if (vdso_cgt && !vdso_cgt(CLOCK_REALTIME, &ts)) {
		verdict_read("vdso_direct", ts_ns(&ts));
	} else {
		printf("# faketime %s vdso_direct: no %s\n", way, VDSO_CLOCK_GETTIME);
		failed = 1;
	}

	if (abs_timer("abs_timer", timer_ms, 0)) {
		printf("# faketime %s abs_timer: %s\n", way, strerror(errno));
		failed = 1;
	}
	if (abs_timer("abs_timer_syscall", timer_ms, 1)) {
		printf("# faketime %s abs_timer_syscall: %s\n", way, strerror(errno));
		failed = 1;
	}

	loop_libc(16);	/* warm-up: binds the PLT slot, faults pages in */
	for (r = 0; r < rounds; r++) {
		int64_t e = loop_empty(calls);

		per_call[r] = (double)(loop_libc(calls) - e) / calls;
	}
	printf("# result call    %-9s %-22s %12.2f", way, "CLOCK_REALTIME",
	       percentile(per_call, rounds, 0.50));
	printf(" %12.2f", percentile(per_call, rounds, 0.10));
	printf(" %12.2f %4ld\n", percentile(per_call, rounds, 0.90), rounds);
	return failed;
}
