// SPDX-License-Identifier: GPL-2.0
/*
 * timens-bench: what a time namespace costs, measured in one process.
 *
 * Reads clocks through the vDSO (found with our own lookup in the ELF image
 * at AT_SYSINFO_EHDR) and by system call, in the initial ("root") time
 * namespace and in two namespaces with non-zero offsets; and times
 * creating, entering and destroying a namespace (unshare, write the
 * offsets, fork a child into it that exits, wait), and its parts.
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
 * system call and the offsets, and one call of CLOCK_MONOTONIC and
 * CLOCK_BOOTTIME is single-stepped: "# trace NS CLOCK N instructions in
 * the vDSO: OFFSETS..." lists the instructions it executed (objdump's
 * addresses), a cross-check of the timed figures (N + 3).
 *
 * Output is TAP: the checks are test points, everything else is a comment.
 * Lines "# result PATH NS CLOCK MEDIAN P10 P90 ROUNDS" carry the figures for
 * scripts/bench. Exit status 0 when every check passed.
 *
 * Usage: timens-bench [--brief] [--root-only] [--rounds R] [--calls N]
 *                     [--syscalls N] [--forks K]
 *   --brief: a few short rounds, only to prove that everything works
 *            (no single-stepped trace: see main()).
 *   --root-only: no namespace at all, for a kernel without them (the
 *                stripped base): the root namespace's figures only.
 */
#define _GNU_SOURCE
#include "../tests/tap.h"
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
#include <sys/auxv.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/syscall.h>
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
 * Not right after a whole second: until the next tick updates the vDSO's
 * data, every reader's nanoseconds, the root's too, come out above a
 * second and carry. An offset with random nanoseconds costs between the
 * two cases.
 */
struct nsdef {
	const char *name;
	long long mono_sec, mono_nsec, boot_sec, boot_nsec;
	long long phase;	/* host nanoseconds at which the loops start */
};

enum { NS_ROOT, NS_TIMENS, NS_TIMENS_HI, NR_NS };
static const struct nsdef nsdefs[NR_NS] = {
	{ "root",	0, 0, 0, 0, 100000000 },
	/* 10 and 20 days */
	{ "timens",	864000, 500000000, 1728000, 500000000, 100000000 },
	{ "timens_hi",	864000, 500000000, 1728000, 500000000, 600000000 },
};
#define NS_LIFE NS_TIMENS	/* the offsets written by the lifecycle loop */

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);

static clock_gettime_fn vdso_cgt;
/* TAP: tap_result() a check; the plan comes last, when the checks are known */
#define check tap_result

/* ------------------------------------------------------------------ */
/* Finding a function in the vDSO                                      */

/*
 * The vDSO is a prelinked shared object mapped whole at AT_SYSINFO_EHDR.
 * Its addresses are link-time ones: the first PT_LOAD segment gives the
 * distance to where it is mapped. The dynamic symbols are scanned in full;
 * their number comes from the SysV hash table's chain count, or failing
 * that from the GNU hash table's last chain.
 */
struct vdso_image {
	uintptr_t bias, lo, hi;	/* lo, hi: the mapped text */
	const Elf64_Sym *syms;
	const char *strs;
	size_t nsyms;
};

static size_t gnu_hash_nsyms(const uint32_t *gh)
{
	uint32_t nbuckets = gh[0], symoffset = gh[1], bloom_size = gh[2];
	const uint32_t *buckets = gh + 4 + 2 * bloom_size;	/* 64-bit bloom */
	const uint32_t *chain = buckets + nbuckets;
	uint32_t last = 0, i;

	for (i = 0; i < nbuckets; i++)
		if (buckets[i] > last)
			last = buckets[i];
	if (last < symoffset)
		return symoffset;
	while (!(chain[last - symoffset] & 1))
		last++;
	return last + 1;
}

static int vdso_open(struct vdso_image *img)
{
	uintptr_t base = getauxval(AT_SYSINFO_EHDR);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
	const Elf64_Phdr *ph;
	const Elf64_Dyn *dyn = NULL;
	const uint32_t *sysv_hash = NULL, *gnu_hash = NULL;
	int i, have_load = 0;

	if (!base || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64)
		return -1;
	ph = (const Elf64_Phdr *)(base + eh->e_phoff);
	for (i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && !have_load) {
			img->bias = base + ph[i].p_offset - ph[i].p_vaddr;
			img->lo = base;
			img->hi = img->bias + ph[i].p_vaddr + ph[i].p_memsz;
			have_load = 1;
		}
	}
	if (!have_load)
		return -1;
	for (i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_DYNAMIC)
			dyn = (const Elf64_Dyn *)(img->bias + ph[i].p_vaddr);
	if (!dyn)
		return -1;

	img->syms = NULL;
	img->strs = NULL;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		const void *p = (const void *)(img->bias + dyn->d_un.d_ptr);

		switch (dyn->d_tag) {
		case DT_SYMTAB: img->syms = p; break;
		case DT_STRTAB: img->strs = p; break;
		case DT_HASH: sysv_hash = p; break;
		case DT_GNU_HASH: gnu_hash = p; break;
		}
	}
	if (!img->syms || !img->strs || (!sysv_hash && !gnu_hash))
		return -1;
	img->nsyms = sysv_hash ? sysv_hash[1] : gnu_hash_nsyms(gnu_hash);
	return 0;
}

static void *vdso_lookup(const struct vdso_image *img, const char *name)
{
	size_t i;

	for (i = 0; i < img->nsyms; i++) {
		const Elf64_Sym *s = &img->syms[i];

		if (ELF64_ST_TYPE(s->st_info) != STT_FUNC ||
		    s->st_shndx == SHN_UNDEF || !s->st_value)
			continue;
		if (ELF64_ST_BIND(s->st_info) != STB_GLOBAL &&
		    ELF64_ST_BIND(s->st_info) != STB_WEAK)
			continue;
		if (!strcmp(img->strs + s->st_name, name))
			return (void *)(img->bias + s->st_value);
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Clocks and loops                                                    */

static inline long sys_clock_gettime(clockid_t clk, struct timespec *ts)
{
	long ret;

	/* inline: the syscall path's figure is the kernel's, not libc's */
	asm volatile("syscall"
		     : "=a"(ret)
		     : "0"((long)SYS_clock_gettime), "D"((long)clk), "S"(ts)
		     : "rcx", "r11", "memory");
	return ret;
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
/* Results                                                             */

static const struct {
	clockid_t id;
	const char *name;
	int offset;	/* 0 none, 1 monotonic, 2 boottime */
} clocks[] = {
	{ CLOCK_MONOTONIC,		"CLOCK_MONOTONIC",		1 },
	{ CLOCK_BOOTTIME,		"CLOCK_BOOTTIME",		2 },
	{ CLOCK_REALTIME,		"CLOCK_REALTIME",		0 },
	{ CLOCK_MONOTONIC_RAW,		"CLOCK_MONOTONIC_RAW",		1 },
	{ CLOCK_MONOTONIC_COARSE,	"CLOCK_MONOTONIC_COARSE",	1 },
	{ CLOCK_REALTIME_COARSE,	"CLOCK_REALTIME_COARSE",	0 },
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

	printf("# result %-7s %-9s %-22s %12.2f %12.2f %12.2f %4d\n",
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

static int write_offsets(const struct nsdef *d)
{
	char buf[128];
	int fd, len, ok;

	len = snprintf(buf, sizeof(buf), "monotonic %lld %lld\nboottime %lld %lld\n",
		       d->mono_sec, d->mono_nsec, d->boot_sec, d->boot_nsec);
	fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ok = write(fd, buf, len) == len;
	close(fd);
	return ok ? 0 : -1;
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
 * (5 s at most; both are served by the vDSO anyway).
 */
static void wait_clocksource(void)
{
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

static int trace_call(const struct nsdef *d, clockid_t clk, unsigned int *best,
		      int *best_len)
{
	static unsigned int path[MAX_TRACE];
	struct user_regs_struct regs;
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
		int in_vdso = 0;

		if (ptrace(PTRACE_SINGLESTEP, pid, NULL, (void *)(long)sig))
			break;
		if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
			break;
		sig = WSTOPSIG(status) == SIGTRAP ? 0 : WSTOPSIG(status);
		if (ptrace(PTRACE_GETREGS, pid, NULL, &regs))
			break;
		in_vdso = regs.rip >= vdso_lo && regs.rip < vdso_hi;
		if (regs.rip == vdso_entry) {
			calls++;
			n = 0;
		}
		if (calls && in_vdso && n < MAX_TRACE)
			path[n++] = regs.rip - vdso_lo;
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

/* Trace CLOCK_MONOTONIC and CLOCK_BOOTTIME in namespace @ns (entered). */
static int trace_ns(int ns)
{
	static unsigned int path[MAX_TRACE];
	int c, i, len, ok = 1;

	for (c = 0; c < 2; c++) {
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
	fprintf(stderr, "usage: %s [--brief] [--root-only] [--rounds R] [--calls N] [--syscalls N] [--forks K]\n",
		prog);
	exit(2);
}

int main(int argc, char **argv)
{
	long rounds = 21, calls = 5000, syscalls = 1000, forks = 8;
	struct vdso_image img = { 0 };
	struct timespec root_ts[NCLOCKS];
	int fd[NR_NS], brief = 0, i, r, c, p, o, err_run = 0, ok;
	int nr_ns = NR_NS, nr_life = NR_LIFE;
	int64_t t_begin;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--brief")) {
			brief = 1;
			rounds = 3;
			calls = 500;
			syscalls = 50;
			forks = 2;
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
		} else {
			usage(argv[0]);
		}
	}
	if (rounds < 1 || rounds > MAX_ROUNDS || calls < 1 || syscalls < 1 ||
	    forks < 1)
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

	printf("TAP version 13\n");
	printf("# timens-bench%s%s: %ld rounds, %ld vDSO calls, %ld system calls, %ld forks a round\n",
	       brief ? " --brief" : "", root_only ? " --root-only" : "", rounds, calls, syscalls, forks);
	show_file("kernel", "/proc/version");
	printf("# address space randomisation: %s\n",
	       personality(0xffffffff) & ADDR_NO_RANDOMIZE ? "off" : "ON (figures may vary)");
	wait_clocksource();
	show_file("clocksource", CLOCKSOURCE);
	for (i = 1; i < nr_ns; i++)
		printf("# offsets %s: monotonic %lld %lld, boottime %lld %lld; loops from host phase %lld ns\n",
		       nsdefs[i].name, nsdefs[i].mono_sec, nsdefs[i].mono_nsec,
		       nsdefs[i].boot_sec, nsdefs[i].boot_nsec, nsdefs[i].phase);

	ok = vdso_open(&img) == 0;
	if (ok)
		vdso_cgt = (clock_gettime_fn)vdso_lookup(&img, "__vdso_clock_gettime");
	if (!check(vdso_cgt != NULL, "__vdso_clock_gettime found in the vDSO"))
		goto out;
	vdso_lo = img.lo;
	vdso_hi = img.hi;
	vdso_entry = (uintptr_t)vdso_cgt;
	printf("# __vdso_clock_gettime at vDSO offset %#lx\n",
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
	check(!err_run, "%ld rounds measured (setns, unshare, offsets, fork and wait all worked)",
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

out:
	printf("1..%d\n", tap_n);
	tap_diag("%d passed, %d failed", tap_n - tap_failed, tap_failed);
	return tap_exit();
}
