// SPDX-License-Identifier: GPL-2.0
/*
 * Leaks and scale (issue 6, part 4): create and destroy 10,000 time
 * namespaces one after the other, then 10,000 more 100 at a time (100 held
 * open at once, then all closed), and check that memory and slab counts
 * come back to where they started and that no ucount leaked (exactly
 * max_time_namespaces fit before and after). Reports what one namespace
 * costs, measured with many alive at once.
 *
 * The sequential part mixes unshare(CLONE_NEWTIME) (each one frees the
 * previous pending namespace), clone3(CLONE_NEWTIME) children that read
 * their clocks through the vDSO (which maps the namespace's page) and exit,
 * and children that unshare, set offsets and fork a grandchild into the
 * namespace. The batches hold 100 namespaces by fds to time_for_children,
 * or (every fifth batch) by 100 live processes.
 *
 * Settling before each reading: sync, drop_caches, every slab cache shrunk
 * (/sys/kernel/slab/NAME/shrink, which also empties KASAN's quarantine for
 * it), and a few sleeps for RCU callbacks.
 *
 * Usage: leak-timens [-n COUNT] [--debug]. --debug (a KASAN/kmemleak
 * kernel) doubles the memory tolerances: there kmemleak is the exact check.
 * Runs as root. TAP output.
 */
#include "timens-rel.h"
#include <dirent.h>
#include <sys/resource.h>

struct mem {
	long avail_kb, free_kb, slab_kb, sunreclaim_kb;
	long free_pages, slab_unrecl_pages;
};

static long meminfo_kb(const char *buf, const char *key)
{
	const char *p = strstr(buf, key);

	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

static long vmstat(const char *buf, const char *key)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), "\n%s ", key);
	p = strstr(buf, k);
	return p ? strtol(p + strlen(k), NULL, 10) : -1;
}

static void read_mem(struct mem *m)
{
	static char buf[16384];

	rel_read_file("/proc/meminfo", buf, sizeof(buf));
	m->avail_kb = meminfo_kb(buf, "MemAvailable:");
	m->free_kb = meminfo_kb(buf, "MemFree:");
	m->slab_kb = meminfo_kb(buf, "\nSlab:");
	m->sunreclaim_kb = meminfo_kb(buf, "SUnreclaim:");
	rel_read_file("/proc/vmstat", buf + 1, sizeof(buf) - 1);
	buf[0] = '\n';
	m->free_pages = vmstat(buf, "nr_free_pages");
	m->slab_unrecl_pages = vmstat(buf, "nr_slab_unreclaimable_B");
	if (m->slab_unrecl_pages < 0)
		m->slab_unrecl_pages = vmstat(buf, "nr_slab_unreclaimable");
}

static int shrink_slabs(void)
{
	DIR *d = opendir("/sys/kernel/slab");
	struct dirent *e;
	char path[512];
	int n = 0, fd;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", e->d_name);
		fd = open(path, O_WRONLY);
		if (fd < 0)
			continue;
		if (write(fd, "1", 1) == 1)
			n++;
		close(fd);
	}
	closedir(d);
	return n;
}

static void settle(struct mem *m)
{
	int i;

	for (i = 0; i < 3; i++) {
		sync();
		rel_write_file("/proc/sys/vm/drop_caches", "3");
		shrink_slabs();
		rel_msleep(200);
	}
	read_mem(m);
}

static void show(const char *what, const struct mem *m)
{
	tap_diag("%-28s MemAvailable %7ld kB, MemFree %7ld kB, Slab %6ld kB, SUnreclaim %6ld kB, "
		 "nr_free_pages %7ld", what, m->avail_kb, m->free_kb, m->slab_kb,
		 m->sunreclaim_kb, m->free_pages);
}

/*
 * Tolerances for 10,000 namespaces: 1 MiB of unreclaimable slab is about
 * 100 bytes a namespace (a leaked struct timens alone, kmalloc-128, would be
 * 1.25 MiB), 8 MiB of memory is a fifth of a page each (a leaked vvar page
 * would be 39 MiB). Finer leaks are kmemleak's job (make check-debug).
 */
static long tol_sunreclaim_kb = 1024, tol_avail_kb = 8192, tol_free_pages = 2048;

/* the counts came back (within the tolerances) */
static bool back(const char *what, const struct mem *b, const struct mem *a)
{
	long ds = a->sunreclaim_kb - b->sunreclaim_kb;
	long da = b->avail_kb - a->avail_kb;
	long dp = b->free_pages - a->free_pages;
	bool ok = ds <= tol_sunreclaim_kb && da <= tol_avail_kb && dp <= tol_free_pages;

	tap_result(ok, "%s: memory back to its level: SUnreclaim %+ld kB (<= %ld), "
		   "MemAvailable %+ld kB (>= -%ld), nr_free_pages %+ld (>= -%ld)",
		   what, ds, tol_sunreclaim_kb, -da, tol_avail_kb, -dp, tol_free_pages);
	return ok;
}

/* leave any pending namespace: back to the initial one for both */
static int to_init(void)
{
	int fd = open("/proc/1/ns/time", O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = setns(fd, CLONE_NEWTIME) ? -errno : 0;
	close(fd);
	return r;
}

/* how many namespaces fit under max_time_namespaces = limit */
static int fill_to_limit(int limit)
{
	char old[32], val[32];
	int fds[512], n = 0, i;

	if (limit > 500 || rel_read_file("/proc/sys/user/max_time_namespaces", old, sizeof(old)) <= 0)
		return -1;
	snprintf(val, sizeof(val), "%d", limit);
	to_init();
	if (rel_write_file("/proc/sys/user/max_time_namespaces", val))
		return -1;
	while (n < limit + 5) {
		if (unshare(CLONE_NEWTIME))
			break;
		fds[n] = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
		if (fds[n] < 0)
			break;
		n++;
	}
	if (errno != ENOSPC)
		tap_diag("filling to the limit stopped with %s", strerror(errno));
	for (i = 0; i < n; i++)
		close(fds[i]);
	to_init();
	old[strcspn(old, "\n")] = '\0';
	rel_write_file("/proc/sys/user/max_time_namespaces", old);
	return n;
}

static unsigned long failures;

static void fail(const char *what)
{
	if (++failures <= 10)
		tap_diag("%s: %s", what, strerror(errno));
}

/* a child in a new namespace reads its clocks through the vDSO and exits */
static void one_clone3(void)
{
	pid_t pid = rel_clone3(CLONE_NEWTIME, SIGCHLD);

	if (pid == 0) {
		_exit(now_vdso(CLOCK_MONOTONIC) > 0 && now_vdso(CLOCK_BOOTTIME) > 0 ? 0 : 1);
	}
	if (pid < 0)
		fail("clone3(CLONE_NEWTIME)");
	else if (rel_wait(pid) != 0)
		fail("clone3 child");
}

/* a child unshares, sets offsets, forks a grandchild into the namespace */
static void one_offsets(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		pid_t g;

		if (unshare(CLONE_NEWTIME) ||
		    rel_set_offsets(0, (int64_t)(rnd(1000)) * REL_NSEC, 86400 * REL_NSEC))
			_exit(1);
		g = fork();
		if (g == 0)
			_exit(now_vdso(CLOCK_MONOTONIC) > 0 ? 0 : 1);
		_exit(g > 0 && rel_wait(g) == 0 ? 0 : 1);
	}
	if (pid < 0 || rel_wait(pid) != 0)
		fail("unshare, offsets, fork");
}

static void sequential(unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		switch (i % 10) {
		case 0: case 1: case 2: case 3:
			if (unshare(CLONE_NEWTIME))
				fail("unshare(CLONE_NEWTIME)");
			break;
		case 4: case 5: case 6:
			one_clone3();
			break;
		default:
			one_offsets();
			break;
		}
	}
	to_init();
}

/* hold k namespaces by fds (or by processes), then let them all go */
static void batch(int k, bool processes)
{
	int fds[128], i, go[2];
	pid_t pids[128];
	char b;

	if (!processes) {
		for (i = 0; i < k; i++) {
			fds[i] = -1;
			if (unshare(CLONE_NEWTIME))
				fail("unshare in a batch");
			else if ((fds[i] = open("/proc/self/ns/time_for_children", O_RDONLY)) < 0)
				fail("open time_for_children");
		}
		to_init();
		for (i = 0; i < k; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		return;
	}
	if (pipe(go)) {
		fail("pipe");
		return;
	}
	for (i = 0; i < k; i++) {
		pids[i] = rel_clone3(CLONE_NEWTIME, SIGCHLD);
		if (pids[i] == 0) {
			close(go[1]);
			now_vdso(CLOCK_MONOTONIC);
			while (read(go[0], &b, 1) > 0)
				;
			_exit(0);
		}
		if (pids[i] < 0)
			fail("clone3 in a batch");
	}
	close(go[0]);
	close(go[1]);
	for (i = 0; i < k; i++)
		if (pids[i] > 0 && rel_wait(pids[i]) != 0)
			fail("batch child");
}

/* what n live namespaces cost, held by fds */
static void cost(int n)
{
	struct mem b, a, c, fb, fa;
	int *fds = calloc(n, sizeof(int)), i, self;

	settle(&b);
	for (i = 0; i < n; i++) {
		fds[i] = -1;
		if (unshare(CLONE_NEWTIME) ||
		    (fds[i] = open("/proc/self/ns/time_for_children", O_RDONLY)) < 0)
			fail("cost: unshare and open");
	}
	to_init();
	settle(&a);
	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	settle(&c);
	show("before the live ones", &b);
	show("with them alive", &a);
	show("after closing them", &c);

	/* the holder alone: as many fds to one namespace, its inode and dentry shared */
	self = open("/proc/self/ns/time", O_RDONLY);
	settle(&fb);
	for (i = 0; i < n; i++)
		fds[i] = open("/proc/self/ns/time", O_RDONLY);
	settle(&fa);
	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	close(self);

	tap_diag("one namespace held by an fd costs: MemAvailable %.0f B, MemFree %.0f B, "
		 "Slab %.0f B, SUnreclaim %.0f B, free pages %.3f (n = %d)",
		 1024.0 * (b.avail_kb - a.avail_kb) / n, 1024.0 * (b.free_kb - a.free_kb) / n,
		 1024.0 * (a.slab_kb - b.slab_kb) / n, 1024.0 * (a.sunreclaim_kb - b.sunreclaim_kb) / n,
		 (double)(b.free_pages - a.free_pages) / n, n);
	tap_diag("of which the fd itself (struct file): MemFree %.0f B, Slab %.0f B",
		 1024.0 * (fb.free_kb - fa.free_kb) / n, 1024.0 * (fa.slab_kb - fb.slab_kb) / n);
	tap_diag("memory per namespace: %.1f KiB (MemAvailable, fd and nsfs inode included; "
		 "the namespace's vvar page is 4 KiB of it)",
		 (b.avail_kb - a.avail_kb) / (double)n);
	tap_result(b.free_pages - a.free_pages >= n * 9 / 10 &&
		   c.free_pages > a.free_pages,
		   "cost: %d live namespaces take at least a page each (their vvar pages), "
		   "and give them back", n);
	back("cost", &b, &c);
	free(fds);
}

int main(int argc, char **argv)
{
	unsigned long n = 10000, i;
	struct mem m0, m1, m2;
	int fit0, fit1, opt;
	struct timespec t0, t1;
	bool debug = false;

	for (opt = 1; opt < argc; opt++) {
		if (!strcmp(argv[opt], "--debug"))
			debug = true;
		else if (!strcmp(argv[opt], "-n") && opt + 1 < argc)
			n = strtoul(argv[++opt], NULL, 0);
		else {
			fprintf(stderr, "usage: %s [-n COUNT] [--debug]\n", argv[0]);
			return 2;
		}
	}
	rel_need_root_timens();
	rel_vdso_init();
	rng_state = 1;
	{
		struct rlimit rl = { 8192, 8192 };

		if (setrlimit(RLIMIT_NOFILE, &rl))
			tap_diag("setrlimit(RLIMIT_NOFILE): %s", strerror(errno));
	}
	if (debug) {
		/*
		 * kmemleak's and debugobjects' own objects, freed late; KASAN's
		 * quarantine is emptied by the shrink (measured: within 150 kB)
		 */
		tol_sunreclaim_kb = 2048;
		tol_avail_kb = 16384;
		tol_free_pages = 4096;
	}
	tap_plan(8);
	tap_diag("slab caches that can be shrunk: %d", shrink_slabs());
	tap_diag("%lu namespaces one after the other, %lu in batches of 100%s", n, n,
		 debug ? "; debug kernel tolerances" : "");

	fit0 = fill_to_limit(100);
	/* warm the caches up, then the baseline */
	sequential(200);
	for (i = 0; i < 3; i++)
		batch(100, i == 2);
	settle(&m0);
	show("baseline", &m0);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	sequential(n);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	settle(&m1);
	show("after the sequential ones", &m1);
	tap_diag("sequential: %lu namespaces in %.1f s", n,
		 (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	tap_result(failures == 0, "sequential: %lu created and destroyed, no failure (%lu)", n, failures);
	back("sequential", &m0, &m1);

	failures = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n / 100; i++)
		batch(100, i % 5 == 4);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	settle(&m2);
	show("after the batches", &m2);
	tap_diag("batches: %lu namespaces in %.1f s", n / 100 * 100,
		 (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	tap_result(failures == 0, "batches: %lu created 100 at a time and destroyed, no failure (%lu)",
		   n / 100 * 100, failures);
	back("batches", &m0, &m2);

	fit1 = fill_to_limit(100);
	tap_result(fit0 == 100 && fit1 == 100,
		   "ucounts: max_time_namespaces 100 lets exactly 100 live before (%d) and after (%d)",
		   fit0, fit1);

	failures = 0;
	cost(2000);
	tap_result(failures == 0, "cost: no failure");
	return tap_failed ? 1 : 0;
}
