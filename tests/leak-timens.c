// SPDX-License-Identifier: GPL-2.0
/*
 * Leaks and scale: create and destroy 10,000 time namespaces one after the
 * other, then 10,000 more 100 at a time (100 held open at once, then all
 * closed), and check that the memory they were charged comes back and that
 * no ucount leaked (exactly max_time_namespaces fit before and after).
 * Measures what one namespace costs with many alive at once.
 *
 * The counter: the test runs in a memory cgroup of its own (cgroup2,
 * mounted for the test when it is not), and reads the cgroup's
 * memory.current: every page and slab object allocated for the test's
 * namespaces, processes, files and inodes is charged there (the series
 * allocates with GFP_KERNEL_ACCOUNT), and nothing of the rest of the system
 * is. memory.current is a page counter, read as it is (no per-CPU free
 * lists, no statistics flush); it is exact but for the charges each CPU
 * keeps in stock for the cgroup: at most MEMCG_CHARGE_BATCH (64) pages and
 * one page of object bytes a CPU, the slack of every comparison below.
 * System-wide counters (MemFree, nr_free_pages, Slab) are shown as "# "
 * lines only: pages on the per-CPU free lists and other tasks move them.
 *
 * The sequential part mixes unshare(CLONE_NEWTIME) (each one frees the
 * previous pending namespace), clone3(CLONE_NEWTIME) children that read
 * their clocks through the vDSO (which maps the namespace's page) and exit,
 * and children that unshare, set offsets and fork a grandchild into the
 * namespace. The batches hold 100 namespaces by fds to time_for_children,
 * or (every fifth batch) by 100 live processes.
 *
 * Settling before each reading: sync, drop_caches, every slab cache shrunk
 * (/sys/kernel/slab/NAME/shrink), repeated until the counter reaches what
 * is asked of it or stops falling (RCU frees exited tasks a little later);
 * the assertion is on the counter, never on how long that took.
 *
 * Usage: leak-timens [-n COUNT] [--debug]. --debug (a KASAN/kmemleak
 * kernel) doubles the tolerance: there kmemleak is the exact check.
 * Runs as root. TAP output.
 */
#include "timens-rel.h"
#include <dirent.h>
#include <sys/mount.h>
#include <sys/resource.h>

/* ---- the memory cgroup ---- */

static char cg_root[256], cg_dir[300];
static bool cg_mounted;

/* the cgroup2 mount, or one of our own; "" when there is none */
static bool cg_find_root(void)
{
	static char buf[16384];
	char *line, *save;

	if (rel_read_file("/proc/self/mounts", buf, sizeof(buf)) > 0) {
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char dev[64], dir[256], type[64];

			if (sscanf(line, "%63s %255s %63s", dev, dir, type) == 3 &&
			    !strcmp(type, "cgroup2")) {
				snprintf(cg_root, sizeof(cg_root), "%s", dir);
				return true;
			}
		}
	}
	snprintf(cg_root, sizeof(cg_root), "/tmp/leak-timens-cgroup");
	mkdir(cg_root, 0755);
	if (mount("cgroup2", cg_root, "cgroup2", 0, NULL)) {
		tap_diag("mount -t cgroup2 %s: %s", cg_root, strerror(errno));
		rmdir(cg_root);
		return false;
	}
	cg_mounted = true;
	return true;
}

static int cg_write(const char *dir, const char *file, const char *s)
{
	char path[400];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return rel_write_file(path, s);
}

/* a cgroup of our own with the memory controller, and this process in it */
static bool cg_enter(void)
{
	char path[400], buf[256];
	int err;

	if (!cg_find_root())
		return false;
	err = cg_write(cg_root, "cgroup.subtree_control", "+memory");
	if (err)
		tap_diag("+memory in %s/cgroup.subtree_control: %s", cg_root, strerror(-err));
	snprintf(cg_dir, sizeof(cg_dir), "%s/leak-timens-%d", cg_root, (int)getpid());
	if (mkdir(cg_dir, 0755)) {
		tap_diag("mkdir %s: %s", cg_dir, strerror(errno));
		return false;
	}
	snprintf(path, sizeof(path), "%s/memory.current", cg_dir);
	if (rel_read_file(path, buf, sizeof(buf)) <= 0) {
		tap_diag("%s: no memory controller", path);
		return false;
	}
	err = cg_write(cg_dir, "cgroup.procs", "0");
	if (err)
		tap_diag("moving into %s: %s", cg_dir, strerror(-err));
	return !err;
}

static void cg_leave(void)
{
	if (cg_dir[0]) {
		cg_write(cg_root, "cgroup.procs", "0");
		if (rmdir(cg_dir))
			tap_diag("rmdir %s: %s", cg_dir, strerror(errno));
	}
	if (cg_mounted) {
		umount(cg_root);
		rmdir(cg_root);
	}
}

/* memory.current of our cgroup in bytes, -1 when unreadable */
static long cg_current(void)
{
	char path[400], buf[64];

	snprintf(path, sizeof(path), "%s/memory.current", cg_dir);
	return rel_read_file(path, buf, sizeof(buf)) > 0 ? strtol(buf, NULL, 10) : -1;
}

/* one field of memory.stat, bytes */
static long cg_stat(const char *key)
{
	static char buf[8192];
	char path[400], k[64];
	const char *p;

	snprintf(path, sizeof(path), "%s/memory.stat", cg_dir);
	if (rel_read_file(path, buf + 1, sizeof(buf) - 1) <= 0)
		return -1;
	buf[0] = '\n';
	snprintf(k, sizeof(k), "\n%s ", key);
	p = strstr(buf, k);
	return p ? strtol(p + strlen(k), NULL, 10) : -1;
}

/* what the per-CPU charge stocks may hold for the cgroup, bytes */
static long cg_slack(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_CONF);

	return (cpus > 0 ? cpus : 1) * (64 + 1) * REL_PAGE;
}

/* the system's counters, for the record only */
static void show_system(const char *what)
{
	static char buf[16384];
	const char *p;
	long free_kb = -1, slab_kb = -1;

	if (rel_read_file("/proc/meminfo", buf, sizeof(buf)) > 0) {
		p = strstr(buf, "MemFree:");
		free_kb = p ? strtol(p + 8, NULL, 10) : -1;
		p = strstr(buf, "\nSlab:");
		slab_kb = p ? strtol(p + 6, NULL, 10) : -1;
	}
	tap_diag("%-26s cgroup: memory.current %8ld kB, kernel %8ld kB, slab_unreclaimable %7ld kB; "
		 "system: MemFree %7ld kB, Slab %6ld kB", what, cg_current() / 1024,
		 cg_stat("kernel") / 1024, cg_stat("slab_unreclaimable") / 1024, free_kb, slab_kb);
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

/*
 * Drop what can be dropped and read memory.current, again until it is at
 * most @want bytes (want < 0: until it stops falling), 50 rounds at most.
 */
static long settle(long want)
{
	long cur = cg_current(), prev;
	int i, flat = 0;

	for (i = 0; i < 50; i++) {
		sync();
		rel_write_file("/proc/sys/vm/drop_caches", "3");
		shrink_slabs();
		rel_msleep(100);
		prev = cur;
		cur = cg_current();
		if (want >= 0 && cur <= want)
			break;
		if (want < 0 && (cur >= prev ? ++flat : (flat = 0)) >= 3)
			break;
	}
	return cur;
}

/*
 * Tolerance for 10,000 namespaces: the charge stocks, and 256 KiB more,
 * which is 26 bytes a namespace (a leaked vvar page would be 39 MiB, a
 * leaked struct file 2.5 MiB). Finer leaks are kmemleak's job (make
 * check-debug).
 */
static long tol_bytes = 256 * 1024;

/* memory.current came back to @base (within the tolerance) */
static bool back(const char *what, long base)
{
	long limit = base + cg_slack() + tol_bytes;
	long now = settle(limit);

	tap_result(now >= 0 && now <= limit,
		   "%s: the cgroup's memory is back: memory.current %+ld kB from its baseline "
		   "(<= %ld kB: charge stocks and tolerance)", what, (now - base) / 1024,
		   (limit - base) / 1024);
	return now >= 0 && now <= limit;
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
	int *fds = calloc(n, sizeof(int)), i, self;
	long b, a, c, fb, fa, page_each = (long)n * REL_PAGE;

	b = settle(-1);
	show_system("before the live ones");
	for (i = 0; i < n; i++) {
		fds[i] = -1;
		if (unshare(CLONE_NEWTIME) ||
		    (fds[i] = open("/proc/self/ns/time_for_children", O_RDONLY)) < 0)
			fail("cost: unshare and open");
	}
	to_init();
	a = settle(-1);
	show_system("with them alive");
	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	c = settle(a - page_each + cg_slack());
	show_system("after closing them");

	/* the holder alone: as many fds to one namespace, its inode and dentry shared */
	self = open("/proc/self/ns/time", O_RDONLY);
	fb = settle(-1);
	for (i = 0; i < n; i++)
		fds[i] = open("/proc/self/ns/time", O_RDONLY);
	fa = settle(-1);
	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	close(self);

	tap_diag("one namespace held by an fd is charged %.0f B, of which the fd itself "
		 "(struct file) %.0f B (memory.current, n = %d)",
		 (double)(a - b) / n, (double)(fa - fb) / n, n);
	tap_result(a - b >= page_each - cg_slack(),
		   "cost: %d live namespaces are charged at least a page each (their vvar "
		   "pages): %+ld kB (>= %ld kB less the charge stocks' %ld kB)",
		   n, (a - b) / 1024, page_each / 1024, cg_slack() / 1024);
	tap_result(a - c >= page_each - cg_slack(),
		   "cost: closing them gives at least those pages back: %+ld kB", (c - a) / 1024);
	free(fds);
}

int main(int argc, char **argv)
{
	unsigned long n = 10000, i;
	long m0;
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
		tol_bytes *= 2;
	}
	if (!cg_enter()) {
		cg_leave();
		printf("1..0 # SKIP no memory cgroup (cgroup2 with the memory controller) to count with\n");
		return 4;
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
	m0 = settle(-1);
	show_system("baseline");

	clock_gettime(CLOCK_MONOTONIC, &t0);
	sequential(n);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	show_system("after the sequential ones");
	tap_diag("sequential: %lu namespaces in %.1f s", n,
		 (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	tap_result(failures == 0, "sequential: %lu created and destroyed, no failure (%lu)", n, failures);
	back("sequential", m0);

	failures = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n / 100; i++)
		batch(100, i % 5 == 4);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	show_system("after the batches");
	tap_diag("batches: %lu namespaces in %.1f s", n / 100 * 100,
		 (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	tap_result(failures == 0, "batches: %lu created 100 at a time and destroyed, no failure (%lu)",
		   n / 100 * 100, failures);
	back("batches", m0);

	fit1 = fill_to_limit(100);
	tap_result(fit0 == 100 && fit1 == 100,
		   "ucounts: max_time_namespaces 100 lets exactly 100 live before (%d) and after (%d)",
		   fit0, fit1);

	failures = 0;
	cost(2000);
	tap_result(failures == 0, "cost: no failure");
	cg_leave();
	return tap_failed ? 1 : 0;
}
