// SPDX-License-Identifier: GPL-2.0
/*
 * Races (issue 6, part 3): for a bounded time, processes and threads at
 * once unshare time namespaces, write offsets, enter namespaces by setns,
 * fork, exec, vfork, read clocks through the vDSO and the system call, and
 * arm and cancel absolute timers. Checked all along:
 *  - every clock read is monotonic within a task (across setns: in host
 *    time, the reading minus the namespace's offset);
 *  - no absolute timer (clock_nanosleep, timerfd, POSIX timer, futex)
 *    fires before its deadline in namespace time;
 *  - the vDSO, the system call and /proc/PID/timens_offsets agree on a
 *    namespace's offsets, also when writes race with the first entry;
 *  - offset writes succeed until a task enters, then fail with EACCES;
 *  - exec, vfork and clone3(CLONE_VFORK) children land where they should.
 *
 * Workers (processes, forked before anything unshares):
 *   churn     unshare, set offsets, fork a child into the namespace, check
 *   race      two threads write offsets while the main thread forks the
 *             first child into the namespace
 *   hopper    setns between namespaces with known offsets, fork from them,
 *             short absolute sleeps
 *   readers   threads reading every clock in a namespace, threads coming
 *             and going, children faulting the same namespace's page in
 *   exec      unshare then exec /proc/self/exe --exec-child (from one
 *             thread or several), vfork + exec, clone3 NEWTIME|VM|VFORK +
 *             exec
 *   timers*3  absolute timers and their cancellation in two namespaces
 *             (one near its clock's zero) and in the initial one
 *   scanner   walks /proc: reads offsets, enters other tasks' namespaces
 *             by ns fds and pidfds
 *
 * Usage: stress-timens [SECONDS] (default 10). Prints operation counts as
 * "# " lines and TAP. Runs as root.
 */
#include "timens-rel.h"
#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <linux/futex.h>

enum counter {
	C_UNSHARE, C_OFFW, C_OFFW_EACCES, C_SETNS, C_FORK, C_EXEC, C_VFORK,
	C_CLONE3_VFORK, C_THREAD, C_VDSO, C_SYS, C_TIMER, C_CANCEL, C_FUTEX,
	C_PROC, C_AGREE, C_NR,
};

static const char *const counter_name[C_NR] = {
	"unshare", "offset writes ok", "offset writes EACCES", "setns", "fork", "exec",
	"vfork", "clone3 vfork", "threads", "vDSO reads", "syscall reads",
	"timers fired", "timers cancelled", "futex waits", "proc reads",
	"agreement checks",
};

enum fkind { F_BACKWARDS, F_EARLY, F_AGREE, F_ERRNO, F_LANDING, F_HUNG, F_NR };

enum worker {
	W_CHURN, W_RACE, W_HOPPER, W_READERS, W_EXEC, W_TIMERS_A, W_TIMERS_B,
	W_TIMERS_INIT, W_SCANNER, W_NR,
};

static const char *const worker_name[W_NR] = {
	"churn", "race", "hopper", "readers", "exec", "timers-a", "timers-b",
	"timers-init", "scanner",
};

struct shared {
	volatile int stop;
	unsigned long cnt[W_NR][C_NR];
	int fails[F_NR];
	int nmsg;
	char msg[24][240];
	long max_late_ns;
};

static struct shared *sh;
static int me;			/* the worker this process works for */

static void count(enum counter c, unsigned long n)
{
	__atomic_fetch_add(&sh->cnt[me][c], n, __ATOMIC_RELAXED);
}

static void __attribute__((format(printf, 2, 3))) fail(enum fkind k, const char *fmt, ...)
{
	va_list ap;
	int i;

	__atomic_fetch_add(&sh->fails[k], 1, __ATOMIC_RELAXED);
	i = __atomic_fetch_add(&sh->nmsg, 1, __ATOMIC_RELAXED);
	if (i >= (int)(sizeof(sh->msg) / sizeof(*sh->msg)))
		return;
	va_start(ap, fmt);
	vsnprintf(sh->msg[i], sizeof(sh->msg[i]), fmt, ap);
	va_end(ap);
}

static bool stopping(void)
{
	return sh->stop;
}

static void note_late(int64_t late)
{
	long cur = __atomic_load_n(&sh->max_late_ns, __ATOMIC_RELAXED);

	while (late > cur &&
	       !__atomic_compare_exchange_n(&sh->max_late_ns, &cur, late, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* ---- monotonic readings within a task ---- */

#define NCLK 12
struct mono {
	int64_t last[NCLK];
};

static const clockid_t read_clocks[] = {
	CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW, CLOCK_MONOTONIC_COARSE,
	CLOCK_BOOTTIME, CLOCK_REALTIME, CLOCK_TAI,
};
#define NREAD (int)(sizeof(read_clocks) / sizeof(*read_clocks))

static void check_mono(struct mono *m, clockid_t clk, int64_t v, const char *who)
{
	if (v < m->last[clk])
		fail(F_BACKWARDS, "%s: clock %d went back from %" PRId64 " to %" PRId64,
		     who, clk, m->last[clk], v);
	m->last[clk] = v;
}

/* v1 <= syscall <= v2 around one system call read (same clock, same task) */
static void check_agree(struct mono *m, clockid_t clk, const char *who)
{
	int64_t v1 = now_vdso(clk), s = now_sys(clk), v2 = now_vdso(clk);

	check_mono(m, clk, v1, who);
	check_mono(m, clk, s, who);
	check_mono(m, clk, v2, who);
	if (clk != CLOCK_MONOTONIC_COARSE && (s < v1 || s > v2))
		fail(F_AGREE, "%s: clock %d: vDSO %" PRId64 ", syscall %" PRId64 ", vDSO %" PRId64,
		     who, clk, v1, s, v2);
	count(C_VDSO, 2);
	count(C_SYS, 1);
	count(C_AGREE, 1);
}

/* ---- offsets ---- */

/*
 * Random offsets a namespace can take from now on (monotonic may go near
 * zero), for host clocks hm, hb (read in the initial namespace).
 */
static void random_offsets_at(int64_t hm, int64_t hb, int64_t *mono, int64_t *boot)
{
	switch (rnd(4)) {
	case 0:
		*mono = -hm + REL_NSEC / 2 + (int64_t)rnd(REL_NSEC);	/* near zero */
		break;
	case 1:
		*mono = (int64_t)rnd(1000) * 86400 * REL_NSEC + (int64_t)rnd(REL_NSEC);
		break;
	case 2:
		*mono = 0;
		break;
	default:
		*mono = -(int64_t)rnd(hm / 2 > 0 ? hm / 2 : 1);
		break;
	}
	*boot = chance(50) ? -hb + 2 * REL_NSEC : (int64_t)rnd(10000) * 86400 * REL_NSEC + 7;
}

/* the same for a caller in the initial namespace */
static void random_offsets(int64_t *mono, int64_t *boot)
{
	random_offsets_at(rel_mono_low(), now_sys(CLOCK_BOOTTIME), mono, boot);
}

static int proc_offsets(pid_t pid, int64_t *mono, int64_t *boot)
{
	return rel_get_offsets(pid, mono, boot);
}

/* ---- the exec'd child: argv: --exec-child MONO BOOT T0MONO T0BOOT INITINO ---- */

static int exec_child(char **argv)
{
	int64_t om = strtoll(argv[2], NULL, 10), ob = strtoll(argv[3], NULL, 10);
	int64_t t0m = strtoll(argv[4], NULL, 10), t0b = strtoll(argv[5], NULL, 10);
	uint64_t init = strtoull(argv[6], NULL, 10);
	uint64_t t = rel_pid_ns_ino(0, "time"), c = rel_pid_ns_ino(0, "time_for_children");
	int64_t vm, sm, vb, sb, pm, pb;
	const int64_t slack = 600 * REL_NSEC;

	rel_vdso_init();
	if (t != c || t == init)
		return 10;		/* not in the namespace it unshared */
	vm = now_vdso(CLOCK_MONOTONIC);
	sm = now_sys(CLOCK_MONOTONIC);
	vb = now_vdso(CLOCK_BOOTTIME);
	sb = now_sys(CLOCK_BOOTTIME);
	if (vm - om < t0m || sm < vm || vm - om > t0m + slack)
		return 11;		/* monotonic: not shifted by the offset */
	if (vb - ob < t0b || sb < vb || vb - ob > t0b + slack)
		return 12;
	if (proc_offsets(0, &pm, &pb) || pm != om || pb != ob)
		return 13;		/* its namespace holds other offsets */
	if (rel_set_offsets(0, 0, 0) != -EACCES)
		return 14;		/* entered: frozen */
	return 0;
}

/* ---- churn ---- */

struct reading {
	int64_t vm, sm, vb, sb, om, ob;
	int err;
};

/* in the namespace: what the clocks and the offsets file say */
static void read_inside(pid_t offsets_of, struct reading *r)
{
	r->vm = now_vdso(CLOCK_MONOTONIC);
	r->sm = now_sys(CLOCK_MONOTONIC);
	r->vb = now_vdso(CLOCK_BOOTTIME);
	r->sb = now_sys(CLOCK_BOOTTIME);
	r->err = proc_offsets(offsets_of, &r->om, &r->ob);
}

/* a reading taken between host times t0 and t1 agrees with its offsets */
static void check_reading(const struct reading *r, int64_t t0m, int64_t t1m, int64_t t0b,
			  int64_t t1b, const char *who)
{
	count(C_AGREE, 1);
	if (r->err) {
		fail(F_ERRNO, "%s: reading the offsets: %s", who, rel_errname(-r->err));
		return;
	}
	if (r->vm - r->om < t0m || r->vm - r->om > t1m || r->sm - r->om < t0m ||
	    r->sm - r->om > t1m || r->vb - r->ob < t0b || r->vb - r->ob > t1b ||
	    r->sb - r->ob < t0b || r->sb - r->ob > t1b)
		fail(F_AGREE, "%s: mono %" PRId64 "/%" PRId64 " boot %" PRId64 "/%" PRId64
		     " (vDSO/syscall), offsets %" PRId64 "/%" PRId64 ", host %" PRId64 "..%" PRId64,
		     who, r->vm, r->sm, r->vb, r->sb, r->om, r->ob, t0m, t1m);
}

static void read_inside_child(void *offsets_of, void *r)
{
	read_inside(*(pid_t *)offsets_of, r);
}

/* fork a child into our pending namespace; it reports one reading */
static bool child_reading(pid_t offsets_of, struct reading *r)
{
	bool ok = !rel_run_child(read_inside_child, &offsets_of, r, sizeof(*r));

	count(C_FORK, 1);
	return ok;
}

static void churn(void)
{
	while (!stopping()) {
		pid_t pid = fork();

		if (pid == 0) {
			int64_t om, ob, m, b, t0m, t0b;
			struct reading r;
			int w;

			if (unshare(CLONE_NEWTIME)) {
				fail(F_ERRNO, "churn: unshare: %s", strerror(errno));
				_exit(1);
			}
			count(C_UNSHARE, 1);
			random_offsets(&om, &ob);
			w = rel_set_offsets(0, om, ob);
			if (w) {
				fail(F_ERRNO, "churn: offsets %" PRId64 "/%" PRId64 ": %s", om, ob,
				     rel_errname(-w));
				_exit(1);
			}
			count(C_OFFW, 1);
			if (proc_offsets(0, &m, &b) || m != om || b != ob)
				fail(F_AGREE, "churn: offsets read back %" PRId64 "/%" PRId64
				     ", written %" PRId64 "/%" PRId64, m, b, om, ob);
			t0m = now_sys(CLOCK_MONOTONIC);
			t0b = now_sys(CLOCK_BOOTTIME);
			if (child_reading(getpid(), &r))
				check_reading(&r, t0m, now_sys(CLOCK_MONOTONIC), t0b,
					      now_sys(CLOCK_BOOTTIME), "churn");
			w = rel_set_offsets(0, 0, 0);
			if (w != -EACCES)
				fail(F_ERRNO, "churn: offsets after the first entry: %s, expected EACCES",
				     rel_errname(-w));
			else
				count(C_OFFW_EACCES, 1);
			_exit(0);
		}
		if (pid > 0)
			rel_wait(pid);
		count(C_FORK, 1);
	}
}

/* ---- race: writers against the first entry ---- */

static volatile int race_stop;

static void *race_writer(void *arg)
{
	bool saw_eacces = false;
	int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	unsigned long ok = 0, denied = 0;
	char buf[96];
	uint64_t r = (uintptr_t)arg;

	if (fd < 0) {
		fail(F_ERRNO, "race: open: %s", strerror(errno));
		return NULL;
	}
	while (!race_stop || !saw_eacces) {
		r = r * 6364136223846793005ULL + 1442695040888963407ULL;
		snprintf(buf, sizeof(buf), "monotonic %llu %llu\nboottime %llu 0\n",
			 (unsigned long long)(r >> 40) % 100000, (unsigned long long)(r >> 8) % REL_NSEC,
			 (unsigned long long)(r >> 20) % 100000);
		if (write(fd, buf, strlen(buf)) >= 0) {
			if (saw_eacces)
				fail(F_ERRNO, "race: an offsets write succeeded after EACCES");
			ok++;
		} else if (errno == EACCES) {
			saw_eacces = true;
			denied++;
		} else {
			fail(F_ERRNO, "race: offsets write: %s", strerror(errno));
			break;
		}
	}
	close(fd);
	count(C_OFFW, ok);
	count(C_OFFW_EACCES, denied);
	return NULL;
}

static void race(void)
{
	while (!stopping()) {
		pid_t pid = fork();

		if (pid == 0) {
			pthread_t th[2];
			struct reading r;
			int64_t t0m, t0b;
			int i;

			if (unshare(CLONE_NEWTIME))
				_exit(1);
			count(C_UNSHARE, 1);
			race_stop = 0;
			for (i = 0; i < 2; i++)
				pthread_create(&th[i], NULL, race_writer, (void *)(uintptr_t)(rng() | 1));
			count(C_THREAD, 2);
			rel_msleep(rnd(3));
			t0m = now_sys(CLOCK_MONOTONIC);
			t0b = now_sys(CLOCK_BOOTTIME);
			/* the child reads the offsets frozen at its fork */
			if (child_reading(getpid(), &r))
				check_reading(&r, t0m, now_sys(CLOCK_MONOTONIC), t0b,
					      now_sys(CLOCK_BOOTTIME), "race");
			race_stop = 1;
			for (i = 0; i < 2; i++)
				pthread_join(th[i], NULL);
			_exit(0);
		}
		if (pid > 0)
			rel_wait(pid);
		count(C_FORK, 1);
	}
}

/* ---- hopper: setns between namespaces with known offsets ---- */

#define NHOP 6

static void hopper(void)
{
	int fds[NHOP + 1], k, i;
	int64_t om[NHOP + 1], ob[NHOP + 1];
	int64_t host_m = 0, host_b = 0;
	struct mono mono = { { 0 } };

	/* host clocks: we are in the initial namespace until the first setns */
	int64_t hm = rel_mono_low(), hb = now_sys(CLOCK_BOOTTIME);

	fds[0] = open("/proc/self/ns/time", O_RDONLY | O_CLOEXEC);
	om[0] = ob[0] = 0;
	for (k = 1; k <= NHOP; k++) {
		random_offsets_at(hm, hb, &om[k], &ob[k]);
		if (unshare(CLONE_NEWTIME) || rel_set_offsets(0, om[k], ob[k]) ||
		    (fds[k] = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC)) < 0 ||
		    setns(fds[k], CLONE_NEWTIME)) {
			fail(F_ERRNO, "hopper: making namespace %d: %s", k, strerror(errno));
			return;
		}
		count(C_UNSHARE, 1);
		count(C_OFFW, 1);
	}
	while (!stopping()) {
		int64_t vm, vb, sm;

		k = rnd(NHOP + 1);
		if (setns(fds[k], chance(50) ? CLONE_NEWTIME : 0)) {
			fail(F_ERRNO, "hopper: setns: %s", strerror(errno));
			continue;
		}
		count(C_SETNS, 1);
		/* in host time, readings never go back, whatever namespace */
		vm = now_vdso(CLOCK_MONOTONIC) - om[k];
		sm = now_sys(CLOCK_MONOTONIC) - om[k];
		vb = now_vdso(CLOCK_BOOTTIME) - ob[k];
		count(C_VDSO, 2);
		count(C_SYS, 1);
		if (vm < host_m || sm < vm || vb < host_b)
			fail(F_BACKWARDS, "hopper: after setns into %d: host-time monotonic %" PRId64
			     " (before %" PRId64 "), syscall %" PRId64 ", boottime %" PRId64
			     " (before %" PRId64 ")", k, vm, host_m, sm, vb, host_b);
		host_m = sm;
		host_b = vb;
		for (i = 0; i < 16; i++)
			check_agree(&mono, CLOCK_MONOTONIC, "hopper");
		memset(&mono, 0, sizeof(mono));
		if (chance(10)) {
			/* a child starts where we are */
			struct reading r;
			int64_t t0m = now_sys(CLOCK_MONOTONIC) - om[k];

			if (child_reading(getpid(), &r)) {
				count(C_AGREE, 1);
				if (r.vm - om[k] < t0m || r.om != om[k] || r.ob != ob[k])
					fail(F_LANDING, "hopper: a child forked in namespace %d reads %"
					     PRId64 " with offsets %" PRId64 "/%" PRId64 ", expected %"
					     PRId64 "/%" PRId64, k, r.vm, r.om, r.ob, om[k], ob[k]);
			}
		}
		if (chance(10)) {
			/* a short absolute sleep in this namespace */
			struct timespec ts;
			int64_t d = now_vdso(CLOCK_MONOTONIC) + (int64_t)rnd(200000), t;

			ts.tv_sec = d / REL_NSEC;
			ts.tv_nsec = d % REL_NSEC;
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
				;
			t = now_vdso(CLOCK_MONOTONIC);
			if (t < d)
				fail(F_EARLY, "hopper: clock_nanosleep in namespace %d woke at %" PRId64
				     " for %" PRId64, k, t, d);
			note_late(t - d);
			count(C_TIMER, 1);
		}
		if (chance(5)) {
			/* a namespace made and dropped, never entered */
			if (unshare(CLONE_NEWTIME) == 0) {
				count(C_UNSHARE, 1);
				random_offsets_at(hm, hb, &vm, &vb);
				if (rel_set_offsets(0, vm, vb) == 0)
					count(C_OFFW, 1);
				else
					fail(F_ERRNO, "hopper: offsets of a new namespace: %s",
					     strerror(errno));
			}
		}
	}
}

/* ---- readers ---- */

static void *reader(void *arg)
{
	struct mono m = { { 0 } };
	unsigned long n = 0;
	int i;
	long limit = (long)(uintptr_t)arg;	/* 0: until stop */

	while (!stopping() && (!limit || (long)n < limit)) {
		for (i = 0; i < NREAD; i++) {
			clockid_t c = read_clocks[i];

			check_mono(&m, c, now_vdso(c), "reader");
		}
		n += NREAD;
		if (!(n % (16 * NREAD)))
			check_agree(&m, read_clocks[rnd(NREAD)], "reader");
		if (!(n % (1024 * NREAD))) {
			count(C_VDSO, 1024 * NREAD);
			n = 0;
			if (limit)
				break;
		}
	}
	count(C_VDSO, n);
	return NULL;
}

static void readers(void)
{
	int64_t om, ob;
	pid_t r;

	if (unshare(CLONE_NEWTIME)) {
		fail(F_ERRNO, "readers: unshare: %s", strerror(errno));
		return;
	}
	count(C_UNSHARE, 1);
	random_offsets(&om, &ob);
	if (rel_set_offsets(0, om, ob))
		fail(F_ERRNO, "readers: offsets: %s", strerror(errno));
	r = fork();
	if (r == 0) {
		pthread_t th[3];
		int i;

		for (i = 0; i < 3; i++)
			pthread_create(&th[i], NULL, reader, NULL);
		count(C_THREAD, 3);
		while (!stopping()) {
			/* threads come and go while the others read */
			pthread_t t;

			if (pthread_create(&t, NULL, reader, (void *)(uintptr_t)(NREAD * 64)) == 0) {
				pthread_join(t, NULL);
				count(C_THREAD, 1);
			}
			rel_msleep(5);
		}
		for (i = 0; i < 3; i++)
			pthread_join(th[i], NULL);
		_exit(0);
	}
	count(C_FORK, 1);
	/* more children in the same namespace, faulting its page in */
	while (!stopping()) {
		pid_t c = fork();

		if (c == 0) {
			reader((void *)(uintptr_t)(NREAD * 16));
			_exit(0);
		}
		if (c > 0)
			rel_wait(c);
		count(C_FORK, 1);
		rel_msleep(2);
	}
	if (r > 0)
		rel_wait(r);
}

/* ---- exec, vfork, clone3 vfork ---- */

static char self_exe[4096];

static void exec_args(char **argv, char bufs[6][32], int64_t om, int64_t ob, int64_t t0m,
		      int64_t t0b, uint64_t init)
{
	argv[0] = "stress-timens";
	argv[1] = "--exec-child";
	snprintf(bufs[0], 32, "%" PRId64, om);
	snprintf(bufs[1], 32, "%" PRId64, ob);
	snprintf(bufs[2], 32, "%" PRId64, t0m);
	snprintf(bufs[3], 32, "%" PRId64, t0b);
	snprintf(bufs[4], 32, "%" PRIu64, init);
	argv[2] = bufs[0];
	argv[3] = bufs[1];
	argv[4] = bufs[2];
	argv[5] = bufs[3];
	argv[6] = bufs[4];
	argv[7] = NULL;
}

static void *spinner(void *arg)
{
	(void)arg;
	for (;;)
		now_vdso(CLOCK_MONOTONIC);
	return NULL;
}

struct vfork_arg {
	char **argv;
	uint64_t init;
	volatile int before;	/* the child's namespace before exec: 1 = ours */
};

static int clone3_vfork_fn(void *p)
{
	struct vfork_arg *a = p;

	/* no libc: this child shares our memory and TLS */
	sys4(SYS_execve, (long)self_exe, (long)a->argv, (long)environ, 0);
	return 127;
}

static void exec_round(int variant)
{
	pid_t pid = fork();

	if (pid == 0) {
		char *argv[8], bufs[6][32];
		int64_t om, ob, t0m, t0b;
		uint64_t init = rel_pid_ns_ino(0, "time");
		int w, st;

		if (variant == 2) {
			/* clone3(CLONE_NEWTIME|CLONE_VM|CLONE_VFORK): the namespace made for
			 * the child's children, the child moves into it at exec; its
			 * offsets: our children's, 0 */
			struct rel_clone_args args = { 0 };
			struct vfork_arg a;
			static char stack[65536] __attribute__((aligned(16)));
			long c;

			t0m = now_sys(CLOCK_MONOTONIC);
			t0b = now_sys(CLOCK_BOOTTIME);
			exec_args(argv, bufs, 0, 0, t0m, t0b, init);
			a.argv = argv;
			a.init = init;
			args.flags = CLONE_NEWTIME | CLONE_VM | CLONE_VFORK;
			args.exit_signal = SIGCHLD;
			args.stack = (uintptr_t)stack;
			args.stack_size = sizeof(stack);
			c = rel_clone3_fn(&args, sizeof(args), clone3_vfork_fn, &a);
			if (c < 0) {
				fail(F_ERRNO, "exec: clone3(NEWTIME|VM|VFORK): %s", strerror(-c));
				_exit(1);
			}
			count(C_CLONE3_VFORK, 1);
			st = rel_wait(c);
			if (st)
				fail(F_LANDING, "exec: the clone3 vfork child after exec: status %d", st);
			count(C_EXEC, 1);
			_exit(0);
		}
		if (unshare(CLONE_NEWTIME)) {
			fail(F_ERRNO, "exec: unshare: %s", strerror(errno));
			_exit(1);
		}
		count(C_UNSHARE, 1);
		random_offsets(&om, &ob);
		w = rel_set_offsets(0, om, ob);
		if (w) {
			fail(F_ERRNO, "exec: offsets: %s", rel_errname(-w));
			_exit(1);
		}
		count(C_OFFW, 1);
		t0m = now_sys(CLOCK_MONOTONIC);
		t0b = now_sys(CLOCK_BOOTTIME);
		exec_args(argv, bufs, om, ob, t0m, t0b, init);
		if (variant == 1) {
			/* vfork: the child stays with us until its exec */
			static volatile uint64_t before;
			static volatile int64_t before_mono;
			pid_t v;

			before = 0;
			v = vfork();
			if (v == 0) {
				before = rel_pid_ns_ino(0, "time");
				before_mono = now_vdso(CLOCK_MONOTONIC);
				execv(self_exe, argv);
				_exit(127);
			}
			count(C_VFORK, 1);
			if (before != init || before_mono - t0m < 0 ||
			    before_mono - t0m > 600 * REL_NSEC)
				fail(F_LANDING, "exec: a vfork child before exec: time ns %" PRIu64
				     " (ours %" PRIu64 "), monotonic %" PRId64 " from %" PRId64,
				     (uint64_t)before, init, (int64_t)before_mono, t0m);
			st = v > 0 ? rel_wait(v) : -3;
			if (st)
				fail(F_LANDING, "exec: the vfork child after exec: status %d", st);
			count(C_EXEC, 1);
			/* its exec entered our pending namespace */
			w = rel_set_offsets(0, 0, 0);
			if (w != -EACCES)
				fail(F_ERRNO, "exec: offsets after a vfork child's exec: %s",
				     rel_errname(-w));
			_exit(0);
		}
		if (variant == 3) {
			/* exec from a process with threads: they die, we move */
			pthread_t th;
			int i;

			for (i = 0; i < 2; i++)
				pthread_create(&th, NULL, spinner, NULL);
			count(C_THREAD, 2);
		}
		execv(self_exe, argv);
		fail(F_ERRNO, "exec: execv %s: %s", self_exe, strerror(errno));
		_exit(127);
	}
	if (pid > 0) {
		int st = rel_wait(pid);

		if (st)
			fail(F_LANDING, "exec: variant %d: the exec'd child failed with %d "
			     "(10 wrong namespace, 11/12 clocks not shifted, 13 offsets, 14 not frozen)",
			     variant, st);
		else if (variant != 1 && variant != 2)
			count(C_EXEC, 1);
	}
	count(C_FORK, 1);
}

static void execer(void)
{
	int i = 0;

	while (!stopping())
		exec_round(i++ % 4);
}

/* ---- timers ---- */

static void sleep_until(clockid_t clk, int64_t d)
{
	struct timespec ts = { d / REL_NSEC, d % REL_NSEC };

	while (clock_nanosleep(clk, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* What is left of an armed timer is never more than was asked. */
static void check_left(const struct itimerspec *cur, int64_t asked, const char *who,
		       const char *what)
{
	if (cur->it_value.tv_sec * REL_NSEC + cur->it_value.tv_nsec > asked)
		fail(F_AGREE, "%s: %s: %ld.%09ld left of %" PRId64 " ns", who, what,
		     (long)cur->it_value.tv_sec, cur->it_value.tv_nsec, asked);
}

static void check_fired(clockid_t clk, int64_t deadline, const char *what)
{
	int64_t t = now_vdso(clk);

	if (t < deadline)
		fail(F_EARLY, "timers: %s on clock %d fired at %" PRId64 ", deadline %" PRId64
		     " (%" PRId64 " ns early)", what, clk, t, deadline, deadline - t);
	else
		note_late(t - deadline);
	count(C_TIMER, 1);
}

static void timer_loop(const char *who)
{
	static const clockid_t clks[] = { CLOCK_MONOTONIC, CLOCK_BOOTTIME };
	int tfd[2], i, kind = 0;
	timer_t pt[2];
	sigset_t set;
	struct sigevent sev = { 0 };
	uint32_t futex_word = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (i = 0; i < 2; i++) {
		tfd[i] = timerfd_create(clks[i], TFD_CLOEXEC);
		/* to this thread: the other thread waits for its own timers */
		sev.sigev_notify = SIGEV_THREAD_ID;
		sev._sigev_un._tid = gettid();
		sev.sigev_signo = SIGRTMIN;
		sev.sigev_value.sival_int = i;
		if (tfd[i] < 0 || timer_create(clks[i], &sev, &pt[i])) {
			fail(F_ERRNO, "%s: timerfd_create/timer_create: %s", who, strerror(errno));
			return;
		}
	}
	while (!stopping()) {
		int c = rnd(2);
		clockid_t clk = clks[c];
		int64_t now = now_vdso(clk), d = now + (int64_t)rnd(3000000);
		struct itimerspec its = { { 0, 0 }, { d / REL_NSEC, d % REL_NSEC } };
		struct itimerspec cur;
		uint64_t exp;
		siginfo_t si;
		struct timespec to = { 2, 0 };

		switch (kind++ % 7) {
		case 0:
			sleep_until(clk, d);
			check_fired(clk, d, "clock_nanosleep");
			break;
		case 1:
			if (timerfd_settime(tfd[c], TFD_TIMER_ABSTIME, &its, NULL)) {
				fail(F_ERRNO, "%s: timerfd_settime: %s", who, strerror(errno));
				break;
			}
			if (!timerfd_gettime(tfd[c], &cur))
				check_left(&cur, d - now, who, "timerfd_gettime");
			if (read(tfd[c], &exp, sizeof(exp)) != sizeof(exp))
				fail(F_ERRNO, "%s: timerfd read: %s", who, strerror(errno));
			check_fired(clk, d, "timerfd");
			break;
		case 2:
			if (timer_settime(pt[c], TIMER_ABSTIME, &its, NULL)) {
				fail(F_ERRNO, "%s: timer_settime: %s", who, strerror(errno));
				break;
			}
			if (!timer_gettime(pt[c], &cur))
				check_left(&cur, d - now, who, "timer_gettime");
			if (sigtimedwait(&set, &si, &to) != SIGRTMIN) {
				fail(F_ERRNO, "%s: POSIX timer did not fire: %s", who, strerror(errno));
				break;
			}
			check_fired(clks[si.si_value.sival_int], d, "POSIX timer");
			break;
		case 3: {
			/* futex: absolute CLOCK_MONOTONIC deadlines only */
			struct timespec ts;

			d = now_vdso(CLOCK_MONOTONIC) + (int64_t)rnd(3000000);
			ts.tv_sec = d / REL_NSEC;
			ts.tv_nsec = d % REL_NSEC;
			if (syscall(SYS_futex, &futex_word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 0,
				    &ts, NULL, FUTEX_BITSET_MATCH_ANY) == 0 || errno != ETIMEDOUT) {
				if (errno != EINTR && errno != EAGAIN)
					fail(F_ERRNO, "%s: futex wait: %s", who, strerror(errno));
				break;
			}
			check_fired(CLOCK_MONOTONIC, d, "futex");
			count(C_FUTEX, 1);
			break;
		}
		case 4: {
			/* armed far ahead, then cancelled: never fires */
			struct itimerspec far = { { 0, 0 }, { (now + 2 * REL_NSEC) / REL_NSEC, 0 } };
			struct itimerspec off = { { 0, 0 }, { 0, 0 } };
			struct pollfd p = { tfd[c], POLLIN, 0 };
			struct timespec zero = { 0, 0 };

			if (timerfd_settime(tfd[c], TFD_TIMER_ABSTIME, &far, NULL) ||
			    timer_settime(pt[c], TIMER_ABSTIME, &far, NULL) ||
			    timerfd_settime(tfd[c], 0, &off, NULL) ||
			    timer_settime(pt[c], 0, &off, NULL)) {
				fail(F_ERRNO, "%s: arming and cancelling: %s", who, strerror(errno));
				break;
			}
			if (poll(&p, 1, 0) != 0 || sigtimedwait(&set, &si, &zero) >= 0)
				fail(F_EARLY, "%s: a cancelled timer fired", who);
			count(C_CANCEL, 2);
			break;
		}
		case 5: {
			/*
			 * A deadline long past (near the namespace's epoch) is
			 * due at once: right after arming, the kernel reports at
			 * most 1 ns left (or none: it fired), whatever the
			 * scheduling; an overflow would leave it far ahead.
			 */
			struct itimerspec left;

			sleep_until(clk, 1 + (int64_t)rnd(1000));
			its.it_value.tv_sec = 0;
			its.it_value.tv_nsec = 1;
			if (timerfd_settime(tfd[c], TFD_TIMER_ABSTIME, &its, NULL) ||
			    timerfd_gettime(tfd[c], &left) ||
			    read(tfd[c], &exp, sizeof(exp)) != sizeof(exp))
				fail(F_ERRNO, "%s: a past timerfd deadline: %s", who, strerror(errno));
			else if (left.it_value.tv_sec || left.it_value.tv_nsec > 1)
				fail(F_ERRNO, "%s: a past deadline had %lld.%09ld s left", who,
				     (long long)left.it_value.tv_sec, left.it_value.tv_nsec);
			count(C_TIMER, 2);
			break;
		}
		default:
			/* a relative sleep stays relative */
			{
				struct timespec rel = { 0, 100000 + rnd(1000000) };
				int64_t t0 = now_vdso(clk);

				nanosleep(&rel, NULL);
				if (now_vdso(clk) - t0 < rel.tv_nsec)
					fail(F_EARLY, "%s: nanosleep(%ld ns) returned after %" PRId64,
					     who, rel.tv_nsec, now_vdso(clk) - t0);
				count(C_TIMER, 1);
			}
			break;
		}
	}
}

static void *timer_thread(void *arg)
{
	timer_loop(arg);
	return NULL;
}

static void timers(bool near_zero, bool in_ns)
{
	pid_t pid;

	if (in_ns) {
		int64_t hm = rel_mono_low(), hb = now_sys(CLOCK_BOOTTIME);
		int w;

		if (unshare(CLONE_NEWTIME)) {
			fail(F_ERRNO, "timers: unshare: %s", strerror(errno));
			return;
		}
		count(C_UNSHARE, 1);
		/* one clock close to its zero, the other far ahead */
		if (near_zero)
			w = rel_set_offsets(0, -hm + REL_NSEC, 3 * 86400 * REL_NSEC);
		else
			w = rel_set_offsets(0, 5 * 86400 * REL_NSEC + 1, -hb + 2 * REL_NSEC);
		if (w)
			fail(F_ERRNO, "timers: offsets: %s", rel_errname(-w));
		count(C_OFFW, 1);
	}
	pid = fork();
	if (pid == 0) {
		pthread_t th;
		sigset_t set;

		sigemptyset(&set);
		sigaddset(&set, SIGRTMIN);
		sigprocmask(SIG_BLOCK, &set, NULL);
		/* two threads arm timers at once */
		pthread_create(&th, NULL, timer_thread, "timers (thread)");
		count(C_THREAD, 1);
		timer_loop("timers");
		pthread_join(th, NULL);
		_exit(0);
	}
	count(C_FORK, 1);
	if (pid > 0)
		rel_wait(pid);
}

/* ---- scanner ---- */

static void scanner(void)
{
	struct mono m = { { 0 } };
	int64_t host_m = 0;
	char path[128], buf[256];

	while (!stopping()) {
		DIR *d = opendir("/proc");
		struct dirent *e;

		if (!d) {
			fail(F_ERRNO, "scanner: /proc: %s", strerror(errno));
			return;
		}
		while ((e = readdir(d)) && !stopping()) {
			pid_t pid = atoi(e->d_name);
			int fd, how;
			int64_t om, ob, v;

			if (pid <= 1 || pid == getpid() || chance(50))
				continue;
			snprintf(path, sizeof(path), "/proc/%d/timens_offsets", pid);
			if (rel_read_file(path, buf, sizeof(buf)) >= 0)
				count(C_PROC, 1);
			snprintf(path, sizeof(path), "/proc/%d/ns/time_for_children", pid);
			fd = open(path, O_RDONLY | O_CLOEXEC);	/* held, never entered */
			if (fd >= 0)
				close(fd);
			how = rnd(2);
			if (how == 0) {
				snprintf(path, sizeof(path), "/proc/%d/ns/time", pid);
				fd = open(path, O_RDONLY | O_CLOEXEC);
			} else {
				fd = rel_pidfd_open(pid);
			}
			if (fd < 0) {
				/* gone since readdir(): ENOENT, ESRCH, or EACCES from
				 * proc_ns_get_link() when get_proc_task() fails */
				if (errno != ENOENT && errno != ESRCH && errno != EACCES)
					fail(F_ERRNO, "scanner: open %s of %d: %s",
					     how ? "pidfd" : "ns/time", pid, strerror(errno));
				continue;
			}
			if (setns(fd, CLONE_NEWTIME)) {
				if (errno != ESRCH)
					fail(F_ERRNO, "scanner: setns(%s of %d): %s",
					     how ? "pidfd" : "ns/time", pid, strerror(errno));
				close(fd);
				continue;
			}
			close(fd);
			count(C_SETNS, 1);
			/* now our namespace for children is the same: its offsets */
			if (proc_offsets(0, &om, &ob)) {
				fail(F_ERRNO, "scanner: own offsets: %s", strerror(errno));
				continue;
			}
			v = now_vdso(CLOCK_MONOTONIC) - om;
			count(C_VDSO, 1);
			if (v < host_m)
				fail(F_BACKWARDS, "scanner: after setns into %d's namespace, "
				     "host-time monotonic %" PRId64 " before %" PRId64, pid, v, host_m);
			host_m = v;
			check_agree(&m, CLOCK_BOOTTIME, "scanner");
			memset(&m, 0, sizeof(m));
		}
		closedir(d);
	}
}

/* ---- main ---- */

static void run_worker(enum worker w)
{
	me = w;
	rng_state = 0x1234567 + w * 7919;
	switch (w) {
	case W_CHURN: churn(); break;
	case W_RACE: race(); break;
	case W_HOPPER: hopper(); break;
	case W_READERS: readers(); break;
	case W_EXEC: execer(); break;
	case W_TIMERS_A: timers(true, true); break;
	case W_TIMERS_B: timers(false, true); break;
	case W_TIMERS_INIT: timers(false, false); break;
	case W_SCANNER: scanner(); break;
	default: break;
	}
}

int main(int argc, char **argv)
{
	int duration = 10, w, c, k;
	pid_t pids[W_NR];
	unsigned long tot[C_NR] = { 0 };
	bool finished = true, all_ran = true;
	struct timespec t0, t1;
	ssize_t n;

	if (argc >= 7 && !strcmp(argv[1], "--exec-child"))
		return exec_child(argv);
	if (argc > 1)
		duration = atoi(argv[1]);
	if (duration <= 0)
		duration = 10;
	rel_need_root_timens();
	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (n <= 0) {
		printf("Bail out! /proc/self/exe: %s\n", strerror(errno));
		return 1;
	}
	self_exe[n] = '\0';
	rel_vdso_init();
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		printf("Bail out! mmap: %s\n", strerror(errno));
		return 1;
	}
	tap_plan(6);
	tap_diag("%d s, %d workers: %s", duration, W_NR, "churn race hopper readers exec "
		 "timers-a timers-b timers-init scanner");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (w = 0; w < W_NR; w++) {
		fflush(stdout);
		pids[w] = fork();
		if (pids[w] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			run_worker(w);
			_exit(0);
		}
	}
	rel_msleep(duration * 1000L);
	sh->stop = 1;
	/* each worker ends its round: at most a minute */
	for (k = 0; k < 600; k++) {
		bool left = false;

		for (w = 0; w < W_NR; w++) {
			if (pids[w] > 0 && waitpid(pids[w], NULL, WNOHANG) == pids[w])
				pids[w] = 0;
			left |= pids[w] > 0;
		}
		if (!left)
			break;
		rel_msleep(100);
	}
	for (w = 0; w < W_NR; w++) {
		if (pids[w] > 0) {
			fail(F_HUNG, "worker %s did not end within 60 s of the stop", worker_name[w]);
			finished = false;
			kill(pids[w], SIGKILL);
			waitpid(pids[w], NULL, 0);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* the workers' children and grandchildren: gone with them (PDEATHSIG: workers only) */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;

	tap_diag("ran %.1f s", (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	for (w = 0; w < W_NR; w++) {
		unsigned long sum = 0;
		char line[512];
		int len = 0;

		for (c = 0; c < C_NR; c++) {
			tot[c] += sh->cnt[w][c];
			sum += sh->cnt[w][c];
			if (sh->cnt[w][c])
				len += snprintf(line + len, sizeof(line) - len, " %s %lu,",
						counter_name[c], sh->cnt[w][c]);
		}
		if (len)
			line[len - 1] = '\0';
		tap_diag("worker %-11s%s", worker_name[w], len ? line : " nothing");
		if (!sum)
			all_ran = false;
	}
	for (c = 0; c < C_NR; c++)
		tap_diag("ops %-22s %lu", counter_name[c], tot[c]);
	tap_diag("max timer lateness %.3f ms", sh->max_late_ns / 1e6);
	for (k = 0; k < sh->nmsg && k < (int)(sizeof(sh->msg) / sizeof(*sh->msg)); k++)
		tap_diag("failure: %s", sh->msg[k]);
	if (sh->nmsg > k)
		tap_diag("... and %d more failures", sh->nmsg - k);

	tap_result(!sh->fails[F_BACKWARDS], "stress: no clock read went backwards within a task "
		   "(%lu vDSO and %lu syscall reads)", tot[C_VDSO], tot[C_SYS]);
	tap_result(!sh->fails[F_EARLY], "stress: no absolute timer fired early in namespace time, "
		   "no cancelled one fired (%lu fired, %lu cancelled)", tot[C_TIMER], tot[C_CANCEL]);
	tap_result(!sh->fails[F_AGREE], "stress: vDSO, system call and /proc agree on the offsets "
		   "(%lu checks)", tot[C_AGREE]);
	tap_result(!sh->fails[F_ERRNO], "stress: offset writes succeed until the first entry, then "
		   "EACCES; no other errno (%lu ok, %lu EACCES)", tot[C_OFFW], tot[C_OFFW_EACCES]);
	tap_result(!sh->fails[F_LANDING], "stress: exec, vfork and clone3 vfork children land in the "
		   "right namespace (%lu exec, %lu vfork, %lu clone3 vfork)", tot[C_EXEC],
		   tot[C_VFORK], tot[C_CLONE3_VFORK]);
	tap_result(finished && all_ran, "stress: every worker ran and ended in time");
	return tap_failed ? 1 : 0;
}
