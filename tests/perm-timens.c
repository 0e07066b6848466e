// SPDX-License-Identifier: GPL-2.0
/*
 * Who may create, enter and set the offsets of a time namespace (issue 6,
 * part 5): a matrix of actors and actions, each cell with its expected
 * errno, plus the max_time_namespaces limits (ENOSPC).
 *
 * Actors (each cell runs in a fresh process set up as the actor):
 *   root          uid 0, every capability, the initial user namespace
 *   no-SYS_TIME   root without CAP_SYS_TIME (dropped from the bounding,
 *                 permitted and effective sets)
 *   no-SYS_ADMIN  root without CAP_SYS_ADMIN (likewise)
 *   stranger      another uid (31338), no capabilities
 *   owner         uid 31337, in the initial user namespace, owner of the
 *                 user namespace UA that holds the namespaces "user ns"
 *   owner-inside  uid 31337 inside a user namespace of its own (root there)
 *   nested-root   uid 0 inside a user namespace of its own (0 -> 0)
 * Namespaces acted on, made before the actors start:
 *   root's        a namespace owned by the initial user namespace, entered
 *                 (setns) and another one pending (offsets)
 *   user's        the same, owned by UA (made by uid 31337)
 *   own           the actor's own pending namespace (unshare before the
 *                 actor drops anything; own user namespace for the last two)
 *
 * Rules (SPEC.md section 2, setns(2), capabilities(7)): creating needs
 * CAP_SYS_ADMIN in the caller's user namespace; setns needs CAP_SYS_ADMIN
 * in the namespace's owner and in the caller's user namespace; offsets need
 * CAP_SYS_TIME over the owner, checked with the credentials of whoever
 * opened the file; opening /proc/PID files is plain DAC, /proc/PID/ns
 * needs ptrace access. Runs as root. TAP output.
 */
#include "timens-rel.h"
#include <grp.h>
#include <sys/prctl.h>
#include <linux/capability.h>

#define UID_A	31337
#define UID_B	31338

enum actor {
	ROOT, NO_TIME, NO_ADMIN, STRANGER, OWNER, OWNER_IN, NESTED, N_ACTORS,
};

static const char *const actor_name[N_ACTORS] = {
	"root", "no-SYS_TIME", "no-SYS_ADMIN", "stranger", "owner", "owner-inside", "nested-root",
};

enum action {
	A_UNSHARE, A_CLONE3, A_UNSHARE_USER, A_SETNS_ROOT, A_SETNS_USER, A_WRITE_OWN,
	A_WRITE_ROOT, A_WRITE_USER, A_WRITE_ROOT_FD, A_OPEN_NS, A_WRITE_BAD, N_ACTIONS,
};

static const char *const action_name[N_ACTIONS] = {
	"unshare(CLONE_NEWTIME)",
	"clone3(CLONE_NEWTIME)",
	"unshare(CLONE_NEWUSER|CLONE_NEWTIME)",
	"setns(root's namespace)",
	"setns(user's namespace)",
	"offsets of its own pending namespace",
	"offsets of root's pending namespace (opens the file itself)",
	"offsets of user's pending namespace (opens the file itself)",
	"offsets of root's pending namespace through a file root opened",
	"open /proc/ROOTPID/ns/time_for_children",
	"malformed offsets to its own file",
};

/* expected results: 0, an errno, or OPEN(errno) when open(2) fails */
#define OPEN(e)	(1000 + (e))

static const int expected[N_ACTORS][N_ACTIONS] = {
	/*            unshare clone3  user+time setns-r setns-u own     root          user          root-fd open-ns       bad */
	[ROOT]     = { 0,     0,      0,        0,      0,      0,      0,            0,            0,      0,            EINVAL },
	[NO_TIME]  = { 0,     0,      0,        0,      0,      EPERM,  EPERM,        EPERM,        0,      0,            EINVAL },
	[NO_ADMIN] = { EPERM, EPERM,  0,        EPERM,  EPERM,  0,      0,            0,            0,      0,            EINVAL },
	[STRANGER] = { EPERM, EPERM,  0,        EPERM,  EPERM,  EPERM,  OPEN(EACCES), OPEN(EACCES), 0,      OPEN(EACCES), EINVAL },
	[OWNER]    = { EPERM, EPERM,  0,        EPERM,  EPERM,  EPERM,  OPEN(EACCES), 0,            0,      OPEN(EACCES), EINVAL },
	[OWNER_IN] = { 0,     0,      0,        EPERM,  EPERM,  0,      OPEN(EACCES), EPERM,        0,      OPEN(EACCES), EINVAL },
	[NESTED]   = { 0,     0,      0,        EPERM,  EPERM,  0,      EPERM,        OPEN(EACCES), 0,      OPEN(EACCES), EINVAL },
};

static const char *const why[N_ACTORS][N_ACTIONS] = {
	[NO_TIME] = {
		[A_WRITE_OWN] = "no CAP_SYS_TIME",
		[A_WRITE_USER] = "CAP_SYS_TIME over UA comes from the initial ns",
		[A_WRITE_ROOT_FD] = "the opener's credentials count",
	},
	[NO_ADMIN] = {
		[A_UNSHARE_USER] = "a user namespace needs no capability",
		[A_WRITE_USER] = "CAP_SYS_TIME of an ancestor user ns",
	},
	[STRANGER] = {
		[A_UNSHARE_USER] = "its own user namespace gives the capabilities",
		[A_WRITE_OWN] = "namespace owned by the initial user ns",
		[A_WRITE_ROOT] = "file mode 0644, owner root",
		[A_WRITE_ROOT_FD] = "the opener's credentials count",
		[A_OPEN_NS] = "no ptrace access",
	},
	[OWNER] = {
		[A_SETNS_USER] = "CAP_SYS_ADMIN in UA (owner) but not in its own user ns",
		[A_WRITE_USER] = "the owner of UA has CAP_SYS_TIME in it",
	},
	[OWNER_IN] = {
		[A_SETNS_USER] = "UA is a sibling user namespace",
		[A_WRITE_USER] = "UA is a sibling user namespace",
	},
	[NESTED] = {
		[A_SETNS_ROOT] = "no CAP_SYS_ADMIN in the initial user ns",
		[A_WRITE_ROOT] = "root of a child user ns has no CAP_SYS_TIME over the parent's",
		[A_WRITE_USER] = "uid 31337 is not mapped in its user ns",
		[A_OPEN_NS] = "ptrace access: same uid, but no CAP_SYS_PTRACE over the initial user ns",
	},
};

struct fixture {
	pid_t r, r2, u, u2;	/* root's and user's holders */
	int root_ns, user_ns;	/* entered namespaces (time fds) */
	int root_pending_fd;	/* /proc/R/timens_offsets, opened by root */
	int go;			/* closing it ends the holders */
};

static struct fixture fx;

static int set_caps(int cap, bool keep)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	int i;

	if (keep)
		return 0;
	if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0))
		return -1;
	if (syscall(SYS_capget, &h, d))
		return -1;
	for (i = 0; i < 2; i++)
		if (cap / 32 == i) {
			d[i].effective &= ~(1u << (cap % 32));
			d[i].permitted &= ~(1u << (cap % 32));
			d[i].inheritable &= ~(1u << (cap % 32));
		}
	return syscall(SYS_capset, &h, d);
}

static int write_str(const char *path, const char *s)
{
	return rel_write_file(path, s);
}

/* a user namespace mapping our euid/egid to 0 inside */
static int enter_userns(void)
{
	char map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (unshare(CLONE_NEWUSER))
		return -errno;
	if (write_str("/proc/self/setgroups", "deny"))
		return -EIO;
	snprintf(map, sizeof(map), "0 %u 1", uid);
	if (write_str("/proc/self/uid_map", map))
		return -EIO;
	snprintf(map, sizeof(map), "0 %u 1", gid);
	if (write_str("/proc/self/gid_map", map))
		return -EIO;
	return 0;
}

static int become(uid_t uid)
{
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
		return -errno;
	/* a uid change made us undumpable: /proc/self would belong to root */
	return prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) ? -errno : 0;
}

/* the actor, with a pending namespace of its own where it can have one */
static int setup_actor(enum actor a)
{
	switch (a) {
	case ROOT:
		return unshare(CLONE_NEWTIME) ? -errno : 0;
	case NO_TIME:
		if (unshare(CLONE_NEWTIME))
			return -errno;
		return set_caps(CAP_SYS_TIME, false) ? -errno : 0;
	case NO_ADMIN:
		if (unshare(CLONE_NEWTIME))
			return -errno;
		return set_caps(CAP_SYS_ADMIN, false) ? -errno : 0;
	case STRANGER:
		if (unshare(CLONE_NEWTIME))
			return -errno;
		return become(UID_B);
	case OWNER:
		return become(UID_A);
	case OWNER_IN: {
		int err = become(UID_A);

		if (!err)
			err = enter_userns();
		if (!err && unshare(CLONE_NEWTIME))
			err = -errno;
		return err;
	}
	case NESTED: {
		int err = enter_userns();

		if (!err && unshare(CLONE_NEWTIME))
			err = -errno;
		return err;
	}
	default:
		return -EINVAL;
	}
}

static int write_offsets_path(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int err = 0;

	if (fd < 0)
		return OPEN(errno);
	if (write(fd, text, strlen(text)) < 0)
		err = errno;
	close(fd);
	return err;
}

static int do_action(enum action act)
{
	char path[64];
	pid_t pid;
	int fd;

	switch (act) {
	case A_UNSHARE:
		return unshare(CLONE_NEWTIME) ? errno : 0;
	case A_CLONE3:
		pid = rel_clone3(CLONE_NEWTIME, SIGCHLD);
		if (pid == 0)
			_exit(0);
		if (pid < 0)
			return errno;
		return rel_wait(pid) == 0 ? 0 : -1;
	case A_UNSHARE_USER:
		return unshare(CLONE_NEWUSER | CLONE_NEWTIME) ? errno : 0;
	case A_SETNS_ROOT:
		return setns(fx.root_ns, CLONE_NEWTIME) ? errno : 0;
	case A_SETNS_USER:
		return setns(fx.user_ns, CLONE_NEWTIME) ? errno : 0;
	case A_WRITE_OWN:
		return write_offsets_path("/proc/self/timens_offsets", "monotonic 1 0\n");
	case A_WRITE_ROOT:
		snprintf(path, sizeof(path), "/proc/%d/timens_offsets", fx.r);
		return write_offsets_path(path, "boottime 2 0\n");
	case A_WRITE_USER:
		snprintf(path, sizeof(path), "/proc/%d/timens_offsets", fx.u);
		return write_offsets_path(path, "7 3 0\n");
	case A_WRITE_ROOT_FD:
		return write(fx.root_pending_fd, "1 4 0\n", 6) < 0 ? errno : 0;
	case A_OPEN_NS:
		snprintf(path, sizeof(path), "/proc/%d/ns/time_for_children", fx.r);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return OPEN(errno);
		close(fd);
		return 0;
	case A_WRITE_BAD:
		return write_offsets_path("/proc/self/timens_offsets", "monotonic 1\n");
	default:
		return -1;
	}
}

static const char *result_name(int r)
{
	static char buf[4][48];
	static int i;
	char *b = buf[i++ % 4];

	if (r >= 1000)
		snprintf(b, 48, "%s at open", rel_errname(r - 1000));
	else if (r < 0)
		snprintf(b, 48, "setup failed (%d)", r);
	else
		snprintf(b, 48, "%s", rel_errname(r));
	return b;
}

struct cell {
	enum actor a;
	enum action act;
};

static void cell_child(void *cell, void *res)
{
	const struct cell *c = cell;
	int r = setup_actor(c->a);

	if (!r)
		r = do_action(c->act);
	else
		r = r < 0 ? r : -r;
	*(int *)res = r;
}

/* one cell in a fresh process: the result, or a negative setup error */
static int run_cell(enum actor a, enum action act)
{
	struct cell c = { a, act };
	int res;

	return rel_run_child(cell_child, &c, &res, sizeof(res)) ? -997 : res;
}

/*
 * A holder: a process (uid, optionally in a user namespace of its own)
 * that unshared, forked a child into that namespace (entered, for setns),
 * and unshared again (pending, for offsets). Pids through the pipe.
 */
static bool make_holder(bool user, pid_t *holder, pid_t *inside, int go)
{
	int ready[2];
	pid_t pid;
	char b;

	if (pipe(ready))
		return false;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		pid_t kid, me = getpid();

		close(ready[0]);
		close(fx.go);		/* EOF on go only when the test closes it */
		if (user && (become(UID_A) || enter_userns()))
			_exit(1);
		if (unshare(CLONE_NEWTIME))
			_exit(1);
		kid = fork();
		if (kid == 0) {
			while (read(go, &b, 1) > 0)
				;
			_exit(0);
		}
		if (kid < 0 || unshare(CLONE_NEWTIME))
			_exit(1);
		if (write(ready[1], &me, sizeof(me)) != sizeof(me) ||
		    write(ready[1], &kid, sizeof(kid)) != sizeof(kid))
			_exit(1);
		while (read(go, &b, 1) > 0)
			;
		rel_wait(kid);
		_exit(0);
	}
	close(ready[1]);
	if (pid < 0 || read(ready[0], holder, sizeof(*holder)) != sizeof(*holder) ||
	    read(ready[0], inside, sizeof(*inside)) != sizeof(*inside)) {
		close(ready[0]);
		return false;
	}
	close(ready[0]);
	return true;
}

static bool make_fixture(void)
{
	char path[64];
	int go[2];

	if (pipe(go))
		return false;
	fx.go = go[1];
	if (!make_holder(false, &fx.r, &fx.r2, go[0]) || !make_holder(true, &fx.u, &fx.u2, go[0]))
		return false;
	close(go[0]);
	snprintf(path, sizeof(path), "/proc/%d/ns/time", fx.r2);
	fx.root_ns = open(path, O_RDONLY);
	snprintf(path, sizeof(path), "/proc/%d/ns/time", fx.u2);
	fx.user_ns = open(path, O_RDONLY);
	snprintf(path, sizeof(path), "/proc/%d/timens_offsets", fx.r);
	fx.root_pending_fd = open(path, O_WRONLY);
	return fx.root_ns >= 0 && fx.user_ns >= 0 && fx.root_pending_fd >= 0;
}

/* ---- limits ---- */

static const char *const max_path = "/proc/sys/user/max_time_namespaces";

struct unshare_how {
	bool as_owner_inside;
	const char *inner_max;
};

static void unshare_child(void *how, void *res)
{
	const struct unshare_how *h = how;
	int r = 0;

	if (h->as_owner_inside && (become(UID_A) || enter_userns()))
		r = -1;
	if (!r && h->inner_max && write_str(max_path, h->inner_max))
		r = -2;
	if (!r)
		r = unshare(CLONE_NEWTIME) ? errno : 0;
	*(int *)res = r;
}

static int unshare_in_child(bool as_owner_inside, const char *inner_max)
{
	struct unshare_how h = { as_owner_inside, inner_max };
	int res;

	return rel_run_child(unshare_child, &h, &res, sizeof(res)) ? -997 : res;
}

static void limits(void)
{
	char old[32];
	int r, r2, fds[3], i;
	pid_t pid;

	if (rel_read_file(max_path, old, sizeof(old)) <= 0) {
		for (i = 0; i < 5; i++)
			tap_result(false, "limits: %s # cannot read it", max_path);
		return;
	}
	old[strcspn(old, "\n")] = '\0';
	tap_diag("max_time_namespaces was %s", old);

	write_str(max_path, "0");
	r = unshare_in_child(false, NULL);
	pid = rel_clone3(CLONE_NEWTIME, SIGCHLD);
	if (pid == 0)
		_exit(0);
	r2 = pid < 0 ? errno : 0;
	if (pid > 0)
		rel_wait(pid);
	tap_result(r == ENOSPC && r2 == ENOSPC,
		   "limits: max_time_namespaces 0: root's unshare %s, clone3 %s (ENOSPC)",
		   result_name(r), result_name(r2));
	r = unshare_in_child(true, NULL);
	tap_result(r == ENOSPC, "limits: max_time_namespaces 0 in the initial user ns: "
		   "unshare in a child user ns %s (ENOSPC: the limits of every ancestor count)",
		   result_name(r));
	write_str(max_path, old);

	r = unshare_in_child(true, "0");
	r2 = unshare_in_child(false, NULL);
	tap_result(r == ENOSPC && r2 == 0,
		   "limits: max_time_namespaces 0 in a child user ns: unshare there %s (ENOSPC), "
		   "root's %s (0)", result_name(r), result_name(r2));

	/* a limit of 2 (the initial namespace does not count): 2 live ones, then ENOSPC */
	write_str(max_path, "2");
	for (i = 0; i < 3; i++) {
		fds[i] = -1;
		if (unshare(CLONE_NEWTIME)) {
			fds[i] = -errno;
			break;
		}
		fds[i] = open("/proc/self/ns/time_for_children", O_RDONLY);
	}
	r = fds[2];
	for (i = 0; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	/* our own pending one still counts: leave it, then all are gone */
	{
		int back = open("/proc/1/ns/time", O_RDONLY);

		r2 = back >= 0 && !setns(back, CLONE_NEWTIME) ? 0 : errno;
		if (back >= 0)
			close(back);
	}
	tap_result(fds[0] >= 0 && fds[1] >= 0 && r == -ENOSPC,
		   "limits: max_time_namespaces 2: two live namespaces, the third unshare %s (ENOSPC)",
		   r < 0 ? rel_errname(-r) : "succeeded");
	r = unshare(CLONE_NEWTIME) ? errno : 0;
	if (!r) {
		r = unshare(CLONE_NEWTIME) ? errno : 0;
	}
	tap_result(r2 == 0 && r == 0,
		   "limits: max_time_namespaces 2: after they are gone, two new ones (%s)",
		   result_name(r));
	write_str(max_path, old);
}

int main(void)
{
	int a, act, r, n = 0;

	rel_need_root_timens();
	tap_plan(N_ACTORS * N_ACTIONS + 5);
	if (!make_fixture()) {
		printf("Bail out! cannot set up the holders: %s\n", strerror(errno));
		return 1;
	}
	for (a = 0; a < N_ACTORS; a++) {
		for (act = 0; act < N_ACTIONS; act++) {
			const char *w = why[a][act];

			r = run_cell(a, act);
			n++;
			tap_result(r == expected[a][act], "%s: %s -> %s%s%s%s%s", actor_name[a],
				   action_name[act], result_name(r),
				   r == expected[a][act] ? "" : ", expected ",
				   r == expected[a][act] ? "" : result_name(expected[a][act]),
				   w ? " # " : "", w ? w : "");
		}
	}
	/* the holders' namespaces would count against the limits below */
	close(fx.go);
	close(fx.root_ns);
	close(fx.user_ns);
	close(fx.root_pending_fd);
	rel_wait(fx.r);
	rel_wait(fx.u);
	limits();
	return tap_failed ? 1 : 0;
}
