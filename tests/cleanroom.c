// SPDX-License-Identifier: GPL-2.0
/*
 * The clean room: a kernel built from the stripped base has no time
 * namespace at all. Every way in must fail as on a kernel that never had
 * one. Prints kselftest-style TAP; exit status 0 when every test passed.
 *
 * Needs no kernel headers: the ABI numbers are spelt out below.
 */
#include "tap.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define TIME_NS_FLAG	0x00000080	/* CLONE_NEWTIME */
#define NR_clone3	435
#define NR_pidfd_open	434

struct clone3_args {		/* struct clone_args, CLONE_ARGS_SIZE_VER0 */
	uint64_t flags, pidfd, child_tid, parent_tid;
	uint64_t exit_signal, stack, stack_size, tls;
};

static void result(int pass, const char *name, const char *fmt, int err)
{
	char why[160];

	if (pass) {
		tap_result(true, "%s", name);
		return;
	}
	snprintf(why, sizeof(why), fmt, err > 0 ? strerror(err) : "succeeded");
	tap_result(false, "%s # %s", name, why);
}

/* ret/err are a system call's outcome; the test wants -1 with EINVAL. */
static void want_einval(const char *name, long ret, int err)
{
	result(ret == -1 && err == EINVAL, name, "%s, want EINVAL",
	       ret == -1 ? err : 0);
}

static void test_unshare(void)
{
	long ret = unshare(TIME_NS_FLAG);

	want_einval("unshare(CLONE_NEWTIME)", ret, errno);
}

static void test_clone3(void)
{
	struct clone3_args args = {
		.flags = TIME_NS_FLAG,
		.exit_signal = SIGCHLD,
	};
	long ret = syscall(NR_clone3, &args, sizeof(args));
	int err = errno;

	if (ret == 0)
		_exit(0);
	if (ret > 0)
		waitpid(ret, NULL, 0);
	want_einval("clone3(CLONE_NEWTIME)", ret, err);
}

static void test_setns(const char *name, int fd)
{
	long ret;

	if (fd < 0) {
		result(0, name, "cannot open the fd: %s", errno);
		return;
	}
	ret = setns(fd, TIME_NS_FLAG);
	want_einval(name, ret, errno);
	close(fd);
}

static void test_absent(const char *path)
{
	char name[128];
	struct stat st;
	int ret = lstat(path, &st);

	snprintf(name, sizeof(name), "%s does not exist", path);
	result(ret == -1 && errno == ENOENT, name, "lstat: %s, want ENOENT",
	       ret == -1 ? errno : 0);
}

/* util-linux's unshare(1) must fail to make a time namespace. */
static void test_unshare_tool(void)
{
	const char *name = "unshare --time true fails";
	int status;
	pid_t pid;

	if (access("/usr/bin/unshare", X_OK)) {
		tap_skip(name, "no /usr/bin/unshare");
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 2);
		execl("/usr/bin/unshare", "unshare", "--time", "true", NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		result(0, name, "fork/wait: %s", errno);
		return;
	}
	result(!WIFEXITED(status) || WEXITSTATUS(status) != 0, name,
	       "it %s", 0);
}

int main(void)
{
	tap_plan(9);
	test_unshare();
	test_clone3();
	test_setns("setns(ns fd, CLONE_NEWTIME)", open("/proc/self/ns/uts", O_RDONLY));
	test_setns("setns(pidfd, CLONE_NEWTIME)", syscall(NR_pidfd_open, getpid(), 0));
	test_absent("/proc/self/ns/time");
	test_absent("/proc/self/ns/time_for_children");
	test_absent("/proc/self/timens_offsets");
	test_absent("/proc/sys/user/max_time_namespaces");
	test_unshare_tool();
	tap_diag("Totals: pass:%d fail:%d", tap_n - tap_failed, tap_failed);
	return tap_exit() || tap_n != 9;
}
