// SPDX-License-Identifier: GPL-2.0
/*
 * The clock reader of the container scenarios (tests/crun.sh, tests/lxc.sh,
 * tests/crun-criu.sh): it runs inside a container and, the same program, on
 * the host just before and just after, and compares the readings.
 *
 *   ctr-clock read
 *	Print what this process sees, one "NAME VALUE..." line each:
 *	    ns INODE                      of /proc/self/ns/time
 *	    uptime NS                     /proc/uptime's first field (1/100 s)
 *	    monotonic SYSCALL_NS VDSO_NS
 *	    boottime SYSCALL_NS VDSO_NS
 *	    realtime SYSCALL_NS VDSO_NS
 *	Each clock is read by syscall(SYS_clock_gettime) and by libc's
 *	clock_gettime, which glibc serves from the vDSO; a seccomp filter makes
 *	a clock_gettime system call made from the vDSO's code fail, so a vDSO
 *	that fell back to the system call stops the program (exit 2) rather
 *	than passing off a system call as the vDSO's read.
 *
 *   ctr-clock shifted BEFORE INSIDE AFTER CLOCK OFFSET_SECS
 *	BEFORE, INSIDE and AFTER are outputs of "read": the host's before the
 *	container's read, the container's, the host's after it. Exit 0 when
 *	both of INSIDE's readings of CLOCK (monotonic, boottime, realtime or
 *	uptime), less OFFSET_SECS, lie between the last of BEFORE's readings
 *	of it and the first of AFTER's: no time is measured, the order of the
 *	reads is the bound. Prints the figures on one line.
 *
 *   ctr-clock ahead READ CLOCK OTHER
 *	Exit 0 when the file READ's readings of CLOCK are all later than the
 *	file OTHER's (the host behind the container: its clock untouched).
 *
 *   ctr-clock spawn OFFSETS CMD [ARG...]
 *	Start CMD in a new time namespace whose offsets are OFFSETS, lines of
 *	/proc/PID/timens_offsets ("realtime 31536000 0"; util-linux's unshare
 *	has no option for that clock), each written on its own before the
 *	child enters; print the child's pid and exit without waiting for it
 *	(tests/criu-wall.sh: CRIU dumps the child).
 *
 * All arithmetic in integer nanoseconds.
 */
#define _GNU_SOURCE
#include "timens-rel.h"
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#define NSEC ((int64_t)1000000000)

static const struct {
	const char *name;
	clockid_t id;
} clocks[] = {
	{ "monotonic", CLOCK_MONOTONIC },
	{ "boottime", CLOCK_BOOTTIME },
	{ "realtime", CLOCK_REALTIME },
};
#define NCLOCKS (sizeof(clocks) / sizeof(clocks[0]))

static void die(const char *what)
{
	fprintf(stderr, "ctr-clock: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* clock_gettime system calls from the vDSO's code fail with ENOSYS */
static void forbid_vdso_fallback(void)
{
	unsigned long lo = 0, hi = 0;
	char line[256];
	FILE *maps = fopen("/proc/self/maps", "r");
	int found = 0;

	if (!maps)
		die("/proc/self/maps");
	while (!found && fgets(line, sizeof(line), maps))
		found = strstr(line, "[vdso]") &&
			sscanf(line, "%lx-%lx", &lo, &hi) == 2;
	fclose(maps);
	if (!found || lo >> 32 != (hi - 1) >> 32) {
		errno = ENOENT;
		die("no [vdso] in /proc/self/maps");
	}

	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clock_gettime, 0, 6),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, instruction_pointer) + 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, lo >> 32, 0, 4),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, instruction_pointer)),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (__u32)lo, 0, 2),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (__u32)hi, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof(filter) / sizeof(filter[0]),
		.filter = filter,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		die("seccomp");
}

static int64_t ns_of(const struct timespec *ts)
{
	return ts->tv_sec * NSEC + ts->tv_nsec;
}

static int do_read(void)
{
	struct timespec sys, vdso;
	struct stat st;
	char buf[64];
	long long s, cs;
	FILE *f;
	size_t i;

	forbid_vdso_fallback();
	if (stat("/proc/self/ns/time", &st))
		die("/proc/self/ns/time");
	printf("ns %llu\n", (unsigned long long)st.st_ino);
	f = fopen("/proc/uptime", "r");
	if (!f || !fgets(buf, sizeof(buf), f) || sscanf(buf, "%lld.%2lld", &s, &cs) != 2)
		die("/proc/uptime");
	fclose(f);
	printf("uptime %" PRId64 "\n", (int64_t)(s * NSEC + cs * (NSEC / 100)));
	for (i = 0; i < NCLOCKS; i++) {
		if (syscall(SYS_clock_gettime, clocks[i].id, &sys))
			die("syscall clock_gettime");
		if (clock_gettime(clocks[i].id, &vdso))
			die("clock_gettime (vDSO)");
		printf("%s %" PRId64 " %" PRId64 "\n", clocks[i].name,
		       ns_of(&sys), ns_of(&vdso));
	}
	return fflush(stdout) ? 2 : 0;
}

/* the readings of CLOCK in FILE: n of them (1 or 2) in v[] */
static int readings(const char *file, const char *clock, int64_t v[2])
{
	char line[256], name[32];
	FILE *f = fopen(file, "r");
	int n = 0;

	if (!f) {
		fprintf(stderr, "ctr-clock: %s: %s\n", file, strerror(errno));
		exit(2);
	}
	while (fgets(line, sizeof(line), f)) {
		int64_t a, b;
		int k = sscanf(line, "%31s %" SCNd64 " %" SCNd64, name, &a, &b);

		if (k >= 2 && !strcmp(name, clock)) {
			v[0] = a;
			v[1] = k == 3 ? b : a;
			n = k - 1;
			break;
		}
	}
	fclose(f);
	if (!n) {
		fprintf(stderr, "ctr-clock: no %s reading in %s\n", clock, file);
		exit(2);
	}
	return n;
}

static int64_t min2(const int64_t v[2]) { return v[0] < v[1] ? v[0] : v[1]; }
static int64_t max2(const int64_t v[2]) { return v[0] > v[1] ? v[0] : v[1]; }

static void secs(char *buf, size_t size, int64_t ns)
{
	snprintf(buf, size, "%s%" PRId64 ".%09" PRId64, ns < 0 ? "-" : "",
		 (ns < 0 ? -ns : ns) / NSEC, (ns < 0 ? -ns : ns) % NSEC);
}

static int do_shifted(char **argv)
{
	int64_t b[2], x[2], a[2], off = strtoll(argv[4], NULL, 10) * NSEC;
	int64_t lo, hi, x0, x1;
	char s[5][40];
	int ok;

	readings(argv[0], argv[3], b);
	readings(argv[1], argv[3], x);
	readings(argv[2], argv[3], a);
	lo = max2(b);
	hi = min2(a);
	x0 = x[0] - off;
	x1 = x[1] - off;
	ok = x0 >= lo && x0 <= hi && x1 >= lo && x1 <= hi;
	secs(s[0], sizeof(s[0]), lo);
	secs(s[1], sizeof(s[1]), x[0]);
	secs(s[2], sizeof(s[2]), x[1]);
	secs(s[3], sizeof(s[3]), hi);
	secs(s[4], sizeof(s[4]), x0 - lo);
	printf("%s: host before %s, inside %s (syscall) %s (vDSO), host after %s; "
	       "inside less %s s is %s s after the host's before: %s\n",
	       argv[3], s[0], s[1], s[2], s[3], argv[4], s[4], ok ? "ok" : "NOT between");
	return !ok;
}

static int do_ahead(char **argv)
{
	int64_t x[2], o[2];

	readings(argv[0], argv[1], x);
	readings(argv[2], argv[1], o);
	return !(min2(x) > max2(o));
}

static int do_spawn(const char *offsets, char **cmd)
{
	char line[256];
	const char *p;
	pid_t pid;
	int err;

	if (unshare(CLONE_NEWTIME)) {
		perror("unshare(CLONE_NEWTIME)");
		return 1;
	}
	/* the file takes one line a write, from its start */
	for (p = offsets; *p; p += strcspn(p, "\n"), p += *p == '\n') {
		snprintf(line, sizeof(line), "%.*s", (int)strcspn(p, "\n"), p);
		err = line[0] ? rel_write_file("/proc/self/timens_offsets", line) : 0;
		if (err) {
			fprintf(stderr, "ctr-clock: writing \"%s\": %s\n", line, strerror(-err));
			return 1;
		}
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		execvp(cmd[0], cmd);
		perror(cmd[0]);
		_exit(127);
	}
	printf("%d\n", (int)pid);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "read"))
		return do_read();
	if (argc == 7 && !strcmp(argv[1], "shifted"))
		return do_shifted(argv + 2);
	if (argc == 5 && !strcmp(argv[1], "ahead"))
		return do_ahead(argv + 2);
	if (argc >= 4 && !strcmp(argv[1], "spawn"))
		return do_spawn(argv[2], argv + 3);
	fprintf(stderr, "usage: ctr-clock read | shifted BEFORE INSIDE AFTER CLOCK OFFSET_SECS"
		" | ahead READ CLOCK OTHER | spawn OFFSETS CMD [ARG...]\n");
	return 2;
}
