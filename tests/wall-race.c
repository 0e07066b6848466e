// SPDX-License-Identifier: GPL-2.0
/*
 * A namespace's own wall clock set while absolute deadlines are armed on
 * it, fire, are re-armed and cancelled: for a bounded time, in one time
 * namespace whose wall clock is its own (root: unshare(CLONE_NEWTIME),
 * "realtime 0 0" to timens_offsets, fork the worker into it):
 *
 *   setter      steps the namespace's CLOCK_REALTIME back and forth in
 *               bursts (clock_adjtime ADJ_SETOFFSET|ADJ_NANO, adjtimex
 *               ADJ_SETOFFSET, clock_settime, settimeofday): steps of up
 *               to 300 ms, one in ten up to 5 s, the clock kept within 6 s
 *               of the host's, 0-2 ms apart; it logs each set as the
 *               CLOCK_MONOTONIC before and after the call and what it set
 *   waiters     one thread each: clock_nanosleep TIMER_ABSTIME, timerfd
 *               (blocking read; re-armed, disarmed, closed while armed;
 *               TFD_TIMER_CANCEL_ON_SET), a POSIX timer signalling its
 *               thread (re-armed, disarmed, deleted while armed),
 *               FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME on a word nobody
 *               wakes, mq_timedreceive on an empty queue; deadlines 0-50 ms
 *               ahead on the namespace's clock, some already past; signals
 *               interrupt them now and then
 *   canceller   a TFD_TIMER_CANCEL_ON_SET timerfd an hour ahead, re-armed
 *               after each ECANCELED; each burst of sets starts once it is
 *               armed and must end it with ECANCELED
 *   parent      in the initial namespace: the host's CLOCK_REALTIME minus
 *               CLOCK_MONOTONIC every 5 ms, and a CANCEL_ON_SET timerfd
 *
 * The namespace's clock is known from the log: CLOCK_MONOTONIC has no
 * offset, the host's wall clock is not stepped (test 6 checks), so between
 * sets CLOCK_REALTIME - CLOCK_MONOTONIC is constant, and a set changes it
 * at some instant inside its [before, after]: ADJ_SETOFFSET by exactly the
 * step, clock_settime to T minus the instant. From that, the highest the
 * namespace's clock can have read between arming and the wake: a correct
 * kernel fires only at an instant where it reads >= the deadline, so a
 * wake with that bound below the deadline (less 1 ms) fired early. With
 * no set in between, the clock read after the wake is >= the deadline.
 *
 * Tests: no deadline fired early; every wait ended (none lost: 20 s past
 * its deadline on the final clock after the setter stopped, 40 s at most,
 * then reported and the program still ends); the sets succeeded and the
 * clock (vDSO, system call, /proc/self/timens_offsets) then read what was
 * set; CANCEL_ON_SET timerfds see ECANCELED for each burst of sets, never
 * without a set; disarmed timers stay disarmed; the host's clock did not
 * move. A kernel without a settable namespace wall clock fails test 3.
 *
 * Usage: wall-race [SECONDS] (default 10). Runs as root; prints counts as
 * "# " lines and TAP.
 */
#include "timens-rel.h"
#include <mqueue.h>
#include <poll.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/timex.h>
#include <linux/futex.h>

#define US		1000LL
#define MS		1000000LL
#define LOG_MAX		(1 << 20)	/* sets; 32 MB of address space, touched as used */
#define STEP_SMALL	(300 * MS)
#define STEP_LARGE	(5 * REL_NSEC)
#define DRIFT_MAX	(6 * REL_NSEC)	/* from the host's clock */
#define AHEAD_MAX	(50 * MS)	/* deadlines ahead of the namespace's clock */
#define EARLY_TOL	(1 * MS)	/* the model's bound, for rounding */
#define DIRECT_TOL	(1 * US)	/* a read after a wake with no set in between */
#define READ_TOL	(10 * US)	/* a read after a set against what was set */
#define HOST_TOL	(1 * MS)
#define GRACE		(20 * REL_NSEC)	/* past a deadline on the final clock: lost */
#define HARD		(40 * REL_NSEC)	/* after the setter stopped: lost, whatever */
#define SETTER_JOIN	(20 * REL_NSEC)
#define CANCEL_WAIT	(5 * REL_NSEC)
#define PARENT_SLACK	90		/* s beyond SECONDS before the worker is killed */

enum kind { K_SLEEP, K_TIMERFD, K_POSIX, K_FUTEX, K_MQ, K_NR };

static const char *const kind_name[K_NR] = {
	"clock_nanosleep", "timerfd", "POSIX timer", "futex", "mq_timedreceive",
};

enum method { M_ADJ_NANO, M_ADJ_USEC, M_SETTIME, M_SETTOD, M_NR };

static const char *const method_name[M_NR] = {
	"clock_adjtime(ADJ_SETOFFSET|ADJ_NANO)", "adjtimex(ADJ_SETOFFSET)", "clock_settime",
	"settimeofday",
};

enum fkind { F_EARLY, F_LOST, F_WAIT, F_SET, F_CANCEL, F_DISARM, F_HOST, F_NR };

static const char *const fkind_name[F_NR] = {
	"early", "lost", "wait", "set", "cancel", "disarm", "host",
};

enum counter {
	C_BURSTS, C_BURSTS_CHECKED, C_ECANCELED, C_CANCEL_ARMS, C_WAIT_ECANCELED, C_READ_CHECKS,
	C_PROC_CHECKS, C_REARMS, C_DISARMS, C_DELETES, C_EXPIRED, C_STALE, C_DIRECT,
	C_INTERRUPTS, C_HOST_SAMPLES, C_DISARM_RACE, C_NR,
};

static const char *const counter_name[C_NR] = {
	"set bursts", "bursts checked for ECANCELED", "canceller ECANCELED", "canceller arms",
	"waiter timerfd ECANCELED", "clock reads after a set", "timens_offsets reads after a set",
	"re-arms before the fire", "disarms", "deleted or closed while armed",
	"expired when re-armed or disarmed", "stale timer signals", "fires checked directly",
	"signals interrupting waits", "host clock samples",
	"disarms that met the fire",
};

#define MSG_PER_KIND	5
#define MSG_MAX		(F_NR * MSG_PER_KIND)

struct shared {
	int fails[F_NR];
	int kmsg[F_NR];
	int nmsg;
	int msg_kind[MSG_MAX];
	char msg[MSG_MAX][256];
	unsigned long cnt[C_NR];
	unsigned long arms[K_NR], fires[K_NR], past[K_NR], eintr[K_NR];
	unsigned long sets[M_NR], set_fails;
	int kind_off[K_NR];
	char kind_off_why[K_NR][64];
	long max_late_ns, max_wait_ns;
	long drift_min, drift_max;
	unsigned long log_used;
	int log_full, worker_ended, setup_failed;
	char setup_msg[256];
	long host_dev_max;
};

static struct shared *sh;

static void add(unsigned long *c, unsigned long n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

static void count(enum counter c)
{
	add(&sh->cnt[c], 1);
}

static void note_max(long *p, long v)
{
	long cur = __atomic_load_n(p, __ATOMIC_RELAXED);

	while (v > cur &&
	       !__atomic_compare_exchange_n(p, &cur, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static void note_min(long *p, long v)
{
	long cur = __atomic_load_n(p, __ATOMIC_RELAXED);

	while (v < cur &&
	       !__atomic_compare_exchange_n(p, &cur, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static void __attribute__((format(printf, 2, 3))) fail(enum fkind k, const char *fmt, ...)
{
	va_list ap;
	int i;

	__atomic_fetch_add(&sh->fails[k], 1, __ATOMIC_RELAXED);
	if (__atomic_fetch_add(&sh->kmsg[k], 1, __ATOMIC_RELAXED) >= MSG_PER_KIND)
		return;
	i = __atomic_fetch_add(&sh->nmsg, 1, __ATOMIC_RELAXED);
	if (i >= MSG_MAX)
		return;
	sh->msg_kind[i] = k;
	va_start(ap, fmt);
	vsnprintf(sh->msg[i], sizeof(sh->msg[i]), fmt, ap);
	va_end(ap);
}

/* ---- per-thread PRNG (splitmix64) ---- */

static uint64_t seed;
static __thread uint64_t trng_state;

static void trng_seed(uint64_t salt)
{
	trng_state = seed ^ (salt * 0xd1b54a32d192ed03ULL);
}

static uint64_t trnd(uint64_t n)
{
	uint64_t z = (trng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return n ? z % n : 0;
}

/* ---- clocks ---- */

static int64_t mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts_ns(&ts);
}

/* the namespace's wall clock, through the vDSO or the system call */
static int64_t real_vdso(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts_ns(&ts);
}

static int64_t real_sys(void)
{
	struct timespec ts;

	if (syscall(SYS_clock_gettime, CLOCK_REALTIME, &ts))
		return -1;
	return ts_ns(&ts);
}

static int64_t real_any(void)
{
	return trnd(2) ? real_vdso() : real_sys();
}

static struct timespec ns_ts(int64_t t)
{
	struct timespec ts = { t / REL_NSEC, t % REL_NSEC };

	if (ts.tv_nsec < 0) {
		ts.tv_nsec += REL_NSEC;
		ts.tv_sec--;
	}
	return ts;
}

static void pause_ns(int64_t ns)
{
	struct timespec ts = ns_ts(ns);

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* the offset (CLOCK_REALTIME - CLOCK_MONOTONIC) from the best of @n reads */
static void read_offset(int n, int64_t *lo, int64_t *hi)
{
	int64_t best = INT64_MAX;
	int i;

	for (i = 0; i < n; i++) {
		int64_t m1 = mono(), r = real_vdso(), m2 = mono();

		if (m2 - m1 < best) {
			best = m2 - m1;
			*lo = r - m2;
			*hi = r - m1;
		}
	}
}

/* ---- the set log: what the namespace's clock can have read when ---- */

struct setrec {
	int64_t b, e;		/* CLOCK_MONOTONIC before and after the call */
	int64_t lo, hi;		/* CLOCK_REALTIME - CLOCK_MONOTONIC after it */
};

static struct setrec *slog;
static size_t nset;			/* under set_lock */
static pthread_mutex_t set_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t off0_lo, off0_hi;	/* before the first set */
static int64_t t0;			/* the worker's start, for messages */

/* sets done when a reading taken before this call was: all of them logged */
static size_t sets_logged(void)
{
	size_t n;

	pthread_mutex_lock(&set_lock);
	n = nset;
	pthread_mutex_unlock(&set_lock);
	return n;
}

/* the first set whose call ended at or after @t */
static size_t first_ending(size_t n, int64_t t)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (slog[mid].e < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The highest the namespace's clock can have read at an instant of
 * [a, w]: an offset is in force from its set's start to the next set's
 * end; within that, the clock is highest at the end. *over: the sets
 * whose calls overlapped [a, w].
 */
static int64_t clock_max(int64_t a, int64_t w, size_t n, size_t *over)
{
	size_t j = first_ending(n, a), k;
	int64_t best = (j < n && slog[j].e < w ? slog[j].e : w) + (j ? slog[j - 1].hi : off0_hi);

	for (k = j; k < n && slog[k].b <= w; k++) {
		int64_t end = k + 1 < n && slog[k + 1].e < w ? slog[k + 1].e : w;

		if (end + slog[k].hi > best)
			best = end + slog[k].hi;
	}
	*over = k - j;
	return best;
}

static bool set_between(int64_t a, int64_t w, size_t n)
{
	size_t j = first_ending(n, a);

	return j < n && slog[j].b <= w;
}

static double rel_ms(int64_t m)
{
	return (m - t0) / 1e6;
}

/* ---- waiters ---- */

struct waiter {
	pthread_t th;
	enum kind kind;
	int started, done, lost;
	int armed;		/* the current wait, for the watchdog */
	int64_t D, a;
};

static struct waiter waiters[K_NR];
static int stop_waiters, stop_setter;

static void arm_note(struct waiter *w, int64_t D, int64_t a)
{
	__atomic_store_n(&w->D, D, __ATOMIC_RELAXED);
	__atomic_store_n(&w->a, a, __ATOMIC_RELAXED);
	__atomic_store_n(&w->armed, 1, __ATOMIC_RELEASE);
	add(&sh->arms[w->kind], 1);
}

static void arm_clear(struct waiter *w)
{
	__atomic_store_n(&w->armed, 0, __ATOMIC_RELEASE);
}

static bool stopping(void)
{
	return __atomic_load_n(&stop_waiters, __ATOMIC_ACQUIRE);
}

/* a deadline on the namespace's clock: 0-50 ms ahead, now and then past or now */
static int64_t pick_deadline(struct waiter *w, int64_t r)
{
	switch (trnd(20)) {
	case 0:
		add(&sh->past[w->kind], 1);
		return r - 1 - (int64_t)trnd(AHEAD_MAX);
	case 1:
		return r;
	default:
		return r + 1 + (int64_t)trnd(AHEAD_MAX);
	}
}

/*
 * The wait armed at @a for @D (the clock read @r_arm then) ended: it
 * fired, or (@r_arm 0) a re-arm or disarm found it expired. Never early.
 */
static void fire_check(struct waiter *w, const char *what, int64_t D, int64_t a, int64_t r_arm)
{
	int64_t m = mono(), r = real_any(), m2 = mono(), best;
	size_t n = sets_logged(), over;

	arm_clear(w);
	add(&sh->fires[w->kind], 1);
	note_max(&sh->max_wait_ns, m - a);
	best = clock_max(a, m, n, &over);
	if (best < D - EARLY_TOL)
		fail(F_EARLY, "%s%s: deadline %" PRId64 ", armed at %.3f ms, woke at %.3f ms: "
		     "the clock read at most %" PRId64 " in between, %" PRId64 " ns short (%zu sets)",
		     kind_name[w->kind], what, D, rel_ms(a), rel_ms(m), best, D - best, over);
	if (!set_between(a, m2, n)) {
		count(C_DIRECT);
		if (r < D - DIRECT_TOL)
			fail(F_EARLY, "%s%s: deadline %" PRId64 ", armed at %.3f ms, woke at %.3f ms "
			     "with no set in between, the clock reading %" PRId64 " ns before it",
			     kind_name[w->kind], what, D, rel_ms(a), rel_ms(m), D - r);
		else if (r_arm)
			note_max(&sh->max_late_ns, r - (D > r_arm ? D : r_arm));
	}
}

static void wait_error(struct waiter *w, const char *what, int err)
{
	arm_clear(w);
	fail(F_WAIT, "%s: %s: %s", kind_name[w->kind], what, strerror(err));
	pause_ns(10 * MS);
}

static void sleep_loop(struct waiter *w)
{
	while (!stopping()) {
		int64_t r = real_any(), D = pick_deadline(w, r), a;
		struct timespec ts = ns_ts(D);
		int err;

		a = mono();
		arm_note(w, D, a);
		while ((err = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL)) == EINTR)
			add(&sh->eintr[w->kind], 1);
		if (err)
			wait_error(w, "clock_nanosleep", err);
		else
			fire_check(w, "", D, a, r);
	}
}

static void futex_loop(struct waiter *w)
{
	static uint32_t word;	/* nobody wakes it, nobody changes it */

	while (!stopping()) {
		int64_t r = real_any(), D = pick_deadline(w, r), a;
		struct timespec ts = ns_ts(D);
		int op = FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME | (trnd(2) ? FUTEX_PRIVATE_FLAG : 0);
		long ret;

		a = mono();
		arm_note(w, D, a);
		while ((ret = syscall(SYS_futex, &word, op, 0, &ts, NULL, FUTEX_BITSET_MATCH_ANY)) < 0 &&
		       errno == EINTR)
			add(&sh->eintr[w->kind], 1);
		if (ret == 0)
			wait_error(w, "FUTEX_WAIT_BITSET woke with nobody waking it", EAGAIN);
		else if (errno != ETIMEDOUT)
			wait_error(w, "FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME", errno);
		else
			fire_check(w, op & FUTEX_PRIVATE_FLAG ? " (private)" : " (shared)", D, a, r);
	}
}

static void mq_loop(struct waiter *w)
{
	struct mq_attr at = { .mq_maxmsg = 1, .mq_msgsize = 8 };
	char name[64], buf[8];
	mqd_t q;

	snprintf(name, sizeof(name), "/wall-race-%d", getpid());
	q = mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &at);
	if (q == (mqd_t)-1 && errno == EEXIST) {
		mq_unlink(name);
		q = mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &at);
	}
	if (q == (mqd_t)-1) {
		/* a kernel without POSIX message queues: that kind does not run */
		sh->kind_off[w->kind] = 1;
		snprintf(sh->kind_off_why[w->kind], sizeof(sh->kind_off_why[w->kind]), "mq_open: %s",
			 strerror(errno));
		if (errno != ENOSYS)
			fail(F_WAIT, "mq_open: %s", strerror(errno));
		return;
	}
	mq_unlink(name);
	while (!stopping()) {
		int64_t r = real_any(), D = pick_deadline(w, r), a;
		struct timespec ts = ns_ts(D);
		ssize_t n;

		a = mono();
		arm_note(w, D, a);
		while ((n = mq_timedreceive(q, buf, sizeof(buf), NULL, &ts)) < 0 && errno == EINTR)
			add(&sh->eintr[w->kind], 1);
		if (n >= 0)
			wait_error(w, "mq_timedreceive received from an empty queue", EAGAIN);
		else if (errno != ETIMEDOUT)
			wait_error(w, "mq_timedreceive", errno);
		else
			fire_check(w, "", D, a, r);
	}
	mq_close(q);
}

static int tfd_read(int fd, uint64_t *ticks)
{
	ssize_t n;

	while ((n = read(fd, ticks, sizeof(*ticks))) < 0 && errno == EINTR)
		;
	if (n < 0)
		return errno;
	return n == sizeof(*ticks) ? 0 : EIO;
}

static bool its_zero(const struct itimerspec *its)
{
	return !its->it_value.tv_sec && !its->it_value.tv_nsec;
}

/* a short pause before touching an armed timer: before or after its deadline */
static void pause_within(int64_t D, int64_t r)
{
	int64_t left = D - r;

	pause_ns(trnd((left > 0 ? left : 0) + 2 * MS));
}

/*
 * A re-arm: wait a while before @D (picked when the clock read @r), then
 * pick the next deadline from the clock's reading, kept in *@r2; *@a2 is
 * when it is armed, at the latest.
 */
static int64_t next_deadline(struct waiter *w, int64_t D, int64_t r, int64_t *r2,
			     int64_t *a2)
{
	int64_t D2;

	pause_within(D, r);
	*r2 = real_any();
	D2 = pick_deadline(w, *r2);
	*a2 = mono();
	return D2;
}

static void timerfd_loop(struct waiter *w)
{
	int fd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC);
	int cfd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC);	/* always CANCEL_ON_SET */
	int64_t cfd_since = mono();	/* a set after this can be reported by cfd's next read */
	struct itimerspec off = { { 0, 0 }, { 0, 0 } };

	if (fd < 0 || cfd < 0) {
		wait_error(w, "timerfd_create", errno);
		return;
	}
	while (!stopping()) {
		int64_t r = real_any(), D = pick_deadline(w, r), a, r2, D2;
		struct itimerspec its = { { 0, 0 }, ns_ts(D) }, old;
		unsigned int mode = trnd(100);
		uint64_t ticks;
		int err;

		if (mode < 12) {
			/* CANCEL_ON_SET: fires, or ECANCELED after a set */
			int64_t rs, m;

			a = mono();
			arm_note(w, D, a);
			if (timerfd_settime(cfd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL)) {
				err = errno;
				m = mono();
				arm_clear(w);
				/*
				 * As for the host's clock: a set since the last
				 * ECANCELED was seen makes the arming report it
				 * (the timer is armed all the same).
				 */
				if (err != ECANCELED) {
					wait_error(w, "timerfd_settime(CANCEL_ON_SET)", err);
				} else {
					count(C_WAIT_ECANCELED);
					if (!set_between(cfd_since, m, sets_logged()))
						fail(F_CANCEL, "timerfd_settime: ECANCELED at %.3f ms "
						     "without a set since %.3f ms", rel_ms(m),
						     rel_ms(cfd_since));
					cfd_since = m;
				}
				continue;
			}
			rs = mono();
			err = tfd_read(cfd, &ticks);
			m = mono();
			if (err == ECANCELED) {
				arm_clear(w);
				count(C_WAIT_ECANCELED);
				if (!set_between(cfd_since, m, sets_logged()))
					fail(F_CANCEL, "timerfd: ECANCELED at %.3f ms without a set since "
					     "%.3f ms", rel_ms(m), rel_ms(cfd_since));
			} else if (err) {
				wait_error(w, "timerfd read (CANCEL_ON_SET)", err);
			} else {
				fire_check(w, " (CANCEL_ON_SET)", D, a, r);
			}
			cfd_since = rs;
			continue;
		}

		a = mono();
		arm_note(w, D, a);
		if (timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL)) {
			wait_error(w, "timerfd_settime", errno);
			continue;
		}
		if (mode < 70) {
			err = tfd_read(fd, &ticks);
			if (err)
				wait_error(w, "timerfd read", err);
			else
				fire_check(w, "", D, a, r);
		} else if (mode < 82) {
			/* re-armed: the old deadline, if it expired, was not early */
			int64_t a2;

			D2 = next_deadline(w, D, r, &r2, &a2);
			its.it_value = ns_ts(D2);
			if (timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, &old)) {
				wait_error(w, "timerfd_settime (re-arm)", errno);
				continue;
			}
			count(C_REARMS);
			if (its_zero(&old)) {
				count(C_EXPIRED);
				fire_check(w, " (expired at re-arm)", D, a, 0);
			}
			arm_note(w, D2, a2);
			err = tfd_read(fd, &ticks);
			if (err)
				wait_error(w, "timerfd read (re-armed)", err);
			else
				fire_check(w, " (re-armed)", D2, a2, r2);
		} else if (mode < 94) {
			/* disarmed before it fired: it stays quiet */
			struct pollfd p = { fd, POLLIN, 0 };
			struct itimerspec cur = { { 0, 0 }, { 0, 0 } };
			int pr, gr;

			pause_within(D, r);
			if (timerfd_settime(fd, 0, &off, &old)) {
				wait_error(w, "timerfd_settime (disarm)", errno);
				continue;
			}
			count(C_DISARMS);
			if (its_zero(&old)) {
				count(C_EXPIRED);
				fire_check(w, " (expired at disarm)", D, a, 0);
				continue;
			}
			arm_clear(w);
			pause_ns(trnd(3 * MS));
			/*
			 * Even with no timeout, poll() fails with EINTR when a
			 * signal is pending, and the run sends SIGUSR2 to the
			 * waiters: ask again.
			 */
			do
				pr = poll(&p, 1, 0);
			while (pr < 0 && errno == EINTR);
			gr = timerfd_gettime(fd, &cur);
			if (pr != 0 || gr || !its_zero(&cur))
				fail(F_DISARM, "timerfd disarmed before its deadline %" PRId64 " (%.3f ms "
				     "left) fired or stayed armed: poll %d (revents %#x, %s), "
				     "timerfd_gettime %d, %.3f ms left", D,
				     (old.it_value.tv_sec * REL_NSEC + old.it_value.tv_nsec) / 1e6,
				     pr, (unsigned int)p.revents, pr < 0 ? strerror(errno) : "-", gr,
				     (cur.it_value.tv_sec * REL_NSEC + cur.it_value.tv_nsec) / 1e6);
		} else {
			/* closed while armed */
			pause_within(D, r);
			close(fd);
			arm_clear(w);
			count(C_DELETES);
			fd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC);
			if (fd < 0) {
				wait_error(w, "timerfd_create", errno);
				break;
			}
		}
	}
	if (fd >= 0)
		close(fd);
	close(cfd);
}

/* a POSIX timer on CLOCK_REALTIME that signals this thread, SIGRTMIN, value @gen */
static int ptimer_create(timer_t *t, int gen)
{
	struct sigevent sev;

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev._sigev_un._tid = gettid();
	sev.sigev_signo = SIGRTMIN;
	sev.sigev_value.sival_int = gen;
	return timer_create(CLOCK_REALTIME, &sev, t);
}

/*
 * The signal of timer @gen, @t, for its current deadline; those of deleted
 * timers are stale, and so is one of @t's earlier deadline that fired
 * while timer_settime() re-armed it: 6.12 reports the old deadline as
 * pending when it fires during the call (the retry keeps the first old
 * value) and delivers its signal after the re-arm.  Such a signal comes
 * while @t is still armed for the new deadline; once that one fired, one
 * signal stands for both (they merge), and the caller's check of the
 * clock comes after timer_gettime() said so.
 */
static int ptimer_wait(struct waiter *w, timer_t t, int gen)
{
	struct itimerspec cur;
	sigset_t set;
	siginfo_t si;

	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	for (;;) {
		if (sigwaitinfo(&set, &si) < 0) {
			if (errno == EINTR) {
				add(&sh->eintr[w->kind], 1);
				continue;
			}
			return errno;
		}
		if (si.si_code == SI_TIMER && si.si_value.sival_int == gen) {
			if (timer_gettime(t, &cur))
				return errno;
			if (its_zero(&cur))
				return 0;
		}
		count(C_STALE);
	}
}

/*
 * Re-arming or disarming @t showed that its deadline @D, armed at @a,
 * fired: check it, and drop @t, whose signal, if not dropped by the
 * kernel, is stale for what comes next.
 */
static void ptimer_expired(struct waiter *w, const char *what, int64_t D,
			   int64_t a, timer_t t)
{
	count(C_EXPIRED);
	fire_check(w, what, D, a, 0);
	timer_delete(t);
}

static void posix_loop(struct waiter *w)
{
	struct itimerspec off = { { 0, 0 }, { 0, 0 } };
	timer_t t;
	int gen = 0, err;
	bool have = false;

	while (!stopping()) {
		int64_t r, D, a, r2, D2, a2, m_d;
		struct itimerspec its = { { 0, 0 }, { 0, 0 } }, old;
		unsigned int mode = trnd(100);

		if (!have) {
			if (ptimer_create(&t, ++gen)) {
				wait_error(w, "timer_create", errno);
				continue;
			}
			have = true;
		}
		r = real_any();
		D = pick_deadline(w, r);
		its.it_value = ns_ts(D);
		a = mono();
		arm_note(w, D, a);
		if (timer_settime(t, TIMER_ABSTIME, &its, NULL)) {
			wait_error(w, "timer_settime", errno);
			continue;
		}
		if (mode < 60) {
			err = ptimer_wait(w, t, gen);
			if (err)
				wait_error(w, "sigwaitinfo", err);
			else
				fire_check(w, "", D, a, r);
		} else if (mode < 75) {
			/* re-armed */
			D2 = next_deadline(w, D, r, &r2, &a2);
			its.it_value = ns_ts(D2);
			if (timer_settime(t, TIMER_ABSTIME, &its, &old)) {
				wait_error(w, "timer_settime (re-arm)", errno);
				continue;
			}
			count(C_REARMS);
			if (its_zero(&old)) {
				/*
				 * It fired. Its signal may be queued (6.12) or
				 * dropped by the re-arm (6.13 on), and the new
				 * deadline's merge into it: the new deadline
				 * goes to a new timer, the old signal is stale.
				 */
				ptimer_expired(w, " (expired at re-arm)", D, a, t);
				if (ptimer_create(&t, ++gen)) {
					have = false;
					wait_error(w, "timer_create", errno);
					continue;
				}
				a2 = mono();
				if (timer_settime(t, TIMER_ABSTIME, &its, NULL)) {
					wait_error(w, "timer_settime", errno);
					continue;
				}
			}
			arm_note(w, D2, a2);
			err = ptimer_wait(w, t, gen);
			if (err)
				wait_error(w, "sigwaitinfo (re-armed)", err);
			else
				fire_check(w, " (re-armed)", D2, a2, r2);
		} else if (mode < 90) {
			/* disarmed before it fired: no signal of it comes */
			sigset_t set;
			siginfo_t si;
			struct timespec zero = { 0, 0 };

			pause_within(D, r);
			if (timer_settime(t, 0, &off, &old)) {
				wait_error(w, "timer_settime (disarm)", errno);
				continue;
			}
			m_d = mono();
			count(C_DISARMS);
			if (its_zero(&old)) {
				/* it fired; its signal, if not dropped, is stale with a new timer */
				ptimer_expired(w, " (expired at disarm)", D, a, t);
				have = false;
				continue;
			}
			arm_clear(w);
			pause_ns(trnd(3 * MS));
			sigemptyset(&set);
			sigaddset(&set, SIGRTMIN);
			for (;;) {
				size_t over;
				int64_t best;

				if (sigtimedwait(&set, &si, &zero) < 0) {
					/* a SIGUSR2 of the run came first: look again */
					if (errno == EINTR)
						continue;
					break;
				}

				if (si.si_code != SI_TIMER || si.si_value.sival_int != gen) {
					count(C_STALE);
					continue;
				}
				/*
				 * The kernel reads the old value before it
				 * cancels, both under the timer's lock; an
				 * expiry whose callback already waits for that
				 * lock still queues its signal (1 ns "left" is
				 * the kernel's mark for "expired, signal not
				 * yet delivered"). Only a deadline the clock
				 * never reached before the disarm returned
				 * must stay quiet.
				 */
				best = clock_max(a, m_d, sets_logged(), &over);
				if (best >= D - EARLY_TOL) {
					count(C_DISARM_RACE);
					continue;
				}
				fail(F_DISARM, "POSIX timer disarmed before its deadline %" PRId64
				     " (%.3f ms left, the clock read at most %" PRId64 " by the "
				     "disarm's return, %zu sets) fired", D,
				     (old.it_value.tv_sec * REL_NSEC + old.it_value.tv_nsec) / 1e6,
				     best, over);
			}
		} else {
			/* deleted while armed: a signal it queued first is stale */
			pause_within(D, r);
			timer_delete(t);
			have = false;
			arm_clear(w);
			count(C_DELETES);
		}
	}
	if (have)
		timer_delete(t);
}

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;

	trng_seed(10 + w->kind);
	switch (w->kind) {
	case K_SLEEP: sleep_loop(w); break;
	case K_TIMERFD: timerfd_loop(w); break;
	case K_POSIX: posix_loop(w); break;
	case K_FUTEX: futex_loop(w); break;
	case K_MQ: mq_loop(w); break;
	default: break;
	}
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* ---- the canceller: a CANCEL_ON_SET timerfd an hour ahead ---- */

static pthread_mutex_t c_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c_cond;
static uint64_t c_gen, c_cancelled;	/* the arm in force, the last one cancelled */
static int c_stop, c_done;

static void *canceller(void *arg)
{
	int fd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC);
	sigset_t set;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);	/* ends the read at the end */
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	if (fd < 0)
		fail(F_CANCEL, "timerfd_create: %s", strerror(errno));
	while (fd >= 0 && !__atomic_load_n(&c_stop, __ATOMIC_ACQUIRE)) {
		struct itimerspec its = { { 0, 0 }, ns_ts(real_vdso() + 3600 * REL_NSEC) };
		uint64_t ticks;
		ssize_t n;

		if (timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL)) {
			/*
			 * ECANCELED: a set came after the last one was read,
			 * which the arming reports (armed all the same).
			 */
			if (errno == ECANCELED) {
				pthread_mutex_lock(&c_lock);
				c_cancelled = c_gen;
				pthread_cond_broadcast(&c_cond);
				pthread_mutex_unlock(&c_lock);
				count(C_ECANCELED);
				continue;
			}
			fail(F_CANCEL, "timerfd_settime(CANCEL_ON_SET): %s", strerror(errno));
			pause_ns(10 * MS);
			continue;
		}
		pthread_mutex_lock(&c_lock);
		c_gen++;
		pthread_cond_broadcast(&c_cond);
		pthread_mutex_unlock(&c_lock);
		count(C_CANCEL_ARMS);
		n = read(fd, &ticks, sizeof(ticks));
		if (n < 0 && errno == ECANCELED) {
			pthread_mutex_lock(&c_lock);
			c_cancelled = c_gen;
			pthread_cond_broadcast(&c_cond);
			pthread_mutex_unlock(&c_lock);
			count(C_ECANCELED);
		} else if (!(n < 0 && errno == EINTR)) {
			fail(F_CANCEL, "a CANCEL_ON_SET timerfd an hour ahead: read gave %zd (%s)", n,
			     n < 0 ? strerror(errno) : "it fired");
		}
	}
	if (fd >= 0)
		close(fd);
	__atomic_store_n(&c_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void abs_in(struct timespec *ts, int64_t ns)
{
	*ts = ns_ts(mono() + ns);
}

/*
 * The canceller's arm in force, not known to be cancelled: its number, or 0.
 * Armed before the burst that follows, it is cancelled by it if not by a
 * set before (ECANCELED on its way): never a false alarm.
 */
static uint64_t cancel_armed(void)
{
	struct timespec until;
	uint64_t g = 0;

	abs_in(&until, 200 * MS);
	pthread_mutex_lock(&c_lock);
	while (c_gen <= c_cancelled && !__atomic_load_n(&c_done, __ATOMIC_ACQUIRE) &&
	       pthread_cond_timedwait(&c_cond, &c_lock, &until) != ETIMEDOUT)
		;
	if (c_gen > c_cancelled)
		g = c_gen;
	pthread_mutex_unlock(&c_lock);
	return g;
}

/* arm @g, made before a burst of sets, was cancelled */
static bool cancel_seen(uint64_t g)
{
	struct timespec until;
	bool seen;

	abs_in(&until, CANCEL_WAIT);
	pthread_mutex_lock(&c_lock);
	while (c_cancelled < g && !__atomic_load_n(&c_done, __ATOMIC_ACQUIRE) &&
	       pthread_cond_timedwait(&c_cond, &c_lock, &until) != ETIMEDOUT)
		;
	seen = c_cancelled >= g;
	pthread_mutex_unlock(&c_lock);
	return seen;
}

/* ---- the setter ---- */

static int64_t cur_lo, cur_hi;		/* the offset now (setter only) */
static int setter_done;

/* floor of @v / @d */
static int64_t fdiv(int64_t v, int64_t d)
{
	return v / d - (v % d < 0);
}

/* one set, logged; its errno (0: done), -1 with the log full; *end: its end */
static int do_set(enum method me, int64_t delta, int64_t *end)
{
	struct timex tx;
	struct timespec ts;
	struct timeval tv;
	int64_t b, e, T, lo, hi, sec;
	long ret;
	int err;

	memset(&tx, 0, sizeof(tx));
	pthread_mutex_lock(&set_lock);
	if (nset >= LOG_MAX) {
		pthread_mutex_unlock(&set_lock);
		return -1;
	}
	switch (me) {
	case M_ADJ_NANO:
		sec = fdiv(delta, REL_NSEC);
		tx.modes = ADJ_SETOFFSET | ADJ_NANO;
		tx.time.tv_sec = sec;
		tx.time.tv_usec = delta - sec * REL_NSEC;
		b = mono();
		ret = syscall(SYS_clock_adjtime, CLOCK_REALTIME, &tx);
		e = mono();
		lo = cur_lo + delta;
		hi = cur_hi + delta;
		break;
	case M_ADJ_USEC:
		delta = fdiv(delta, US) * US;
		sec = fdiv(delta, REL_NSEC);
		tx.modes = ADJ_SETOFFSET;
		tx.time.tv_sec = sec;
		tx.time.tv_usec = (delta - sec * REL_NSEC) / US;
		b = mono();
		ret = syscall(SYS_adjtimex, &tx);
		e = mono();
		lo = cur_lo + delta;
		hi = cur_hi + delta;
		break;
	case M_SETTIME:
		T = real_any() + delta;
		ts = ns_ts(T);
		b = mono();
		ret = clock_settime(CLOCK_REALTIME, &ts);
		e = mono();
		lo = T - e;
		hi = T - b;
		break;
	default:
		T = fdiv(real_any() + delta, US) * US;
		tv.tv_sec = fdiv(T, REL_NSEC);
		tv.tv_usec = (T - tv.tv_sec * REL_NSEC) / US;
		b = mono();
		ret = syscall(SYS_settimeofday, &tv, NULL);
		e = mono();
		lo = T - e;
		hi = T - b;
		break;
	}
	/* adjtimex() returns the clock's state, >= 0 */
	err = ret < 0 ? errno : 0;
	if (err) {
		/* it should have changed nothing; in case it did, either */
		lo = lo < cur_lo ? lo : cur_lo;
		hi = hi > cur_hi ? hi : cur_hi;
	}
	slog[nset] = (struct setrec){ b, e, lo, hi };
	nset++;
	pthread_mutex_unlock(&set_lock);
	cur_lo = lo;
	cur_hi = hi;
	*end = e;
	return err;
}

/* the namespace's offset from the host's wall clock, as timens_offsets shows it */
static int proc_realtime(int64_t *off)
{
	char buf[512], *p;
	long long s;
	long n;
	ssize_t len = rel_read_file("/proc/self/timens_offsets", buf, sizeof(buf));

	if (len < 0)
		return (int)-len;
	*off = 0;	/* no line while it is 0 */
	p = strstr(buf, "realtime");
	if (p) {
		if (sscanf(p, "realtime %lld %ld", &s, &n) != 2)
			return EINVAL;
		*off = s * REL_NSEC + n;
	}
	return 0;
}

/* after a set: the clock, through vDSO and system call, and /proc read what it set */
static void read_check(enum method me, int64_t delta)
{
	int64_t m1 = mono(), r = real_any(), m2 = mono(), off;
	int err;

	count(C_READ_CHECKS);
	if (r - m2 > cur_hi + READ_TOL || r - m1 < cur_lo - READ_TOL)
		fail(F_SET, "after %s of %+" PRId64 " ns at %.3f ms the clock read %" PRId64
		     ", %" PRId64 " ns off what was set", method_name[me], delta, rel_ms(m1), r,
		     r - m2 > cur_hi ? r - m2 - cur_hi : r - m1 - cur_lo);
	if (trnd(32))
		return;
	count(C_PROC_CHECKS);
	err = proc_realtime(&off);
	if (err)
		fail(F_SET, "reading /proc/self/timens_offsets: %s", strerror(err));
	else if (off < cur_lo - off0_hi - READ_TOL || off > cur_hi - off0_lo + READ_TOL)
		fail(F_SET, "after %s of %+" PRId64 " ns timens_offsets shows realtime %" PRId64
		     ", set: %" PRId64 "..%" PRId64, method_name[me], delta, off, cur_lo - off0_hi,
		     cur_hi - off0_lo);
}

static int64_t drift(void)
{
	return (cur_lo + cur_hi) / 2 - (off0_lo + off0_hi) / 2;
}

static int64_t pick_step(void)
{
	int64_t d = trnd(10) ? 1 + (int64_t)trnd(STEP_SMALL) : 1 + (int64_t)trnd(STEP_LARGE);

	if (trnd(2))
		d = -d;
	if (drift() + d > DRIFT_MAX || drift() + d < -DRIFT_MAX)
		d = -d;
	return d;
}

static enum method pick_method(void)
{
	unsigned int p = trnd(100);

	return p < 50 ? M_ADJ_NANO : p < 60 ? M_ADJ_USEC : p < 85 ? M_SETTIME : M_SETTOD;
}

static void *setter(void *arg)
{
	int64_t end = 0;
	unsigned long missed = 0;
	bool give_up = false;

	(void)arg;
	trng_seed(1);
	cur_lo = off0_lo;
	cur_hi = off0_hi;
	while (!give_up && !__atomic_load_n(&stop_setter, __ATOMIC_ACQUIRE)) {
		/* the canceller's timerfd, armed: this burst cancels it */
		uint64_t g = missed < 3 ? cancel_armed() : 0;
		int i, n = 1 + trnd(20), ok = 0;

		for (i = 0; i < n && !__atomic_load_n(&stop_setter, __ATOMIC_ACQUIRE); i++) {
			int64_t delta = pick_step();
			enum method me = pick_method();
			int err = do_set(me, delta, &end);

			if (err < 0) {
				sh->log_full = 1;
				give_up = true;
				break;
			}
			add(&sh->sets[me], 1);
			if (err) {
				add(&sh->set_fails, 1);
				fail(F_SET, "%s of %+" PRId64 " ns in the namespace: %s%s", method_name[me],
				     delta, strerror(err), err == EPERM ?
				     ": this kernel does not let the namespace's root set its own wall clock" :
				     "");
				if (err == EPERM || err == ENOSYS)
					give_up = true;
				if (give_up)
					break;
			} else {
				ok++;
				read_check(me, delta);
				note_min(&sh->drift_min, drift());
				note_max(&sh->drift_max, drift());
			}
			pause_ns(trnd(2 * MS + 1));
		}
		count(C_BURSTS);
		if (g && ok) {
			count(C_BURSTS_CHECKED);
			if (!cancel_seen(g)) {
				missed++;
				fail(F_CANCEL, "a CANCEL_ON_SET timerfd armed before a burst of %d sets "
				     "(the last at %.3f ms) was not cancelled within %lld s", ok,
				     rel_ms(end), CANCEL_WAIT / REL_NSEC);
			}
		}
		pause_ns(trnd(5 * MS));
	}
	__atomic_store_n(&setter_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* ---- the worker: in the namespace ---- */

static void on_signal(int sig)
{
	(void)sig;
}

static bool start(pthread_t *th, void *(*fn)(void *), void *arg, const char *what)
{
	int err = pthread_create(th, NULL, fn, arg);

	if (err)
		fail(F_WAIT, "pthread_create(%s): %s", what, strerror(err));
	return !err;
}

static void worker(int seconds, uint64_t parent_ns)
{
	pthread_t set_th, cancel_th;
	pthread_condattr_t ca;
	struct sigaction sa;
	sigset_t set;
	int64_t end, stop_at, final_lo;
	bool have_setter, have_canceller;
	int k;

	t0 = mono();
	if (rel_pid_ns_ino(0, "time") == parent_ns) {
		/* never set the clock of the namespace the host runs in */
		sh->setup_failed = 1;
		snprintf(sh->setup_msg, sizeof(sh->setup_msg),
			 "the forked worker is not in a new time namespace");
		return;
	}
	slog = mmap(NULL, (size_t)LOG_MAX * sizeof(*slog), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (slog == MAP_FAILED) {
		sh->setup_failed = 1;
		snprintf(sh->setup_msg, sizeof(sh->setup_msg), "mmap of the set log: %s",
			 strerror(errno));
		return;
	}
	read_offset(20, &off0_lo, &off0_hi);

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c_cond, &ca);

	/* SIGRTMIN: the POSIX timer's, taken by sigwaitinfo(); SIGUSR1: ends the canceller */
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;	/* interruptions: what restarts, restarts */
	sigaction(SIGUSR2, &sa, NULL);
	sa.sa_flags = 0;
	sigaction(SIGUSR1, &sa, NULL);

	have_canceller = start(&cancel_th, canceller, NULL, "canceller");
	for (k = 0; k < K_NR; k++) {
		waiters[k].kind = k;
		waiters[k].started = start(&waiters[k].th, waiter_main, &waiters[k], kind_name[k]);
	}
	have_setter = start(&set_th, setter, NULL, "setter");

	/* the run: interrupt the waiters now and then */
	end = t0 + seconds * REL_NSEC;
	while (mono() < end) {
		struct waiter *w = &waiters[trnd(K_NR)];

		pause_ns(MS + trnd(9 * MS));
		if (w->started && !__atomic_load_n(&w->done, __ATOMIC_ACQUIRE) &&
		    !pthread_kill(w->th, SIGUSR2))
			count(C_INTERRUPTS);
	}

	/* the setter first: then every deadline has a last clock to end by */
	__atomic_store_n(&stop_setter, 1, __ATOMIC_RELEASE);
	stop_at = mono();
	while (have_setter && !__atomic_load_n(&setter_done, __ATOMIC_ACQUIRE) &&
	       mono() < stop_at + SETTER_JOIN)
		pause_ns(10 * MS);
	if (have_setter && !__atomic_load_n(&setter_done, __ATOMIC_ACQUIRE))
		fail(F_SET, "the setter did not return within %lld s of its stop",
		     SETTER_JOIN / REL_NSEC);
	else if (have_setter)
		pthread_join(set_th, NULL);
	/* (a set stuck in the kernel still holds set_lock: the waiters' checks wait) */
	if (__atomic_load_n(&setter_done, __ATOMIC_ACQUIRE)) {
		final_lo = nset ? slog[nset - 1].lo : off0_lo;
		sh->log_used = nset;
	} else {
		final_lo = cur_lo;
	}
	__atomic_store_n(&stop_waiters, 1, __ATOMIC_RELEASE);
	stop_at = mono();	/* no set from here on */

	/* every wait ends: at the latest GRACE past its deadline on the final clock, HARD after the stop */
	for (;;) {
		int64_t now = mono();
		bool left = false;

		for (k = 0; k < K_NR; k++) {
			struct waiter *w = &waiters[k];
			int64_t D, a, limit;

			if (!w->started || w->lost || __atomic_load_n(&w->done, __ATOMIC_ACQUIRE))
				continue;
			limit = stop_at;
			D = __atomic_load_n(&w->D, __ATOMIC_RELAXED);
			a = __atomic_load_n(&w->a, __ATOMIC_RELAXED);
			if (__atomic_load_n(&w->armed, __ATOMIC_ACQUIRE) && D - final_lo > limit)
				limit = D - final_lo;
			if (now > limit + GRACE || now > stop_at + HARD) {
				w->lost = 1;
				if (__atomic_load_n(&w->armed, __ATOMIC_ACQUIRE))
					fail(F_LOST, "%s: the wait for %" PRId64 ", armed at %.3f ms, had not "
					     "ended at %.3f ms, %.3f s past the deadline on the final clock",
					     kind_name[k], D, rel_ms(a), rel_ms(now),
					     (now - (D - final_lo)) / 1e9);
				else
					fail(F_LOST, "%s: the thread did not end within %.3f s of the stop "
					     "(not in a wait)", kind_name[k], (now - stop_at) / 1e9);
			} else {
				left = true;
			}
		}
		if (!left)
			break;
		pause_ns(10 * MS);
	}
	for (k = 0; k < K_NR; k++)
		if (waiters[k].started && !waiters[k].lost)
			pthread_join(waiters[k].th, NULL);

	/* the canceller waits in read(): SIGUSR1 ends it */
	__atomic_store_n(&c_stop, 1, __ATOMIC_RELEASE);
	end = mono() + 5 * REL_NSEC;
	while (have_canceller && !__atomic_load_n(&c_done, __ATOMIC_ACQUIRE) && mono() < end) {
		pthread_kill(cancel_th, SIGUSR1);
		pause_ns(10 * MS);
	}
	if (have_canceller && !__atomic_load_n(&c_done, __ATOMIC_ACQUIRE))
		fail(F_CANCEL, "the canceller's read did not end on a signal");
	sh->worker_ended = 1;
	/* exit_group() ends whatever thread is stuck */
}

/* ---- the parent: the host's clock ---- */

/* host CLOCK_REALTIME - CLOCK_MONOTONIC, *unc its uncertainty */
static int64_t host_offset(int64_t *unc)
{
	int64_t lo = 0, hi = 0;

	read_offset(5, &lo, &hi);
	*unc = (hi - lo) / 2 + 1;
	return lo + (hi - lo) / 2;
}

static int arm_host_cancel(int fd)
{
	struct itimerspec its = { { 0, 0 }, ns_ts(real_vdso() + 3600 * REL_NSEC) };

	return timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL);
}

/* watch the host's clock until the worker ends (or is killed: too late, or the host moved) */
static bool monitor(pid_t pid, int seconds)
{
	int hfd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK);
	int64_t unc0, unc, ref = host_offset(&unc0), deadline;
	bool killed = false, reaped = false;
	int64_t kill_at = 0;

	if (hfd < 0 || arm_host_cancel(hfd))
		fail(F_HOST, "the host's CANCEL_ON_SET timerfd: %s", strerror(errno));
	deadline = mono() + (seconds + PARENT_SLACK) * REL_NSEC;
	while (!reaped) {
		struct pollfd p = { hfd, POLLIN, 0 };
		int64_t dev;
		uint64_t ticks;
		int st;

		if (waitpid(pid, &st, WNOHANG) == pid) {
			reaped = true;
			break;
		}
		if (killed) {
			if (mono() > kill_at + 5 * REL_NSEC)
				break;	/* unkillable: report without it */
			pause_ns(10 * MS);
			continue;
		}
		if (mono() > deadline) {
			fail(F_LOST, "the worker did not end within %d s of its run: killed",
			     PARENT_SLACK);
			kill(pid, SIGKILL);
			killed = true;
			kill_at = mono();
			continue;
		}
		if (hfd >= 0 && poll(&p, 1, 5) > 0) {
			ssize_t n = read(hfd, &ticks, sizeof(ticks));
			bool cancelled = n < 0 && errno == ECANCELED;

			/* whether the clock moved too, the sample below tells */
			if (cancelled || !(n < 0 && errno == EAGAIN))
				fail(F_HOST, "the host's CANCEL_ON_SET timerfd an hour ahead: %s",
				     cancelled ? "cancelled (a set of the host's clock)" :
				     n < 0 ? strerror(errno) : "it fired");
			arm_host_cancel(hfd);
		} else if (hfd < 0) {
			pause_ns(5 * MS);
		}
		dev = host_offset(&unc) - ref;
		count(C_HOST_SAMPLES);
		note_max(&sh->host_dev_max, dev < 0 ? -dev : dev);
		if (dev > HOST_TOL + unc + unc0 || dev < -(HOST_TOL + unc + unc0)) {
			/* never let the test move the host's clock more */
			fail(F_HOST, "the host's CLOCK_REALTIME - CLOCK_MONOTONIC moved by %+" PRId64
			     " ns: stopping the worker", dev);
			kill(pid, SIGKILL);
			killed = true;
			kill_at = mono();
		}
	}
	if (hfd >= 0)
		close(hfd);
	return reaped;
}

/* ---- main ---- */

static unsigned long sum(const unsigned long *v, int n)
{
	unsigned long s = 0;
	int i;

	for (i = 0; i < n; i++)
		s += v[i];
	return s;
}

static void setup_failed(const char *why)
{
	const char *skip = "no namespace with a wall clock of its own (test 3)";

	tap_diag("%s", why);
	tap_skip("wall race: no absolute deadline fired early", "%s", skip);
	tap_skip("wall race: every armed deadline ended", "%s", skip);
	tap_result(false, "wall race: the namespace's wall clock can be set # %s", why);
	tap_skip("wall race: CANCEL_ON_SET timerfds were cancelled by the sets", "%s", skip);
	tap_skip("wall race: disarmed timers stayed disarmed", "%s", skip);
	tap_skip("wall race: the host's wall clock did not move", "%s", skip);
}

int main(int argc, char **argv)
{
	int seconds = argc > 1 ? atoi(argv[1]) : 10, i, k, w;
	unsigned long fires, arms, sets, sets_ok;
	uint64_t init_ns;
	bool reaped;
	char why[256], line[512];
	int len;
	pid_t pid;

	if (seconds <= 0)
		seconds = 10;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root: it makes a time namespace and sets its wall clock\n");
		return 4;
	}
	tap_plan(6);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		printf("Bail out! mmap: %s\n", strerror(errno));
		return 1;
	}
	sh->drift_min = LONG_MAX;
	sh->drift_max = LONG_MIN;
	seed = (uint64_t)mono() ^ ((uint64_t)getpid() << 32);
	tap_diag("%d s, seed %#" PRIx64 ": a setter, %d waiters (%s, %s, %s, %s, %s), a canceller",
		 seconds, seed, K_NR, kind_name[0], kind_name[1], kind_name[2], kind_name[3],
		 kind_name[4]);

	init_ns = rel_pid_ns_ino(0, "time");
	if (unshare(CLONE_NEWTIME)) {
		snprintf(why, sizeof(why), "unshare(CLONE_NEWTIME): %s", strerror(errno));
		setup_failed(why);
		return 1;
	}
	w = rel_write_file("/proc/self/timens_offsets", "realtime 0 0\n");
	if (w) {
		snprintf(why, sizeof(why), "writing \"realtime 0 0\" to /proc/self/timens_offsets: "
			 "%s: this kernel gives a namespace no wall clock of its own", rel_errname(-w));
		setup_failed(why);
		return 1;
	}

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		worker(seconds, init_ns);
		_exit(0);
	}
	if (pid < 0) {
		snprintf(why, sizeof(why), "fork: %s", strerror(errno));
		setup_failed(why);
		return 1;
	}
	reaped = monitor(pid, seconds);
	if (sh->setup_failed) {
		setup_failed(sh->setup_msg);
		return 1;
	}

	fires = sum(sh->fires, K_NR);
	arms = sum(sh->arms, K_NR);
	sets = sum(sh->sets, M_NR);
	sets_ok = sets - sh->set_fails;
	for (k = 0; k < K_NR; k++) {
		if (sh->kind_off[k])
			tap_diag("%-16s not run: %s", kind_name[k], sh->kind_off_why[k]);
		else
			tap_diag("%-16s %lu arms (%lu past), %lu fires, %lu EINTR", kind_name[k],
				 sh->arms[k], sh->past[k], sh->fires[k], sh->eintr[k]);
	}
	len = 0;
	for (i = 0; i < M_NR; i++)
		len += snprintf(line + len, sizeof(line) - len, " %s %lu,", method_name[i],
				sh->sets[i]);
	line[len - 1] = '\0';
	tap_diag("sets%s; %lu failed; %lu logged%s", line, sh->set_fails, sh->log_used,
		 sh->log_full ? " (the log filled up: the setter stopped early)" : "");
	if (sh->drift_min <= sh->drift_max)
		tap_diag("the namespace's clock ranged %+.3f s to %+.3f s from the host's",
			 sh->drift_min / 1e9, sh->drift_max / 1e9);
	for (i = 0; i < C_NR; i++)
		tap_diag("%-38s %lu", counter_name[i], sh->cnt[i]);
	tap_diag("max lateness %.3f ms (fires with no set since arming), longest wait %.3f ms",
		 sh->max_late_ns / 1e6, sh->max_wait_ns / 1e6);
	tap_diag("host clock: largest deviation %ld ns", sh->host_dev_max);
	for (i = 0; i < sh->nmsg && i < MSG_MAX; i++)
		tap_diag("%s: %s", fkind_name[sh->msg_kind[i]], sh->msg[i]);
	for (k = 0; k < F_NR; k++)
		if (sh->fails[k] > MSG_PER_KIND)
			tap_diag("... and %d more %s failures", sh->fails[k] - MSG_PER_KIND,
				 fkind_name[k]);
	if (!reaped)
		tap_diag("the worker could not be reaped");

	tap_result(!sh->fails[F_EARLY], "wall race: no absolute deadline fired before its time on "
		   "the namespace's clock (%lu fires, %lu of them with no set in between, %lu sets)",
		   fires, sh->cnt[C_DIRECT], sets_ok);
	tap_result(!sh->fails[F_LOST] && !sh->fails[F_WAIT] && sh->worker_ended,
		   "wall race: every armed deadline ended, none lost, no wait failed (%lu arms, "
		   "%lu fires)", arms, fires);
	tap_result(!sh->fails[F_SET] && sets_ok > 0, "wall race: the setter's sets all succeeded "
		   "and the clock then read what they set (%lu sets, %lu failed)", sets,
		   sh->set_fails);
	if (sets_ok)
		tap_result(!sh->fails[F_CANCEL] && sh->cnt[C_ECANCELED] > 0,
			   "wall race: TFD_TIMER_CANCEL_ON_SET timerfds were cancelled by the sets "
			   "and only by them (%lu ECANCELED, %lu of %lu bursts checked)",
			   sh->cnt[C_ECANCELED] + sh->cnt[C_WAIT_ECANCELED],
			   sh->cnt[C_BURSTS_CHECKED], sh->cnt[C_BURSTS]);
	else
		tap_skip("wall race: TFD_TIMER_CANCEL_ON_SET timerfds were cancelled by the sets",
			 "no set succeeded (test 3)");
	tap_result(!sh->fails[F_DISARM], "wall race: disarmed timers stayed disarmed (%lu disarmed, "
		   "%lu re-armed, %lu deleted or closed while armed)", sh->cnt[C_DISARMS],
		   sh->cnt[C_REARMS], sh->cnt[C_DELETES]);
	tap_result(!sh->fails[F_HOST], "wall race: the host's wall clock did not move, its "
		   "CANCEL_ON_SET timerfd was not cancelled (%lu samples)", sh->cnt[C_HOST_SAMPLES]);
	return tap_exit();
}
