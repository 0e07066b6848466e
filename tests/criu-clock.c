// SPDX-License-Identifier: GPL-2.0
/*
 * The program the CRIU scenarios checkpoint and restore (tests/criu.sh,
 * scripts/criu-migrate), and the checker of what it logged.
 *
 *   criu-clock run LOG [SECS]
 *	Every 100 ms append a sample to LOG:
 *	    S SEQ MONO_VDSO BOOT_VDSO MONO_SYSCALL BOOT_SYSCALL
 *	(seconds, read in this order: libc clock_gettime, which glibc serves
 *	from the vDSO, then syscall(SYS_clock_gettime)). The first line is
 *	"P PID". A seccomp filter makes the clock_gettime system calls made
 *	from the vDSO's code fail ("V" line): the libc reads are the vDSO's
 *	own, before the dump and after the restore, or the program stops.
 *	With SECS, a CLOCK_MONOTONIC timerfd and a CLOCK_MONOTONIC POSIX
 *	timer (SIGEV_SIGNAL) are armed when SIGUSR2 comes, with
 *	TFD_TIMER_ABSTIME / TIMER_ABSTIME, for the deadline now + SECS
 *	("A tfd|posix DEADLINE"); while they are pending each sample asks the
 *	kernel for the time left (timerfd_gettime, timer_gettime) and logs
 *	the deadline that makes whenever it moves ("R tfd|posix DEADLINE": a
 *	restore re-arms them); when one fires, CLOCK_MONOTONIC read then is
 *	logged ("F tfd|posix VALUE"). Runs until killed; stdout and stderr
 *	only for errors.
 *
 *   criu-clock steps LOG MAXSTEP [LINE]
 *	Check the samples: no clock ever goes backwards between two samples
 *	and none steps by more than MAXSTEP seconds (a checkpoint/restore in
 *	the middle must not show its wait); the syscall read of a clock lies
 *	between the vDSO reads of the same clock just before and after it
 *	(its own sample's and the next one's: no time bound, they agree);
 *	sequence numbers are contiguous. With LINE (the log's length at the
 *	dump): there are samples after it, and the steps from the last sample
 *	up to it to the next are printed. Exit status 1 on failure.
 *
 *   criu-clock timer LOG tfd|posix MAXLATE [LINE [NOTBEFORE]]
 *	Check one armed timer: armed and fired once; not before the deadline
 *	it had (its "A" deadline, or NOTBEFORE: the deadline a restore re-armed
 *	it for, which must not be more than 1 s before the "A" one; and never
 *	before the last "R" deadline the kernel reported); at most MAXLATE
 *	seconds after that deadline; and (with LINE) its "F" line comes after
 *	line LINE of LOG: it fired after the restore, not before the dump.
 *	Exit status 1 on failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#define PERIOD_MS 100

static int logfd = -1;

static void die(const char *what)
{
	fprintf(stderr, "criu-clock: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void logf_(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	/* one write a line: a checkpoint never leaves half a line behind */
	if (write(logfd, buf, n) != n)
		die("write log");
}

static void vdso_now(clockid_t clk, struct timespec *ts)
{
	if (clock_gettime(clk, ts))
		die("clock_gettime");
}

static void sys_now(clockid_t clk, struct timespec *ts)
{
	if (syscall(SYS_clock_gettime, clk, ts))
		die("syscall clock_gettime");
}

#define TS(ts) (long long)(ts).tv_sec, (ts).tv_nsec

/*
 * Make clock_gettime system calls made from the vDSO's code fail (ENOSYS):
 * a vDSO that fell back to the system call, before the dump or after the
 * restore, then makes the libc read fail and the program stop. The direct
 * system calls, from the program's own code, pass. CRIU restores the
 * filter, and the vDSO at the same address.
 */
static int forbid_vdso_fallback(unsigned long *lo, unsigned long *hi)
{
	char line[256];
	FILE *maps = fopen("/proc/self/maps", "r");
	int found = 0;

	if (!maps)
		return -1;
	while (!found && fgets(line, sizeof(line), maps))
		found = strstr(line, "[vdso]") &&
			sscanf(line, "%lx-%lx", lo, hi) == 2;
	fclose(maps);
	if (!found || *lo >> 32 != (*hi - 1) >> 32)
		return -1;

	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clock_gettime, 0, 6),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, instruction_pointer) + 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, *lo >> 32, 0, 4),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, instruction_pointer)),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (__u32)*lo, 0, 2),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (__u32)*hi, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
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

static volatile sig_atomic_t posix_fired, arm_requested;
static struct timespec posix_fired_at;

static void on_timer(int sig)
{
	(void)sig;
	/* clock_gettime is async-signal-safe */
	clock_gettime(CLOCK_MONOTONIC, &posix_fired_at);
	posix_fired++;
}

static void on_usr2(int sig)
{
	(void)sig;
	arm_requested = 1;
}

static double secs_of(const struct timespec *ts)
{
	return ts->tv_sec + ts->tv_nsec / 1e9;
}

/*
 * Log the deadline of an armed timer as the kernel reports it now: the
 * CLOCK_MONOTONIC value read before asking plus the time left. When it
 * moves (a restore re-armed it), log it again.
 */
static void report(const char *name, const struct timespec *now,
		   const struct itimerspec *left, double *last)
{
	double d;

	if (!left->it_value.tv_sec && !left->it_value.tv_nsec)
		return;		/* disarmed: it fired */
	d = secs_of(now) + secs_of(&left->it_value);
	if (*last && d - *last < 0.01 && *last - d < 0.01)
		return;
	*last = d;
	logf_("R %s %.9f\n", name, d);
}

static void arm(int tfd, timer_t timer, long secs)
{
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };
	struct timespec now;

	vdso_now(CLOCK_MONOTONIC, &now);
	its.it_value.tv_sec = now.tv_sec + secs;
	its.it_value.tv_nsec = now.tv_nsec;
	if (timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL))
		die("timerfd_settime");
	logf_("A tfd %lld.%09ld\n", TS(its.it_value));
	if (timer_settime(timer, TIMER_ABSTIME, &its, NULL))
		die("timer_settime");
	logf_("A posix %lld.%09ld\n", TS(its.it_value));
}

static void __attribute__((noreturn)) run(const char *path, const char *secs)
{
	struct timespec mv, bv, ms, bs, now;
	struct pollfd pfd = { .fd = -1, .events = POLLIN };
	struct sigevent sev = {
		.sigev_notify = SIGEV_SIGNAL,
		.sigev_signo = SIGUSR1,
	};
	struct sigaction sa = { .sa_handler = on_timer };
	double tfd_last = 0, posix_last = 0;
	unsigned long long seq = 0;
	unsigned long lo, hi;
	int armed = 0, tfd_fired = 0, posix_logged = 0;
	timer_t timer;

	logfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (logfd < 0)
		die(path);
	logf_("P %d\n", (int)getpid());
	if (forbid_vdso_fallback(&lo, &hi))
		die("seccomp filter against the vDSO's fallback");
	logf_("V %lx-%lx: clock_gettime system calls from there fail\n", lo, hi);

	if (secs) {
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGUSR1, &sa, NULL))
			die("sigaction");
		sa.sa_handler = on_usr2;
		if (sigaction(SIGUSR2, &sa, NULL))
			die("sigaction");
		pfd.fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
		if (pfd.fd < 0)
			die("timerfd_create");
		if (timer_create(CLOCK_MONOTONIC, &sev, &timer))
			die("timer_create");
	}

	for (;;) {
		if (arm_requested && !armed) {
			arm(pfd.fd, timer, atol(secs));
			armed = 1;
		}
		vdso_now(CLOCK_MONOTONIC, &mv);
		vdso_now(CLOCK_BOOTTIME, &bv);
		sys_now(CLOCK_MONOTONIC, &ms);
		sys_now(CLOCK_BOOTTIME, &bs);
		logf_("S %llu %lld.%09ld %lld.%09ld %lld.%09ld %lld.%09ld\n",
		      seq++, TS(mv), TS(bv), TS(ms), TS(bs));
		if (armed) {
			struct itimerspec left;

			vdso_now(CLOCK_MONOTONIC, &now);
			if (timerfd_gettime(pfd.fd, &left))
				die("timerfd_gettime");
			if (!tfd_fired)
				report("tfd", &now, &left, &tfd_last);
			vdso_now(CLOCK_MONOTONIC, &now);
			if (timer_gettime(timer, &left))
				die("timer_gettime");
			if (!posix_fired)
				report("posix", &now, &left, &posix_last);
		}

		/* a signal or a restore may cut the wait short: no matter */
		if (poll(&pfd, 1, PERIOD_MS) > 0 && (pfd.revents & POLLIN)) {
			uint64_t ticks = 0;

			vdso_now(CLOCK_MONOTONIC, &now);
			if (read(pfd.fd, &ticks, sizeof(ticks)) != sizeof(ticks))
				die("read timerfd");
			logf_("F tfd %lld.%09ld %llu\n", TS(now),
			      (unsigned long long)ticks);
			tfd_fired = 1;
		}
		if (posix_fired && !posix_logged) {
			posix_logged = 1;
			logf_("F posix %lld.%09ld %d\n", TS(posix_fired_at),
			      (int)posix_fired);
		}
	}
}

/* --- the checkers --- */

static const char *const clock_name[4] = {
	"CLOCK_MONOTONIC vDSO", "CLOCK_BOOTTIME vDSO",
	"CLOCK_MONOTONIC syscall", "CLOCK_BOOTTIME syscall",
};

static FILE *open_log(const char *path)
{
	FILE *f = fopen(path, "r");

	if (!f) {
		printf("cannot read %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return f;
}

static int steps(const char *path, double maxstep, long at)
{
	double prev[4], cur[4], min[4], max[4], sum[4], across[4];
	unsigned long long seq, prevseq = 0, maxseq[4] = { 0 }, atseq = 0;
	unsigned long n = 0, bad = 0;
	long lineno = 0;
	double lag = 0;
	char line[512];
	FILE *f = open_log(path);
	int i;

	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (line[0] != 'S')
			continue;
		if (sscanf(line, "S %llu %lf %lf %lf %lf", &seq, &cur[0],
			   &cur[1], &cur[2], &cur[3]) != 5) {
			printf("malformed sample: %s", line);
			bad++;
			continue;
		}
		for (i = 0; i < 2; i++) {
			double d = cur[i + 2] - cur[i];

			if (d < 0) {
				printf("sample %llu: %s behind the vDSO read by %.9f s\n",
				       seq, clock_name[i + 2], -d);
				bad++;
			}
			if (d > lag)
				lag = d;
		}
		for (i = 0; n && i < 2; i++) {
			if (cur[i] < prev[i + 2]) {
				printf("sample %llu: %s ahead of the next vDSO read by %.9f s\n",
				       prevseq, clock_name[i + 2], prev[i + 2] - cur[i]);
				bad++;
			}
		}
		if (n && seq != prevseq + 1) {
			printf("sample %llu follows sample %llu\n", seq, prevseq);
			bad++;
		}
		for (i = 0; n && i < 4; i++) {
			double d = cur[i] - prev[i];

			if (n == 1 || d < min[i])
				min[i] = d;
			if (n == 1 || d > max[i]) {
				max[i] = d;
				maxseq[i] = seq;
			}
			sum[i] = (n == 1 ? 0 : sum[i]) + d;
			if (lineno > at && !atseq)
				across[i] = d;
		}
		if (n && lineno > at && !atseq)
			atseq = seq;
		memcpy(prev, cur, sizeof(prev));
		prevseq = seq;
		n++;
	}
	fclose(f);
	if (n < 2) {
		printf("%lu samples in %s\n", n, path);
		return 1;
	}
	printf("%lu samples, last values %.3f %.3f (vDSO mono, boot)\n",
	       n, prev[0], prev[1]);
	for (i = 0; i < 4; i++) {
		printf("%-24s largest step %+.3f s (before sample %llu), smallest %+.6f s, mean %.3f s\n",
		       clock_name[i], max[i], maxseq[i], min[i], sum[i] / (n - 1));
		if (min[i] < 0) {
			printf("%s went backwards by %.9f s\n", clock_name[i], -min[i]);
			bad++;
		}
		if (max[i] > maxstep) {
			printf("%s stepped by %.3f s, more than %.3f s\n",
			       clock_name[i], max[i], maxstep);
			bad++;
		}
	}
	if (at && !atseq) {
		printf("no sample after line %ld (the restore)\n", at);
		bad++;
	}
	if (at && atseq)
		printf("across line %ld (samples %llu to %llu): %+.6f %+.6f s (vDSO mono, boot), %+.6f %+.6f s (syscall)\n",
		       at, atseq - 1, atseq, across[0], across[1], across[2], across[3]);
	printf("syscall read at most %.6f s after the vDSO read\n", lag);
	return bad != 0;
}

static int timer(const char *path, const char *name, double maxlate,
		 long after, const char *notbefore)
{
	double deadline = 0, fired = 0, rearmed = 0, kernel = 0, min, v;
	long fireline = 0, lineno = 0;
	int armed = 0, nfired = 0, bad = 0;
	char line[512], what[16];
	const char *t = strcmp(name, "tfd") ? "POSIX timer" : "timerfd";
	FILE *f = open_log(path);

	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (sscanf(line, "%*[AFR] %15s %lf", what, &v) != 2 ||
		    strcmp(what, name))
			continue;
		if (line[0] == 'A') {
			armed++;
			deadline = v;
		} else if (line[0] == 'R') {
			/*
			 * The last before it fired, and after the restore: a
			 * re-arm that moved the deadline by less than report()
			 * logs shows no line of its own, and the one before
			 * the dump is not the deadline the timer has now.
			 */
			if (!nfired && (!after || lineno > after))
				kernel = v;
		} else {
			nfired++;
			fired = v;
			fireline = lineno;
		}
	}
	fclose(f);
	if (armed != 1 || nfired != 1) {
		printf("%s: armed %d times, fired %d times\n", t, armed, nfired);
		return 1;
	}
	/* the deadline it had when it fired: re-armed by a restore? */
	rearmed = notbefore ? atof(notbefore) : deadline;
	printf("%s: armed for %.6f, fired at %.6f (%+.6f s, log line %ld)\n",
	       t, deadline, fired, fired - deadline, fireline);
	if (notbefore)
		printf("%s: re-armed for %.6f (%+.6f s)\n", t, rearmed,
		       rearmed - deadline);
	if (kernel)
		printf("%s: last deadline the kernel reported %.6f (%+.6f s)\n",
		       t, kernel, kernel - deadline);
	if (rearmed < deadline - 1) {
		printf("%s: re-armed %.6f s before its deadline\n", t,
		       deadline - rearmed);
		bad++;
	}
	min = rearmed > kernel ? rearmed : kernel;
	if (fired < rearmed || fired < kernel) {
		printf("%s: fired %.6f s EARLY\n", t, min - fired);
		bad++;
	} else if (fired - min > maxlate) {
		printf("%s: fired %.3f s late, more than %.3f s\n", t,
		       fired - min, maxlate);
		bad++;
	}
	if (fireline <= after) {
		printf("%s: fired before the checkpoint (log line %ld <= %ld)\n",
		       t, fireline, after);
		bad++;
	}
	return bad != 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && argc <= 4 && !strcmp(argv[1], "run"))
		run(argv[2], argv[3]);
	if (argc >= 4 && argc <= 5 && !strcmp(argv[1], "steps"))
		return steps(argv[2], atof(argv[3]), argc > 4 ? atol(argv[4]) : 0);
	if (argc >= 5 && argc <= 7 && !strcmp(argv[1], "timer"))
		return timer(argv[2], argv[3], atof(argv[4]),
			     argc > 5 ? atol(argv[5]) : 0,
			     argc > 6 ? argv[6] : NULL);
	fprintf(stderr, "usage: %s run LOG [SECS] | steps LOG MAXSTEP [LINE] |"
		" timer LOG tfd|posix MAXLATE [LINE [NOTBEFORE]]\n", argv[0]);
	return 2;
}
