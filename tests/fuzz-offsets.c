// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile input for time namespaces (issue 6, part 2).
 *
 * 1. /proc/PID/timens_offsets: at least 100,000 generated writes (random
 *    bytes, truncated and overlong lines, huge and negative numbers, blank
 *    and sign variants, duplicate clocks, every clock id 0..15 and the clock
 *    names (realtime by name only: its id 0 stays invalid), values around
 *    each clock's range limits, embedded NULs, writes at non-zero positions
 *    through pwrite and lseek and after a read, writev with several pieces,
 *    buffers running into an unmapped page, PAGE_SIZE - 1 and PAGE_SIZE
 *    bytes; pwrite gets ESPIPE at any position: seq_open() clears
 *    FMODE_PWRITE), against a reference parser of SPEC.md section 2, with
 *    the wall clock's line (realtime) added, and of the rules the kernel
 *    implements (kernel/time/timens.c: timens_offsets_write(),
 *    timens_parse_line(); fs/proc/base.c: timens_offsets_store()). After
 *    each write: the errno (or the byte count) is the reference's, and the
 *    offsets read back are the reference's (unchanged after a failure; the
 *    realtime line shown only while that offset is not zero).
 *    The target namespace changes every round: the caller's own pending
 *    namespace, one whose opener lacked CAP_SYS_TIME (EPERM), one a task
 *    entered (EACCES), another process's (CRIU's way), a zombie's (ESRCH
 *    for what parses), a reaped process's (ESRCH).
 * 2. clone3 with every subset of {CLONE_NEWTIME, CLONE_NEWUSER, CLONE_NEWNS,
 *    CLONE_NEWPID, CLONE_NEWUTS, CLONE_THREAD|CLONE_SIGHAND|CLONE_VM,
 *    CLONE_VM}, from a parent with and without a pending namespace for its
 *    children, checking the errno and the namespaces the child lands in;
 *    the CSIGNAL bits; legacy clone(CLONE_NEWTIME) (an exit signal, no
 *    namespace); unshare with every subset of its flags around
 *    CLONE_NEWTIME.
 * 3. setns: bad fds (-1, closed, out of range, O_PATH, a regular file, a
 *    pipe, /dev/null, a socket, a directory), fds of the other namespace
 *    types, type/flag mismatches, pidfds with flag combinations, zombies,
 *    threads and vfork children (EUSERS), and the effect of a good setns
 *    (both namespaces, clocks shifted at once in the vDSO, offsets frozen).
 *
 * Usage: fuzz-offsets [-n INPUTS] [-s SEED] [-v]. The seed is printed; the
 * same seed and count repeat the same inputs. Runs as root. TAP output.
 */
#include "timens-rel.h"
#include <ctype.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <linux/capability.h>
#include <linux/futex.h>

#define MAX_REPORT	20

static bool verbose;

/* ======================= the reference ======================= */

/* the offsets of a namespace: monotonic, boottime, realtime */
#define NCLK	3
#define CLK_RT	2	/* realtime: written by name only, shown when not zero */

struct offs {
	long long sec[NCLK];
	long nsec[NCLK];
};

static const char *const clk_name[NCLK] = { "monotonic", "boottime", "realtime" };

/* the kernel's isspace(): lib/ctype.c, \t \n \v \f \r, space and 0xa0 */
static bool k_isspace(unsigned char c)
{
	return c == ' ' || (c >= 9 && c <= 13) || c == 0xa0;
}

/* _kstrtoull(s, 10): digits, overflow reported before trailing garbage */
static int k_parse_ull(const char *s, unsigned long long *res)
{
	unsigned long long r = 0;
	bool overflow = false;
	int n = 0;

	for (;; s++, n++) {
		unsigned int c = (unsigned char)*s;

		if (c < '0' || c > '9')
			break;
		if (r > (ULLONG_MAX - (c - '0')) / 10)
			overflow = true;
		r = r * 10 + (c - '0');
	}
	if (overflow)
		return -ERANGE;
	if (!n)
		return -EINVAL;
	if (*s == '\n')
		s++;
	if (*s)
		return -EINVAL;
	*res = r;
	return 0;
}

static int k_kstrtoull(const char *s, unsigned long long *res)
{
	if (*s == '+')
		s++;
	return k_parse_ull(s, res);
}

static int k_kstrtoll(const char *s, long long *res)
{
	unsigned long long t;
	int rv;

	if (*s == '-') {
		rv = k_parse_ull(s + 1, &t);
		if (rv)
			return rv;
		if ((long long)-t > 0)
			return -ERANGE;
		*res = (long long)-t;
	} else {
		rv = k_kstrtoull(s, &t);
		if (rv)
			return rv;
		if ((long long)t < 0)
			return -ERANGE;
		*res = (long long)t;
	}
	return 0;
}

static int k_kstrtouint(const char *s, unsigned int *res)
{
	unsigned long long t;
	int rv = k_kstrtoull(s, &t);

	if (rv)
		return rv;
	if (t != (unsigned int)t)
		return -ERANGE;
	*res = t;
	return 0;
}

static char *k_next_field(char **line)
{
	char *start = *line, *end;

	while (k_isspace(*start))
		start++;
	if (!*start)
		return NULL;
	end = start;
	while (*end && !k_isspace(*end))
		end++;
	if (*end)
		*end++ = '\0';
	*line = end;
	return start;
}

/* the kernel's choices where SPEC.md is silent or could be read otherwise */
static bool ref_quirk_garbage;

/* one line: the clock index, or -1 for anything malformed */
static int ref_line(char *line, long long *sec, long *nsec)
{
	char *clock, *s, *ns;
	unsigned int n;
	long long v;
	int id, err;

	clock = k_next_field(&line);
	s = clock ? k_next_field(&line) : NULL;
	ns = s ? k_next_field(&line) : NULL;
	if (!ns || k_next_field(&line))
		return -1;
	if (!strcmp(clock, "monotonic") || !strcmp(clock, "1"))
		id = 0;
	else if (!strcmp(clock, "boottime") || !strcmp(clock, "7"))
		id = 1;
	else if (!strcmp(clock, "realtime"))	/* no id: "0" is invalid */
		id = CLK_RT;
	else
		return -1;
	/* as upstream's sscanf(): no '+' on the seconds, no sign on the nanoseconds */
	if (*s == '+' || !isdigit((unsigned char)*ns))
		return -1;
	err = k_kstrtoll(s, &v);
	if (err == -ERANGE) {
		const char *d = s + (*s == '-' || *s == '+');

		d += strspn(d, "0123456789");
		if (*d)		/* "99999999999999999999x": ERANGE, not EINVAL */
			ref_quirk_garbage = true;
		v = *s == '-' ? LLONG_MIN : LLONG_MAX;
	}
	else if (err)
		return -1;
	if (k_kstrtouint(ns, &n) || n >= REL_NSEC)
		return -1;
	*sec = v;
	*nsec = n;
	return id;
}

/*
 * The text as the kernel sees it (memdup_user_nul: it ends at the first
 * NUL): 0 and the last value of each clock, or -EINVAL.
 */
static int ref_parse(const char *buf, size_t count, struct offs *want,
		     unsigned int *set)
{
	static char tmp[2 * REL_PAGE];
	char *p = tmp, *line;
	long long sec;
	long nsec;
	int id;

	ref_quirk_garbage = false;
	if (count)
		memcpy(tmp, buf, count);
	tmp[count] = '\0';
	*set = 0;
	while ((line = strsep(&p, "\n"))) {
		if (!*line && !p)
			break;
		id = ref_line(line, &sec, &nsec);
		if (id < 0)
			return -EINVAL;
		want->sec[id] = sec;
		want->nsec[id] = nsec;
		*set |= 1u << id;
	}
	return *set ? 0 : -EINVAL;
}

/* timens_check_range() for a host clock reading now */
static bool ref_range_ok(long long sec, long nsec, const struct timespec *now)
{
	long long t;

	if (sec > REL_KTIME_SEC_MAX || sec < -REL_KTIME_SEC_MAX)
		return false;
	t = now->tv_sec + sec + (now->tv_nsec + nsec >= REL_NSEC);
	return t >= 0 && t <= REL_CLOCK_SEC_MAX;
}

enum target {
	T_SELF,		/* our own pending namespace for children */
	T_NOCAP,	/* the same, through an fd opened without CAP_SYS_TIME */
	T_ENTERED,	/* the same, after a child entered it */
	T_OTHER,	/* another process's pending namespace */
	T_ZOMBIE,	/* a zombie's file */
	T_REAPED,	/* a reaped process's file */
	T_NR,
};

static const char *const target_name[T_NR] = {
	"self", "nocap", "entered", "other", "zombie", "reaped",
};

/*
 * The errno of one ->write() (0: success, *res the new offsets) for a
 * clock reading now[] (monotonic, boottime, realtime).
 */
static int ref_write(enum target tgt, const char *buf, size_t count,
		     long long pos, bool fault, const struct offs *cur,
		     const struct timespec now[NCLK], struct offs *res)
{
	struct offs want;
	unsigned int set;
	int id;

	if (pos || count >= REL_PAGE)
		return EINVAL;
	if (fault)
		return EFAULT;
	if (tgt == T_REAPED)
		return ESRCH;
	if (ref_parse(buf, count, &want, &set))
		return EINVAL;
	if (tgt == T_ZOMBIE)
		return ESRCH;
	if (tgt == T_NOCAP)
		return EPERM;
	if (tgt == T_ENTERED)
		return EACCES;
	for (id = 0; id < NCLK; id++)
		if ((set & (1u << id)) &&
		    !ref_range_ok(want.sec[id], want.nsec[id], &now[id]))
			return ERANGE;
	*res = *cur;
	for (id = 0; id < NCLK; id++) {
		if (set & (1u << id)) {
			res->sec[id] = want.sec[id];
			res->nsec[id] = want.nsec[id];
		}
	}
	return 0;
}

/* what the file shows: monotonic and boottime, realtime unless it is zero */
static int format_offs(char *buf, size_t size, const struct offs *o)
{
	int n = 0, id;

	for (id = 0; id < NCLK; id++) {
		if (id == CLK_RT && !o->sec[id] && !o->nsec[id])
			continue;
		n += snprintf(buf + n, size - n, "%-10s %10lld %9ld\n",
			      clk_name[id], o->sec[id], o->nsec[id]);
	}
	return n;
}

/* ======================= the generator ======================= */

static struct timespec gen_now[NCLK];	/* host clocks, for boundary values */
static bool gen_safe;			/* no values near the range limits */

static const char *const clock_tokens[] = {
	"monotonic", "boottime", "1", "7", "realtime",
};
/* each clock's own tokens, for the values near its range limits */
static const char *const own_clock_tokens[NCLK][2] = {
	{ "monotonic", "1" }, { "boottime", "7" }, { "realtime", "realtime" },
};
static const char *const odd_clock_tokens[] = {
	"monotonic_raw", "monotonic_coarse", "realtime_coarse",
	"boottime_alarm", "realtime_alarm", "tai", "process_cputime_id",
	"thread_cputime_id", "Monotonic", "MONOTONIC", "BOOTTIME", "monotoni",
	"monotonicc", "boot", "boottime1", "01", "07", "+1", "-1", "1.0",
	"0x1", "0x7", "1a", "monotonic\xa0", "\xc2\xa0monotonic", "mono", "CLOCK_MONOTONIC",
	"-7", "+7", "007", "1e0", "\x85", "\x1c", "#",
	"Realtime", "REALTIME", "realtim", "realtimee", "real", "realtime1",
	"CLOCK_REALTIME", "wall", "00", "-0", "+0", "0x0", "11", "realtime_raw",
};
static const char *const bad_numbers[] = {
	"", "-", "+", "--5", "+-5", "-+5", "5-", "1e3", "0x10", "0X10", "1.5",
	"5a", "a5", "0b1", "\xd9\xa1", "9999999999999999999999x", "-9999999999999999999999x",
	"1_000", "1,000", "ten", "0o7", "++1", "0-", "inf", "nan", "-inf",
	"18446744073709551616", "-18446744073709551616",
};

static size_t put(char *buf, size_t cap, size_t n, const char *s)
{
	size_t l = strlen(s);

	if (n + l > cap)
		l = cap > n ? cap - n : 0;
	memcpy(buf + n, s, l);
	return n + l;
}

static size_t put_sep(char *buf, size_t cap, size_t n, bool may_be_empty)
{
	static const char blanks[] = { ' ', ' ', ' ', ' ', '\t', '\v', '\f', '\r', (char)0xa0 };
	int k = 1 + (chance(20) ? rnd(3) : 0), i;

	if (may_be_empty && chance(70))
		return n;
	if (!may_be_empty && chance(2))
		k = 0;			/* fields run together */
	for (i = 0; i < k && n < cap; i++) {
		if (chance(2))
			buf[n++] = chance(50) ? (char)0x85 : (char)0x1c;	/* not blanks */
		else
			buf[n++] = blanks[rnd(sizeof(blanks))];
	}
	return n;
}

static long long gen_sec_value(int clock)
{
	long long now = gen_now[clock].tv_sec, d = (long long)rnd(7) - 3;

	int r = rnd(24);

	/* in range two times out of three */
	r = gen_safe || r < 16 ? r % 4 : r - 12;
	switch (r) {
	case 0: return (long long)rnd(2001) - 1000;
	case 1: return ((long long)rnd(2000001) - 1000000) * 86400 / 1000;
	case 2: return (long long)rnd(2 * REL_NSEC) - REL_NSEC;
	case 3: return -now + 10 + rnd(1000);	/* negative, but in range */
	case 4: return -now + d;		/* the lower limit */
	case 5: return REL_CLOCK_SEC_MAX - now + d;	/* the upper limit */
	case 6: return REL_KTIME_SEC_MAX + d;
	case 7: return -REL_KTIME_SEC_MAX + d;
	case 8: return chance(50) ? LLONG_MAX - (long long)rnd(2) : LLONG_MIN + (long long)rnd(2);
	case 9: return (long long)rng();
	case 10: return -now - 1 - (long long)rnd(1000000);
	default: return REL_CLOCK_SEC_MAX - now + 1 + (long long)rnd(1000000);
	}
}

static size_t gen_number(char *buf, size_t cap, size_t n, long long v, int zeros)
{
	char num[64];
	unsigned long long mag = v < 0 ? -(unsigned long long)v : (unsigned long long)v;

	if (v < 0)
		n = put(buf, cap, n, "-");
	else if (chance(5))
		n = put(buf, cap, n, "+");
	else if (v == 0 && chance(10))
		n = put(buf, cap, n, "-");		/* -0 */
	while (zeros-- > 0 && n < cap)
		buf[n++] = '0';
	snprintf(num, sizeof(num), "%llu", mag);
	return put(buf, cap, n, num);
}

static size_t gen_secs(char *buf, size_t cap, size_t n, int clock)
{
	char digits[48];
	int i, len;

	if (chance(4))
		return put(buf, cap, n, bad_numbers[rnd(sizeof(bad_numbers) / sizeof(*bad_numbers))]);
	if (!gen_safe && chance(4)) {		/* too many digits for 64 bits */
		len = 19 + rnd(25);
		for (i = 0; i < len; i++)
			digits[i] = '0' + (i ? rnd(10) : 1 + rnd(9));
		digits[len] = '\0';
		if (chance(50))
			n = put(buf, cap, n, "-");
		return put(buf, cap, n, digits);
	}
	return gen_number(buf, cap, n, gen_sec_value(clock),
			  chance(5) ? (int)rnd(30) : 0);
}

static size_t gen_nsecs(char *buf, size_t cap, size_t n)
{
	static const long long special[] = {
		0, 1, 999999999, 1000000000, 1000000001, 4294967295LL,
		4294967296LL, 99999999999LL, 500000000,
	};
	char num[32];

	if (chance(4))
		return put(buf, cap, n, bad_numbers[rnd(sizeof(bad_numbers) / sizeof(*bad_numbers))]);
	if (chance(3))
		return put(buf, cap, n, chance(50) ? "-0" : "-1");
	if (chance(3))
		return put(buf, cap, n, "+5");
	if (chance(3))
		return put(buf, cap, n, "00000000000000000000000000000001");
	if (chance(3))
		return put(buf, cap, n, "99999999999999999999999");
	if (chance(20))
		snprintf(num, sizeof(num), "%lld", special[rnd(sizeof(special) / sizeof(*special))]);
	else
		snprintf(num, sizeof(num), "%llu", (unsigned long long)rnd(REL_NSEC));
	return put(buf, cap, n, num);
}

static size_t gen_clock(char *buf, size_t cap, size_t n, int *clock)
{
	char num[8];
	int r = rnd(100);

	*clock = rnd(NCLK);
	if (r < 40)		/* the clock its boundary values are for */
		return put(buf, cap, n, own_clock_tokens[*clock][rnd(2)]);
	if (r < 80)
		return put(buf, cap, n, clock_tokens[rnd(sizeof(clock_tokens) / sizeof(*clock_tokens))]);
	if (r < 90) {
		snprintf(num, sizeof(num), "%d", (int)rnd(16));
		return put(buf, cap, n, num);
	}
	return put(buf, cap, n, odd_clock_tokens[rnd(sizeof(odd_clock_tokens) / sizeof(*odd_clock_tokens))]);
}

/* one "CLOCK SECS NSECS" line, without its newline */
static size_t gen_line(char *buf, size_t cap, size_t n)
{
	int clock;

	n = put_sep(buf, cap, n, true);
	if (!chance(2))
		n = gen_clock(buf, cap, n, &clock);
	else
		clock = 0;
	n = put_sep(buf, cap, n, false);
	if (!chance(2))
		n = gen_secs(buf, cap, n, clock);
	n = put_sep(buf, cap, n, false);
	if (!chance(2))
		n = gen_nsecs(buf, cap, n);
	if (chance(3)) {		/* a fourth field */
		n = put_sep(buf, cap, n, false);
		n = put(buf, cap, n, chance(50) ? "0" : "#x");
	}
	return put_sep(buf, cap, n, true);
}

static size_t gen_structured(char *buf, size_t cap)
{
	int lines = chance(90) ? 1 + rnd(3) : 1 + rnd(60), i;
	size_t n = 0;

	for (i = 0; i < lines && n < cap; i++) {
		n = gen_line(buf, cap, n);
		if (i + 1 < lines || chance(60)) {
			if (chance(3))
				n = put(buf, cap, n, "\n");	/* an empty line */
			n = put(buf, cap, n, chance(5) ? "\r\n" : "\n");
		}
	}
	if (chance(2))
		n = put(buf, cap, n, "\n");			/* a final empty line */
	return n;
}

static size_t gen_random(char *buf, size_t cap)
{
	static const char alpha[] = "0123456789 \t\n-+monotcibrealMB17\xa0\r";
	size_t n = chance(80) ? rnd(100) : rnd(cap + 1), i;
	bool raw = chance(30);

	for (i = 0; i < n; i++)
		buf[i] = raw ? (char)rng() : alpha[rnd(sizeof(alpha) - 1)];
	return n;
}

/* a valid line padded to exactly len bytes (len >= 40) */
static size_t gen_sized(char *buf, size_t cap, size_t len)
{
	char tail[48];
	size_t n = 0, t;

	if (len > cap)
		len = cap;
	snprintf(tail, sizeof(tail), "%lld %ld", (long long)rnd(100000), (long)rnd(REL_NSEC));
	t = strlen(tail);
	n = put(buf, cap, n, chance(50) ? "monotonic " : chance(50) ? "7 " : "realtime ");
	if (chance(50)) {		/* leading zeros fill it */
		while (n + t < len)
			buf[n++] = '0';
		memcpy(buf + n, tail, t);
		n += t;
	} else {			/* trailing blanks fill it */
		memcpy(buf + n, tail, t);
		n += t;
		while (n < len)
			buf[n++] = chance(95) ? ' ' : '\t';
		if (chance(50) && n > 0)
			buf[n - 1] = '\n';
	}
	return n;
}

static void mutate(char *buf, size_t cap, size_t *len)
{
	size_t n = *len, at;
	int k = 1 + rnd(3);

	while (k--) {
		at = n ? rnd(n + 1) : 0;
		switch (rnd(6)) {
		case 0:		/* flip */
			if (at < n)
				buf[at] ^= 1 << rnd(8);
			break;
		case 1:		/* insert */
			if (n < cap) {
				memmove(buf + at + 1, buf + at, n - at);
				buf[at] = chance(50) ? (char)rng() : "0 \n-+\t"[rnd(6)];
				n++;
			}
			break;
		case 2:		/* delete */
			if (at < n) {
				memmove(buf + at, buf + at + 1, n - at - 1);
				n--;
			}
			break;
		case 3:		/* truncate: a short write */
			n = at;
			break;
		case 4:		/* an embedded NUL */
			if (at < n)
				buf[at] = '\0';
			break;
		default:	/* duplicate the whole thing */
			if (2 * n <= cap) {
				memcpy(buf + n, buf, n);
				n *= 2;
			}
			break;
		}
	}
	*len = n;
}

static size_t gen_input(char *buf, size_t cap)
{
	size_t n;
	int r = rnd(1000);

	if (r < 700) {
		n = gen_structured(buf, cap);
		if (chance(15))
			mutate(buf, cap, &n);
	} else if (r < 850) {
		n = gen_random(buf, cap);
	} else if (r < 900) {
		static const size_t sizes[] = {
			REL_PAGE - 1, REL_PAGE - 1, REL_PAGE, REL_PAGE + 1,
			REL_PAGE - 2, 2 * REL_PAGE, 100, 1000,
		};
		n = gen_sized(buf, cap, sizes[rnd(sizeof(sizes) / sizeof(*sizes))]);
	} else if (r < 930) {
		static const char *const fixed[] = {
			"", "\n", "\n\n", " ", "monotonic", "monotonic 1", "monotonic 1 0",
			"monotonic 1 0\n", "monotonic 1 0\n\n", "\nmonotonic 1 0",
			"monotonic 1 0\nboottime 2 0", "monotonic 1 0\n \n",
			"monotonic 1 0\nmonotonic 2 0\n", "1 1 1\n7 7 7\n",
			"monotonic 0 0\nboottime 0 0\n", "monotonic -0 0\n",
			"monotonic 1 0 0\n", "monotonic\t1\t0\r\n", "boottime 1 999999999\n",
			"boottime 1 1000000000\n", "monotonic 1 0\0boottime x\n",
			"\0monotonic 1 0\n", "realtime 0 0\n", "realtime 1 0\n",
			"realtime -1 999999999\n", "realtime 1 0\nrealtime 0 0\n",
			"monotonic 1 0\nboottime 2 0\nrealtime 3 0\n", "0 1 0\n",
			"11 1 0\n", "tai 1 0\n", "realtime_coarse 1 0\n",
			"realtime 1 0\nrealtime_coarse 1 0\n", "realtime +1 0\n",
			"realtime 1 -0\n", "realtime 1\n", "realtime 1 0 0\n",
		};
		const char *f = fixed[rnd(sizeof(fixed) / sizeof(*fixed))];

		n = strlen(f);
		memcpy(buf, f, n);
		if (!strncmp(f, "monotonic 1 0\0", 14)) {
			memcpy(buf, "monotonic 1 0\0boottime x\n", 25);
			n = 25;
		} else if (!*f && chance(50)) {
			memcpy(buf, "\0monotonic 1 0\n", 15);
			n = 15;
		}
	} else {
		/* many lines, every clock id and the three clocks repeated */
		int lines = 2 + rnd(40), i;
		char line[96];

		n = 0;
		for (i = 0; i < lines; i++) {
			int id = chance(60) ? (chance(50) ? 1 : 7) : (int)rnd(16);

			snprintf(line, sizeof(line), "%s %lld %ld\n",
				 chance(30) ? (id == 1 ? "monotonic" : id == 7 ? "boottime" :
					       id == 0 ? "realtime" : "tai") : "",
				 (long long)rnd(1000000) - 500000, (long)rnd(REL_NSEC));
			if (!strncmp(line, " ", 1))
				snprintf(line, sizeof(line), "%d %lld %ld\n", id,
					 (long long)rnd(1000000) - 500000, (long)rnd(REL_NSEC));
			n = put(buf, cap, n, line);
		}
	}
	return n;
}

/* ======================= the fuzz loop ======================= */

enum method {
	W_WRITE, W_PWRITE0, W_PWRITE_OFF, W_LSEEK, W_READ_WRITE, W_WRITEV,
	W_FAULT_GUARD, W_FAULT_NULL, W_FAULT_KERNEL, W_FAULT_HUGE, W_NR,
};

static const char *const method_name[W_NR] = {
	"write", "pwrite@0", "pwrite@off", "lseek+write", "read+write",
	"writev", "guard-page", "NULL buffer", "kernel address", "SIZE_MAX count",
};

struct fz {
	enum target tgt;
	int wfd, rwfd, rfd;		/* the target's file: write, read-write, read */
	struct offs *model;		/* what the target's namespace holds */
	struct offs self, other;
	int self_rfd;
	pid_t helper;			/* T_OTHER, T_ZOMBIE: its pid */
	int helper_go;			/* write end: closing it ends the helper */
	char *guard;			/* a page followed by an unmapped one */
	unsigned long inputs, mismatches, ambiguous;
	unsigned long by_errno[5][8];
	unsigned long by_target[T_NR], by_method[W_NR], successes;
	unsigned long readback_bad;
	unsigned long nul_accepted, garbage_erange;
	unsigned long changed[NCLK];	/* inputs after which that offset differed */
	unsigned long rt_shown;		/* read-backs with a realtime line */
};

static int errno_slot(int e)
{
	switch (e) {
	case 0: return 0;
	case EINVAL: return 1;
	case ERANGE: return 2;
	case EPERM: return 3;
	case EACCES: return 4;
	case ESRCH: return 5;
	case EFAULT: return 6;
	default: return 7;
	}
}

static void dump_input(const char *buf, size_t n)
{
	char out[200];
	size_t i, o = 0;

	if (!buf || (uintptr_t)buf >= 0xffff800000000000ULL) {
		tap_diag("  input: (buffer %p, %zu bytes)", (const void *)buf, n);
		return;
	}
	for (i = 0; i < n && o < sizeof(out) - 8; i++) {
		unsigned char c = buf[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			out[o++] = c;
		else
			o += snprintf(out + o, sizeof(out) - o, "\\x%02x", c);
	}
	out[o] = '\0';
	tap_diag("  input (%zu bytes): \"%s\"%s", n, out, i < n ? "..." : "");
}

/* capabilities: the effective set without CAP_SYS_TIME, and back */
static int set_effective_cap(int cap, bool on)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	if (on)
		d[cap / 32].effective |= 1u << (cap % 32);
	else
		d[cap / 32].effective &= ~(1u << (cap % 32));
	return syscall(SYS_capset, &h, d);
}

static void close_target(struct fz *f)
{
	if (f->wfd >= 0)
		close(f->wfd);
	if (f->rwfd >= 0)
		close(f->rwfd);
	if (f->rfd >= 0 && f->rfd != f->self_rfd)
		close(f->rfd);
	f->wfd = f->rwfd = f->rfd = -1;
	if (f->helper > 0) {
		if (f->helper_go >= 0)
			close(f->helper_go);
		if (f->tgt != T_REAPED)
			rel_wait(f->helper);
		f->helper = 0;
		f->helper_go = -1;
	}
}

static int open_pid_file(pid_t pid, int flags)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/timens_offsets", pid);
	return open(path, flags | O_CLOEXEC);
}

/*
 * A helper process in a namespace of its own (clone3 CLONE_NEWTIME keeps
 * our pending namespace unentered) with a fresh pending namespace for its
 * children; it lives until helper_go is closed.
 */
static pid_t start_helper(struct fz *f)
{
	int ready[2], go[2];
	pid_t pid;
	char c;

	if (pipe(ready) || pipe(go))
		return -1;
	fflush(stdout);
	pid = rel_clone3(CLONE_NEWTIME, SIGCHLD);
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		c = unshare(CLONE_NEWTIME) ? 'x' : 'r';
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		while (read(go[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	if (pid < 0 || read(ready[0], &c, 1) != 1 || c != 'r') {
		close(ready[0]);
		close(go[1]);
		return -1;
	}
	close(ready[0]);
	f->helper = pid;
	f->helper_go = go[1];
	return pid;
}

static bool switch_target(struct fz *f, enum target tgt)
{
	pid_t pid;

	close_target(f);
	f->tgt = tgt;
	f->model = &f->self;
	f->rfd = f->self_rfd;
	switch (tgt) {
	case T_SELF:
		/* a fresh namespace if a child entered the last one */
		f->wfd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
		f->rwfd = open("/proc/self/timens_offsets", O_RDWR | O_CLOEXEC);
		break;
	case T_NOCAP:
		if (set_effective_cap(CAP_SYS_TIME, false))
			return false;
		f->wfd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
		f->rwfd = open("/proc/self/timens_offsets", O_RDWR | O_CLOEXEC);
		if (set_effective_cap(CAP_SYS_TIME, true))
			return false;
		break;
	case T_ENTERED:
		fflush(stdout);
		pid = fork();		/* enters our pending namespace */
		if (pid == 0)
			_exit(0);
		if (pid < 0 || rel_wait(pid) != 0)
			return false;
		f->wfd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
		f->rwfd = open("/proc/self/timens_offsets", O_RDWR | O_CLOEXEC);
		break;
	case T_OTHER:
		pid = start_helper(f);
		if (pid < 0)
			return false;
		f->other = f->self;	/* copied at clone3 and at unshare */
		f->model = &f->other;
		f->wfd = open_pid_file(pid, O_WRONLY);
		f->rwfd = open_pid_file(pid, O_RDWR);
		f->rfd = open_pid_file(pid, O_RDONLY);
		break;
	case T_ZOMBIE: {
		siginfo_t si;

		pid = start_helper(f);
		if (pid < 0)
			return false;
		f->wfd = open_pid_file(pid, O_WRONLY);
		f->rwfd = open_pid_file(pid, O_RDWR);
		close(f->helper_go);
		f->helper_go = -1;
		if (waitid(P_PID, pid, &si, WEXITED | WNOWAIT))
			return false;
		break;
	}
	case T_REAPED:
		/* from T_ZOMBIE: the same files, the process gone */
		break;
	default:
		return false;
	}
	return f->wfd >= 0 && f->rwfd >= 0 && f->rfd >= 0;
}

/* the zombie of the current round is reaped: its files stay open */
static bool reap_zombie(struct fz *f)
{
	if (f->tgt != T_ZOMBIE)
		return false;
	rel_wait(f->helper);
	f->tgt = T_REAPED;
	return true;
}

struct attempt {
	enum method m;
	const char *buf;		/* what write() gets */
	size_t count;
	long long pos;			/* the file position the write sees */
	bool fault;			/* part of buf is unmapped */
	struct iovec iov[4];
	int niov;
	ssize_t ret;
	int err;
};

static void do_attempt(struct fz *f, struct attempt *a, const char *text,
		       size_t len)
{
	static const long long offs[] = { 1, 2, 30, 4095, 4096, 1 << 20, LLONG_MAX, -1, LLONG_MIN };
	char rbuf[64];
	off_t p;
	size_t j;
	int i, fd = f->wfd;

	a->buf = text;
	a->count = len;
	a->pos = 0;
	a->fault = false;
	a->niov = 0;
	errno = 0;
	switch (a->m) {
	case W_WRITE:
		a->ret = write(fd, text, len);
		break;
	case W_PWRITE0:
		a->ret = pwrite(fd, text, len, 0);
		break;
	case W_PWRITE_OFF:
		a->pos = offs[rnd(sizeof(offs) / sizeof(*offs))];
		a->ret = pwrite(fd, text, len, a->pos);
		break;
	case W_LSEEK:
		fd = f->rwfd;
		lseek(fd, (off_t)offs[rnd(6)] * (chance(20) ? 0 : 1), SEEK_SET);
		a->pos = lseek(fd, 0, SEEK_CUR);
		a->ret = write(fd, text, len);
		break;
	case W_READ_WRITE:
		fd = f->rwfd;
		lseek(fd, 0, SEEK_SET);
		if (read(fd, rbuf, 1 + rnd(sizeof(rbuf) - 1)) < 0)
			(void)0;	/* a reaped process's file: nothing read */
		a->pos = lseek(fd, 0, SEEK_CUR);
		a->ret = write(fd, text, len);
		break;
	case W_WRITEV: {
		size_t cut[5], left = len;

		a->niov = 1 + rnd(4);
		cut[0] = 0;
		for (i = 1; i < a->niov; i++) {
			size_t step = left ? rnd(left + 1) : 0;

			if (chance(10))
				step = 0;	/* an empty piece */
			cut[i] = cut[i - 1] + step;
			left -= step;
		}
		cut[a->niov] = len;
		for (i = 0; i < a->niov; i++) {
			a->iov[i].iov_base = (char *)text + cut[i];
			a->iov[i].iov_len = cut[i + 1] - cut[i];
		}
		a->ret = writev(fd, a->iov, a->niov);
		break;
	}
	case W_FAULT_GUARD:
		/* the first j bytes readable, the rest on an unmapped page */
		if (len > REL_PAGE)
			len = a->count = REL_PAGE;
		j = len ? rnd(len + 1) : 0;
		memcpy(f->guard + REL_PAGE - j, text, j);
		a->buf = f->guard + REL_PAGE - j;
		a->fault = j < len;
		a->ret = write(fd, a->buf, len);
		break;
	case W_FAULT_NULL:
		a->buf = NULL;
		a->fault = len > 0;
		a->ret = write(fd, NULL, len);
		break;
	case W_FAULT_KERNEL:
		a->buf = (const char *)0xffffffff81000000ULL;
		a->ret = write(fd, a->buf, len);
		break;
	case W_FAULT_HUGE:
		{
			volatile size_t huge = SIZE_MAX;

			a->count = huge;
			a->ret = write(fd, text, a->count);
		}
		break;
	default:
		a->ret = -1;
		errno = ENOSYS;
	}
	a->err = a->ret < 0 ? errno : 0;
	if (fd == f->rwfd) {
		p = lseek(fd, 0, SEEK_SET);
		(void)p;
	}
}

/*
 * What the attempt should have returned for host clocks now[], and the
 * offsets after it; vfs rules around ->write() included.
 */
static void expect(const struct fz *f, const struct attempt *a,
		   const struct timespec now[NCLK], ssize_t *ret, int *err,
		   struct offs *res)
{
	struct offs cur = *f->model;
	int i, e;

	*res = cur;
	*ret = -1;
	switch (a->m) {
	case W_FAULT_KERNEL:
	case W_FAULT_HUGE:
		*err = EFAULT;			/* access_ok() in vfs_write() */
		return;
	case W_PWRITE0:
	case W_PWRITE_OFF:
		/*
		 * pwrite64(): a negative position is EINVAL, then seq_open()
		 * cleared FMODE_PWRITE: ESPIPE, even at position 0.
		 */
		*err = a->pos < 0 ? EINVAL : ESPIPE;
		return;
	case W_READ_WRITE:
	case W_LSEEK:
		if (a->pos < 0) {		/* could not even read */
			*err = EIO;
			return;
		}
		break;
	case W_WRITEV: {
		size_t total = 0, done = 0;

		for (i = 0; i < a->niov; i++)
			total += a->iov[i].iov_len;
		if (!total) {			/* vfs_writev(): nothing to do */
			*err = 0;
			*ret = 0;
			return;
		}
		/*
		 * do_loop_readv_writev(): one ->write() a piece, at the same
		 * position (->write() does not move it); empty pieces after
		 * the first are skipped by iov_iter_advance().
		 */
		for (i = 0; i < a->niov; i++) {
			if (i > 0 && !a->iov[i].iov_len)
				continue;
			e = ref_write(f->tgt, a->iov[i].iov_base, a->iov[i].iov_len,
				      0, false, &cur, now, res);
			if (e) {
				*res = cur;
				if (!done) {
					*err = e;
					return;
				}
				break;
			}
			cur = *res;
			done += a->iov[i].iov_len;
			if (done == total)
				break;
		}
		*res = cur;
		*err = 0;
		*ret = done;
		return;
	}
	default:
		break;
	}
	e = ref_write(f->tgt, a->buf, a->count, a->pos, a->fault, &cur, now, res);
	*err = e;
	*ret = e ? -1 : (ssize_t)a->count;
	if (e)
		*res = cur;
}

static bool same_offs(const struct offs *a, const struct offs *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/*
 * The earliest (@low) or latest of the clocks each offset shifts, all of
 * them range checked: CLOCK_MONOTONIC, _RAW and _COARSE for the monotonic
 * offset, CLOCK_BOOTTIME for the boottime one, CLOCK_REALTIME and _COARSE
 * for the realtime one.
 */
static void clock_bounds(struct timespec ts[NCLK], bool low)
{
	static const clockid_t clks[NCLK][4] = {
		{ CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW, CLOCK_MONOTONIC_COARSE, -1 },
		{ CLOCK_BOOTTIME, -1 },
		{ CLOCK_REALTIME, CLOCK_REALTIME_COARSE, -1 },
	};
	struct timespec t;
	int id, i;

	for (id = 0; id < NCLK; id++) {
		clock_gettime(clks[id][0], &ts[id]);
		for (i = 1; clks[id][i] >= 0; i++) {
			clock_gettime(clks[id][i], &t);
			if ((t.tv_sec < ts[id].tv_sec ||
			     (t.tv_sec == ts[id].tv_sec && t.tv_nsec < ts[id].tv_nsec)) == low)
				ts[id] = t;
		}
	}
}

static void fuzz_one(struct fz *f, char *text, size_t cap)
{
	struct timespec before[NCLK], after[NCLK];
	struct offs res_b, res_a, *res, old = *f->model;
	struct attempt a = { 0 };
	ssize_t ret_b, ret_a;
	int err_b, err_a, r = rnd(100), id;
	bool ok;
	char want[192], got[256];
	ssize_t n;
	size_t len;

	if (r < 59) a.m = W_WRITE;
	else if (r < 64) a.m = W_PWRITE0;
	else if (r < 67) a.m = W_PWRITE_OFF;
	else if (r < 72) a.m = W_LSEEK;
	else if (r < 77) a.m = W_READ_WRITE;
	else if (r < 87) a.m = W_WRITEV;
	else if (r < 95) a.m = W_FAULT_GUARD;
	else if (r < 97) a.m = W_FAULT_NULL;
	else if (r < 98) a.m = W_FAULT_KERNEL;
	else a.m = W_FAULT_HUGE;

	clock_gettime(CLOCK_MONOTONIC, &gen_now[0]);
	clock_gettime(CLOCK_BOOTTIME, &gen_now[1]);
	clock_gettime(CLOCK_REALTIME, &gen_now[CLK_RT]);
	gen_safe = a.m == W_WRITEV;
	len = gen_input(text, cap);

	/*
	 * The monotonic offset's range is that of CLOCK_MONOTONIC, _RAW and
	 * _COARSE together, the realtime offset's that of CLOCK_REALTIME and
	 * _COARSE: the earliest of them before the write and the latest after
	 * it bound what the kernel compared.
	 */
	clock_bounds(before, true);
	do_attempt(f, &a, text, len);
	clock_bounds(after, false);

	expect(f, &a, before, &ret_b, &err_b, &res_b);
	expect(f, &a, after, &ret_a, &err_a, &res_a);
	if (ret_b != ret_a || err_b != err_a || !same_offs(&res_b, &res_a))
		f->ambiguous++;		/* on a range limit: either is right */

	f->inputs++;
	f->by_target[f->tgt]++;
	f->by_method[a.m]++;
	f->by_errno[f->tgt < 5 ? f->tgt : 4][errno_slot(a.err)]++;
	if (a.ret >= 0 && a.err == 0)
		f->successes++;
	/* the spec notes: a NUL ends the text; an overflow beats garbage */
	if (a.ret > 0 && a.m != W_WRITEV && a.buf && memchr(a.buf, 0, a.count))
		f->nul_accepted++;
	if (a.err == ERANGE && a.m != W_WRITEV && err_b == ERANGE && a.buf &&
	    !ref_parse(a.buf, a.count < REL_PAGE ? a.count : 0, &(struct offs){ 0 },
		       &(unsigned int){ 0 }) && ref_quirk_garbage)
		f->garbage_erange++;

	if (a.ret == ret_b && a.err == err_b)
		res = &res_b;
	else if (a.ret == ret_a && a.err == err_a)
		res = &res_a;
	else
		res = NULL;
	ok = res != NULL;
	if (ok)
		*f->model = *res;
	for (id = 0; id < NCLK; id++)
		if (f->model->sec[id] != old.sec[id] || f->model->nsec[id] != old.nsec[id])
			f->changed[id]++;

	/* the offsets read back: the model's (unchanged after a failure) */
	format_offs(want, sizeof(want), f->model);
	n = pread(f->rfd, got, sizeof(got) - 1, 0);
	got[n > 0 ? n : 0] = '\0';
	if (n < 0 || strcmp(got, want)) {
		f->readback_bad++;
		ok = false;
	}
	if (n > 0 && strstr(got, "\nrealtime "))
		f->rt_shown++;
	if (f->tgt != T_SELF && f->tgt != T_NOCAP && f->tgt != T_ENTERED &&
	    !(f->inputs % 7)) {
		/* our own namespace stays what it was */
		format_offs(want, sizeof(want), &f->self);
		n = pread(f->self_rfd, got, sizeof(got) - 1, 0);
		got[n > 0 ? n : 0] = '\0';
		if (n < 0 || strcmp(got, want)) {
			f->readback_bad++;
			ok = false;
		}
	}
	if (!ok) {
		f->mismatches++;
		if (f->mismatches <= MAX_REPORT) {
			tap_diag("mismatch at input %lu: target %s, %s, pos %lld%s",
				 f->inputs - 1, target_name[f->tgt], method_name[a.m],
				 a.pos, a.fault ? ", faulting buffer" : "");
			dump_input(a.buf ? a.buf : text, a.m == W_FAULT_HUGE ? len : a.count);
			tap_diag("  expected %zd (%s), got %zd (%s)", ret_b,
				 rel_errname(err_b), a.ret, rel_errname(a.err));
			if (ret_b != ret_a || err_b != err_a)
				tap_diag("  or %zd (%s) a moment later", ret_a, rel_errname(err_a));
			tap_diag("  read back: %s", got);
			tap_diag("  expected:  %s", want);
		}
		/* carry on from what the kernel holds (no realtime line: 0) */
		if (f->rfd >= 0) {
			long long ms, bs, rs = 0;
			long mn, bn, rn = 0;
			int end = -1;

			n = pread(f->rfd, got, sizeof(got) - 1, 0);
			got[n > 0 ? n : 0] = '\0';
			if (sscanf(got, "monotonic %lld %ld boottime %lld %ld%n",
				   &ms, &mn, &bs, &bn, &end) == 4 && end >= 0) {
				if (sscanf(got + end, " realtime %lld %ld", &rs, &rn) != 2)
					rs = rn = 0;
				f->model->sec[0] = ms;
				f->model->nsec[0] = mn;
				f->model->sec[1] = bs;
				f->model->nsec[1] = bn;
				f->model->sec[CLK_RT] = rs;
				f->model->nsec[CLK_RT] = rn;
			}
		}
	}
	if (verbose && !(f->inputs % 10000))
		tap_diag("%lu inputs, %lu mismatches", f->inputs, f->mismatches);
}

static void fuzz_offsets(unsigned long total, uint64_t seed)
{
	static char text[3 * REL_PAGE];
	struct fz f = { .wfd = -1, .rwfd = -1, .rfd = -1, .helper_go = -1 };
	static const enum target plan[] = {
		T_SELF, T_SELF, T_SELF, T_OTHER, T_SELF, T_NOCAP, T_SELF,
		T_ENTERED, T_SELF, T_ZOMBIE, T_SELF, T_OTHER,
	};
	unsigned long round = 0, per_round = 1000, in_round = 0;
	bool setup_ok = true;
	int t, e;

	rng_state = seed;
	f.guard = mmap(NULL, 2 * REL_PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (f.guard == MAP_FAILED || mprotect(f.guard + REL_PAGE, REL_PAGE, PROT_NONE)) {
		tap_result(false, "offsets fuzz: set up # %s", strerror(errno));
		tap_result(false, "offsets fuzz: read back # not run");
		tap_result(false, "offsets fuzz: every target # not run");
		return;
	}
	/* our pending namespace: the offsets of its parent, the initial one */
	if (unshare(CLONE_NEWTIME)) {
		tap_result(false, "offsets fuzz: unshare(CLONE_NEWTIME) # %s", strerror(errno));
		tap_result(false, "offsets fuzz: read back # not run");
		tap_result(false, "offsets fuzz: every target # not run");
		return;
	}
	f.self_rfd = open("/proc/self/timens_offsets", O_RDONLY | O_CLOEXEC);
	if (!switch_target(&f, T_SELF))
		setup_ok = false;

	while (setup_ok && f.inputs < total) {
		if (in_round == per_round) {
			enum target next = plan[++round % (sizeof(plan) / sizeof(*plan))];

			in_round = 0;
			if (f.tgt == T_ENTERED || f.tgt == T_REAPED || f.tgt == T_ZOMBIE) {
				/* leave the entered namespace: a fresh one, same offsets */
				close_target(&f);
				if (unshare(CLONE_NEWTIME)) {
					tap_diag("unshare(CLONE_NEWTIME): %s", strerror(errno));
					setup_ok = false;
					break;
				}
			}
			if (!switch_target(&f, next)) {
				tap_diag("cannot set up target %s: %s", target_name[next],
					 strerror(errno));
				setup_ok = false;
				break;
			}
		}
		if (f.tgt == T_ZOMBIE && in_round == per_round / 2)
			reap_zombie(&f);
		fuzz_one(&f, text, sizeof(text));
		in_round++;
	}
	close_target(&f);

	tap_diag("seed %" PRIu64 ": %lu inputs, %lu successful writes, %lu mismatches, "
		 "%lu on a range limit (either outcome accepted)",
		 seed, f.inputs, f.successes, f.mismatches, f.ambiguous);
	for (t = 0; t < T_NR; t++)
		tap_diag("  target %-8s %7lu inputs", target_name[t], f.by_target[t]);
	for (t = 0; t < W_NR; t++)
		tap_diag("  method %-15s %7lu", method_name[t], f.by_method[t]);
	for (t = 0; t < NCLK; t++)
		tap_diag("  clock  %-15s %7lu inputs changed its offset", clk_name[t], f.changed[t]);
	tap_diag("  a realtime line was shown in %lu read-backs", f.rt_shown);
	for (t = 0; t < 5; t++) {
		static const char *const slot[8] = {
			"ok", "EINVAL", "ERANGE", "EPERM", "EACCES", "ESRCH", "EFAULT", "ESPIPE/other",
		};
		char line[256];
		int n = 0;

		for (e = 0; e < 8; e++)
			if (f.by_errno[t][e])
				n += snprintf(line + n, sizeof(line) - n, " %s %lu", slot[e], f.by_errno[t][e]);
		tap_diag("  results %-8s%s", t == 4 ? "zombie+" : target_name[t], n ? line : " none");
	}
	tap_diag("spec notes: %lu writes with an embedded NUL succeeded (the text ends at the "
		 "first NUL, bytes after it are ignored, as upstream); %lu got ERANGE for an "
		 "overflowing number followed by garbage (kstrtoll() reports the overflow first)",
		 f.nul_accepted, f.garbage_erange);
	tap_result(setup_ok && f.inputs >= total && f.mismatches == 0,
		   "offsets fuzz: %lu inputs, the errno of each as the reference (seed %" PRIu64 ")",
		   f.inputs, seed);
	tap_result(setup_ok && f.readback_bad == 0,
		   "offsets fuzz: offsets read back as the reference after each (%lu bad)",
		   f.readback_bad);
	tap_result(setup_ok && f.by_errno[0][0] && f.by_errno[0][1] && f.by_errno[0][2] &&
		   f.by_errno[T_NOCAP][3] && f.by_errno[T_ENTERED][4] &&
		   f.by_errno[4][5] && f.by_target[T_OTHER] && f.by_errno[0][6],
		   "offsets fuzz: every outcome was reached (success, EINVAL, ERANGE, EPERM, EACCES, ESRCH, EFAULT)");
	tap_diag("offsets fuzz inputs tried: %lu", f.inputs);
}

/* ======================= clone3, clone, unshare ======================= */

struct probe_ctl {
	int ready[2], go[2];
};

/* runs in a child that may share our memory and TLS: system calls only */
static int probe_fn(void *arg)
{
	struct probe_ctl *c = arg;
	char b = 1;

	sys4(SYS_write, c->ready[1], (long)&b, 1, 0);
	sys4(SYS_read, c->go[0], (long)&b, 1, 0);
	return 0;
}

static volatile pid_t probe_ctid;

/* clone3(flags): 0 or the errno; the child's namespaces while it lives */
static int clone3_probe(uint64_t flags, uint64_t *t, uint64_t *c)
{
	struct rel_clone_args args = { 0 };
	struct probe_ctl ctl;
	struct pollfd pfd;
	void *stack = NULL;
	bool thread = flags & CLONE_THREAD;
	size_t ssize = 256 * 1024;
	long pid;
	char b = 0, path[64];
	int err = 0, i;

	*t = *c = 0;
	if (pipe(ctl.ready) || pipe(ctl.go))
		return -1;
	if (flags & CLONE_VM) {
		stack = mmap(NULL, ssize, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (stack == MAP_FAILED)
			return -1;
		args.stack = (uintptr_t)stack;
		args.stack_size = ssize;
	}
	args.flags = flags;
	args.exit_signal = thread ? 0 : SIGCHLD;
	if (thread) {
		probe_ctid = -1;
		args.flags |= CLONE_CHILD_CLEARTID;
		args.child_tid = (uintptr_t)&probe_ctid;
	}
	fflush(stdout);
	pid = rel_clone3_fn(&args, sizeof(args), probe_fn, &ctl);
	close(ctl.ready[1]);
	close(ctl.go[0]);
	if (pid < 0) {
		err = -pid;
		goto out;
	}
	pfd.fd = ctl.ready[0];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 20000) == 1 && read(ctl.ready[0], &b, 1) == 1) {
		snprintf(path, sizeof(path), "/proc/%ld/ns/time", pid);
		*t = rel_ino(path);
		snprintf(path, sizeof(path), "/proc/%ld/ns/time_for_children", pid);
		*c = rel_ino(path);
	}
	/* a byte, not EOF: the child holds a copy of the write end */
	b = 'g';
	if (write(ctl.go[1], &b, 1) != 1)
		err = -1;
	if (thread) {
		for (i = 0; i < 2000 && probe_ctid != 0; i++) {
			struct timespec ts = { 0, 10000000 };
			pid_t v = probe_ctid;

			if (v)
				syscall(SYS_futex, &probe_ctid, FUTEX_WAIT, v, &ts, NULL, 0);
		}
	} else {
		rel_wait(pid);
	}
out:
	close(ctl.ready[0]);
	if (ctl.go[1] >= 0)
		close(ctl.go[1]);
	if (stack)
		munmap(stack, ssize);
	return err;
}

struct flagbit {
	uint64_t flags;
	const char *name;
};

static const struct flagbit clone_bits[] = {
	{ CLONE_NEWTIME, "NEWTIME" },
	{ CLONE_NEWUSER, "NEWUSER" },
	{ CLONE_NEWNS, "NEWNS" },
	{ CLONE_NEWPID, "NEWPID" },
	{ CLONE_NEWUTS, "NEWUTS" },
	{ CLONE_THREAD | CLONE_SIGHAND | CLONE_VM, "THREAD|SIGHAND|VM" },
	{ CLONE_VM, "VM" },
};
#define NCLONE_BITS (int)(sizeof(clone_bits) / sizeof(*clone_bits))

static void flag_names(char *buf, size_t size, const struct flagbit *bits, int nbits,
		       unsigned int mask)
{
	int i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < nbits; i++)
		if (mask & (1u << i))
			n += snprintf(buf + n, size - n, "%s%s", n ? "|" : "", bits[i].name);
	if (!n)
		snprintf(buf, size, "0");
}

/* every subset through clone3; returns the number of wrong outcomes */
static int clone3_matrix(bool pending)
{
	uint64_t pt = rel_pid_ns_ino(0, "time"), pc = rel_pid_ns_ino(0, "time_for_children");
	uint64_t t, c;
	unsigned int mask;
	int bad = 0, err, want;
	char names[128];

	for (mask = 0; mask < (1u << NCLONE_BITS); mask++) {
		uint64_t flags = 0;
		bool vm, thread, newtime;
		int i;

		for (i = 0; i < NCLONE_BITS; i++)
			if (mask & (1u << i))
				flags |= clone_bits[i].flags;
		vm = flags & CLONE_VM;
		thread = flags & CLONE_THREAD;
		newtime = flags & CLONE_NEWTIME;
		want = thread && (flags & (CLONE_NEWUSER | CLONE_NEWPID)) ? EINVAL : 0;
		err = clone3_probe(flags, &t, &c);
		flag_names(names, sizeof(names), clone_bits, NCLONE_BITS, mask);
		if (err != want) {
			bad++;
			tap_diag("clone3(%s)%s: %s, expected %s", names,
				 pending ? " after unshare" : "", rel_errname(err), rel_errname(want));
			continue;
		}
		if (err)
			continue;
		/*
		 * CLONE_NEWTIME: a namespace for the child's children; a child
		 * with an mm of its own enters its namespace for children,
		 * a CLONE_VM child (thread or not) stays where we are.
		 */
		{
			uint64_t want_c = newtime ? 0 : pc;
			uint64_t want_t = vm ? pt : c;
			bool okc = newtime ? (c && c != pt && c != pc) : c == want_c;

			if (!okc || t != want_t) {
				bad++;
				tap_diag("clone3(%s)%s: child time %" PRIu64 " children %" PRIu64
					 ", parent time %" PRIu64 " children %" PRIu64, names,
					 pending ? " after unshare" : "", t, c, pt, pc);
			}
		}
	}
	return bad;
}

/* the CSIGNAL bits other than CLONE_NEWTIME stay invalid for clone3 */
static int clone3_csignal(void)
{
	static const uint64_t bits[] = { 0x01, 0x11, 0x7f, 0xff, 0x81, 0x40, CLONE_DETACHED };
	uint64_t t, c;
	int i, bad = 0, err;

	for (i = 0; i < (int)(sizeof(bits) / sizeof(*bits)); i++) {
		err = clone3_probe(bits[i], &t, &c);
		if (err != EINVAL) {
			bad++;
			tap_diag("clone3(%#" PRIx64 "): %s, expected EINVAL", bits[i], rel_errname(err));
		}
		err = clone3_probe(bits[i] | CLONE_NEWTIME, &t, &c);
		if (err != EINVAL) {
			bad++;
			tap_diag("clone3(%#" PRIx64 "|NEWTIME): %s, expected EINVAL", bits[i], rel_errname(err));
		}
	}
	/* unknown high bits and CLONE_SIGHAND|CLONE_CLEAR_SIGHAND */
	err = clone3_probe(CLONE_NEWTIME | (1ULL << 40), &t, &c);
	if (err != EINVAL) {
		bad++;
		tap_diag("clone3(NEWTIME|1<<40): %s, expected EINVAL", rel_errname(err));
	}
	err = clone3_probe(CLONE_NEWTIME | CLONE_SIGHAND | CLONE_VM | CLONE_CLEAR_SIGHAND, &t, &c);
	if (err != EINVAL) {
		bad++;
		tap_diag("clone3(NEWTIME|SIGHAND|VM|CLEAR_SIGHAND): %s, expected EINVAL", rel_errname(err));
	}
	/* a bad size */
	{
		struct rel_clone_args args = { .flags = CLONE_NEWTIME, .exit_signal = SIGCHLD };
		long r = syscall(__NR_clone3, &args, 8);

		if (r == 0)
			_exit(0);
		if (r > 0)
			rel_wait(r);
		if (r >= 0 || errno != EINVAL) {
			bad++;
			tap_diag("clone3(NEWTIME, size 8): %s, expected EINVAL",
				 rel_errname(r < 0 ? errno : 0));
		}
	}
	return bad;
}

/* legacy clone(2): 0x80 is an exit signal there, no namespace is made */
static int legacy_clone(void)
{
	uint64_t pt = rel_pid_ns_ino(0, "time"), pc = rel_pid_ns_ino(0, "time_for_children");
	uint64_t t = 0, c = 0;
	int ready[2], go[2], bad = 0;
	char path[64], b;
	long pid;

	if (pipe(ready) || pipe(go))
		return 1;
	fflush(stdout);
	pid = syscall(SYS_clone, CLONE_NEWTIME, 0, NULL, NULL, 0);
	if (pid == 0) {
		b = 1;
		if (write(ready[1], &b, 1) != 1)
			_exit(1);
		if (read(go[0], &b, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	if (pid < 0) {
		tap_diag("clone(CLONE_NEWTIME): %s", strerror(errno));
		return 1;
	}
	if (read(ready[0], &b, 1) == 1) {
		snprintf(path, sizeof(path), "/proc/%ld/ns/time", pid);
		t = rel_ino(path);
		snprintf(path, sizeof(path), "/proc/%ld/ns/time_for_children", pid);
		c = rel_ino(path);
	}
	b = 'g';
	if (write(go[1], &b, 1) != 1)
		bad++;
	close(go[1]);
	close(ready[0]);
	rel_wait(pid);
	if (t != pt || c != pc) {
		bad++;
		tap_diag("clone(CLONE_NEWTIME) made a namespace: child %" PRIu64 "/%" PRIu64
			 ", parent %" PRIu64 "/%" PRIu64, t, c, pt, pc);
	}
	return bad;
}

struct cres {
	int err;
	uint64_t t, c;
	int64_t mono_v, mono_s, boot_v, boot_s;
};

typedef void (*child_fn)(void *arg, struct cres *r);

static void fill_after(struct cres *r)
{
	r->t = rel_pid_ns_ino(0, "time");
	r->c = rel_pid_ns_ino(0, "time_for_children");
	r->mono_v = now_vdso(CLOCK_MONOTONIC);
	r->mono_s = now_sys(CLOCK_MONOTONIC);
	r->boot_v = now_vdso(CLOCK_BOOTTIME);
	r->boot_s = now_sys(CLOCK_BOOTTIME);
}

/* fn(arg, r) in a forked child (rel_run_child()), r zeroed first */
struct child_call {
	child_fn fn;
	void *arg;
};

static void call_child(void *call, void *res)
{
	struct child_call *c = call;

	c->fn(c->arg, res);
}

static int run_child(child_fn fn, void *arg, struct cres *r)
{
	struct child_call c = { fn, arg };

	memset(r, 0, sizeof(*r));
	return rel_run_child(call_child, &c, r, sizeof(*r));
}

static void unshare_child(void *arg, struct cres *r)
{
	unsigned long flags = *(unsigned long *)arg;

	r->err = unshare(flags) ? errno : 0;
	fill_after(r);
}

static const struct flagbit unshare_bits[] = {
	{ CLONE_NEWTIME, "NEWTIME" },
	{ CLONE_NEWUSER, "NEWUSER" },
	{ CLONE_NEWNS, "NEWNS" },
	{ CLONE_NEWPID, "NEWPID" },
	{ CLONE_NEWUTS, "NEWUTS" },
	{ CLONE_THREAD | CLONE_SIGHAND | CLONE_VM, "THREAD|SIGHAND|VM" },
	{ CLONE_FS | CLONE_FILES | CLONE_SYSVSEM, "FS|FILES|SYSVSEM" },
	{ 0x11, "CSIGNAL 0x11" },
};
#define NUNSHARE_BITS (int)(sizeof(unshare_bits) / sizeof(*unshare_bits))

static int unshare_matrix(void)
{
	uint64_t pt = rel_pid_ns_ino(0, "time");
	unsigned int mask;
	struct cres r;
	char names[160];
	int bad = 0, want, i;

	for (mask = 0; mask < (1u << NUNSHARE_BITS); mask++) {
		unsigned long flags = 0;

		for (i = 0; i < NUNSHARE_BITS; i++)
			if (mask & (1u << i))
				flags |= unshare_bits[i].flags;
		want = flags & 0x11 ? EINVAL : 0;
		flag_names(names, sizeof(names), unshare_bits, NUNSHARE_BITS, mask);
		if (run_child(unshare_child, &flags, &r)) {
			bad++;
			tap_diag("unshare(%s): the child did not report", names);
			continue;
		}
		if (r.err != want) {
			bad++;
			tap_diag("unshare(%s): %s, expected %s", names, rel_errname(r.err),
				 rel_errname(want));
			continue;
		}
		if (r.t != pt || ((flags & CLONE_NEWTIME) && !r.err ? r.c == pt || !r.c : r.c != pt)) {
			bad++;
			tap_diag("unshare(%s): time %" PRIu64 " children %" PRIu64 ", before %" PRIu64,
				 names, r.t, r.c, pt);
		}
	}
	return bad;
}

/* ======================= setns ======================= */

struct setns_case {
	const char *name;
	int fd;
	int flags;
	int want;		/* errno */
	uint64_t want_ns;	/* on success: time and time_for_children */
	int64_t mono_off;	/* on success: the namespace's monotonic offset */
	int64_t boot_off;
};

static void setns_child(void *arg, struct cres *r)
{
	const struct setns_case *c = arg;

	r->err = setns(c->fd, c->flags) ? errno : 0;
	fill_after(r);
}

static int check_setns(const struct setns_case *c)
{
	int64_t h0 = now_sys(CLOCK_MONOTONIC), b0 = now_sys(CLOCK_BOOTTIME), h1, b1;
	struct cres r;

	if (run_child(setns_child, (void *)c, &r)) {
		tap_diag("setns %s: the child did not report", c->name);
		return 1;
	}
	h1 = now_sys(CLOCK_MONOTONIC);
	b1 = now_sys(CLOCK_BOOTTIME);
	if (r.err != c->want) {
		tap_diag("setns %s: %s, expected %s", c->name, rel_errname(r.err),
			 rel_errname(c->want));
		return 1;
	}
	if (r.err)
		return 0;
	if (c->want_ns && (r.t != c->want_ns || r.c != c->want_ns)) {
		tap_diag("setns %s: time %" PRIu64 " children %" PRIu64 ", expected %" PRIu64,
			 c->name, r.t, r.c, c->want_ns);
		return 1;
	}
	/* the clocks moved at once, through the vDSO and the system call */
	if (r.mono_v - c->mono_off < h0 || r.mono_v - c->mono_off > h1 ||
	    r.mono_s - c->mono_off < h0 || r.mono_s - c->mono_off > h1 ||
	    r.boot_v - c->boot_off < b0 || r.boot_v - c->boot_off > b1 ||
	    r.boot_s - c->boot_off < b0 || r.boot_s - c->boot_off > b1) {
		tap_diag("setns %s: clocks mono %" PRId64 "/%" PRId64 " boot %" PRId64 "/%" PRId64
			 " (vDSO/syscall), host %" PRId64 "..%" PRId64 ", offsets %" PRId64 "/%" PRId64,
			 c->name, r.mono_v, r.mono_s, r.boot_v, r.boot_s, h0, h1,
			 c->mono_off, c->boot_off);
		return 1;
	}
	return 0;
}

static pthread_mutex_t thr_lock = PTHREAD_MUTEX_INITIALIZER;
static void *idle_thread(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&thr_lock);
	pthread_mutex_unlock(&thr_lock);
	return NULL;
}

/* setns from a process with a second thread */
static void setns_threaded_child(void *arg, struct cres *r)
{
	const struct setns_case *c = arg;
	pthread_t th;

	pthread_mutex_lock(&thr_lock);
	if (pthread_create(&th, NULL, idle_thread, NULL)) {
		r->err = -1;
		return;
	}
	r->err = setns(c->fd, c->flags) ? errno : 0;
	pthread_mutex_unlock(&thr_lock);
	pthread_join(th, NULL);
	fill_after(r);
}

/* setns from a vfork child, which shares our mm */
static void setns_vfork_child(void *arg, struct cres *r)
{
	const struct setns_case *c = arg;
	static volatile int err;
	pid_t pid;

	err = -1;
	pid = vfork();
	if (pid == 0) {
		err = syscall(SYS_setns, c->fd, c->flags) ? errno : 0;
		_exit(0);
	}
	if (pid > 0)
		rel_wait(pid);
	r->err = err;
	fill_after(r);
}

#define MONO_OFF	(10 * 86400 * REL_NSEC + 123456789)
#define BOOT_OFF	(20 * 86400 * REL_NSEC + 987654321)
#define MONO_OFF3	(30 * 86400 * REL_NSEC + 5)

/*
 * Q: clone3(CLONE_NEWTIME), so in N1; unshares: N2 pending, which we give
 * offsets; then Q forks Q2 into N2, and Q2 unshares: N3 pending.
 */
struct fixture {
	pid_t q, q2, zombie, reaped;
	int go;				/* closing it ends Q and Q2 */
	uint64_t n1, n2, n3;
};

static bool make_fixture(struct fixture *fx)
{
	int ready[2], go[2], cmd[2];
	char b;
	pid_t pid;

	memset(fx, 0, sizeof(*fx));
	if (pipe(ready) || pipe(go) || pipe(cmd))
		return false;
	fflush(stdout);
	pid = rel_clone3(CLONE_NEWTIME, SIGCHLD);
	if (pid == 0) {
		pid_t q2;

		close(ready[0]);
		close(go[1]);
		close(cmd[1]);
		if (unshare(CLONE_NEWTIME))
			_exit(1);
		b = 'q';
		if (write(ready[1], &b, 1) != 1)
			_exit(1);
		if (read(cmd[0], &b, 1) != 1)		/* our offsets are set */
			_exit(1);
		fflush(stdout);
		q2 = fork();
		if (q2 == 0) {
			pid_t me = getpid();

			if (unshare(CLONE_NEWTIME))
				_exit(1);
			if (write(ready[1], &me, sizeof(me)) != sizeof(me))
				_exit(1);
			while (read(go[0], &b, 1) > 0)
				;
			_exit(0);
		}
		while (read(go[0], &b, 1) > 0)
			;
		rel_wait(q2);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	close(cmd[0]);
	if (pid < 0 || read(ready[0], &b, 1) != 1 || b != 'q')
		return false;
	fx->q = pid;
	fx->go = go[1];
	if (rel_set_offsets(pid, MONO_OFF, BOOT_OFF))
		return false;
	b = 'c';
	if (write(cmd[1], &b, 1) != 1 ||
	    read(ready[0], &fx->q2, sizeof(fx->q2)) != sizeof(fx->q2))
		return false;
	close(cmd[1]);
	close(ready[0]);
	fx->n1 = rel_pid_ns_ino(fx->q, "time");
	fx->n2 = rel_pid_ns_ino(fx->q2, "time");
	fx->n3 = rel_pid_ns_ino(fx->q2, "time_for_children");
	return fx->q2 > 0 && fx->n1 && fx->n2 && fx->n3 &&
	       rel_pid_ns_ino(fx->q, "time_for_children") == fx->n2;
}

static int open_ns(pid_t pid, const char *which, int flags)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, which);
	return open(path, flags | O_CLOEXEC);
}

static void setns_tests(void)
{
	struct fixture fx;
	uint64_t init = rel_pid_ns_ino(0, "time");
	int n1, n2, n3, n2o, pq2, pz, pr, closed, file, p[2], devnull, sock, dir, efd, self_time;
	int bad = 0, ncases = 0, i, w;
	pid_t z, rp;
	siginfo_t si;
	static const char *const others[] = {
		"ipc", "uts", "net", "mnt", "pid", "user", "pid_for_children",
	};

	if (!make_fixture(&fx)) {
		tap_result(false, "setns: fixture (namespaces with offsets) # %s", strerror(errno));
		tap_result(false, "setns: EUSERS # not run");
		tap_result(false, "setns: a good setns freezes the offsets # not run");
		return;
	}
	n1 = open_ns(fx.q, "time", O_RDONLY);
	n2 = open_ns(fx.q2, "time", O_RDONLY);
	n3 = open_ns(fx.q2, "time_for_children", O_RDONLY);
	n2o = open_ns(fx.q2, "time", O_PATH);
	pq2 = rel_pidfd_open(fx.q2);

	/* a zombie and a reaped process, by pidfd */
	fflush(stdout);
	z = fork();
	if (z == 0)
		_exit(0);
	pz = rel_pidfd_open(z);
	waitid(P_PID, z, &si, WEXITED | WNOWAIT);
	fflush(stdout);
	rp = fork();
	if (rp == 0)
		_exit(0);
	pr = rel_pidfd_open(rp);
	rel_wait(rp);

	file = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (pipe(p))
		p[0] = p[1] = -1;
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	sock = socket(AF_UNIX, SOCK_STREAM, 0);
	dir = open("/proc/self/ns", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	efd = eventfd(0, 0);
	self_time = open_ns(getpid(), "time", O_RDONLY);
	closed = dup(devnull);		/* a number no other fd takes before the cases run */
	close(closed);

	{
		const struct setns_case cases[] = {
			{ "fd -1, 0", -1, 0, EBADF , 0, 0, 0 },
			{ "fd -1, NEWTIME", -1, CLONE_NEWTIME, EBADF , 0, 0, 0 },
			{ "closed fd", closed, CLONE_NEWTIME, EBADF , 0, 0, 0 },
			{ "fd 100000", 100000, CLONE_NEWTIME, EBADF , 0, 0, 0 },
			{ "O_PATH time fd", n2o, CLONE_NEWTIME, EBADF , 0, 0, 0 },
			{ "regular file, 0", file, 0, EINVAL , 0, 0, 0 },
			{ "regular file, NEWTIME", file, CLONE_NEWTIME, EINVAL , 0, 0, 0 },
			{ "pipe", p[0], CLONE_NEWTIME, EINVAL , 0, 0, 0 },
			{ "/dev/null", devnull, CLONE_NEWTIME, EINVAL , 0, 0, 0 },
			{ "socket", sock, CLONE_NEWTIME, EINVAL , 0, 0, 0 },
			{ "directory", dir, CLONE_NEWTIME, EINVAL , 0, 0, 0 },
			{ "eventfd", efd, 0, EINVAL , 0, 0, 0 },
			{ "time fd, NEWIPC", n2, CLONE_NEWIPC, EINVAL , 0, 0, 0 },
			{ "time fd, NEWUTS", n2, CLONE_NEWUTS, EINVAL , 0, 0, 0 },
			{ "time fd, NEWUSER", n2, CLONE_NEWUSER, EINVAL , 0, 0, 0 },
			{ "time fd, NEWTIME|NEWIPC", n2, CLONE_NEWTIME | CLONE_NEWIPC, EINVAL , 0, 0, 0 },
			{ "time fd, 0x1", n2, 0x1, EINVAL , 0, 0, 0 },
			{ "time fd, -1", n2, -1, EINVAL , 0, 0, 0 },
			{ "pidfd, 0", pq2, 0, EINVAL , 0, 0, 0 },
			{ "pidfd, NEWTIME|0x1", pq2, CLONE_NEWTIME | 0x1, EINVAL , 0, 0, 0 },
			{ "pidfd, NEWTIME|NEWUSER (our own user ns)", pq2,
			  CLONE_NEWTIME | CLONE_NEWUSER, EINVAL , 0, 0, 0 },
			{ "pidfd of a zombie", pz, CLONE_NEWTIME, ESRCH , 0, 0, 0 },
			{ "pidfd of a reaped process", pr, CLONE_NEWTIME, ESRCH , 0, 0, 0 },
			{ "our own time ns, NEWTIME", self_time, CLONE_NEWTIME, 0, init, 0, 0 },
			{ "N1 (no offsets), 0", n1, 0, 0, fx.n1, 0, 0 },
			{ "N2 time fd, 0", n2, 0, 0, fx.n2, MONO_OFF, BOOT_OFF },
			{ "N2 time fd, NEWTIME", n2, CLONE_NEWTIME, 0, fx.n2, MONO_OFF, BOOT_OFF },
			{ "pidfd, NEWTIME", pq2, CLONE_NEWTIME, 0, fx.n2, MONO_OFF, BOOT_OFF },
			{ "pidfd, NEWTIME|NEWIPC|NEWUTS|NEWNET|NEWNS", pq2,
			  CLONE_NEWTIME | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWNS,
			  0, fx.n2, MONO_OFF, BOOT_OFF },
		};

		for (i = 0; i < (int)(sizeof(cases) / sizeof(*cases)); i++) {
			bad += check_setns(&cases[i]);
			ncases++;
		}
		for (i = 0; i < (int)(sizeof(others) / sizeof(*others)); i++) {
			struct setns_case c = { others[i], open_ns(getpid(), others[i], O_RDONLY),
						CLONE_NEWTIME, EINVAL, 0, 0, 0 };
			char name[64];

			snprintf(name, sizeof(name), "%s fd, NEWTIME", others[i]);
			c.name = name;
			if (c.fd < 0) {
				tap_diag("no /proc/self/ns/%s: %s", others[i], strerror(errno));
				bad++;
				continue;
			}
			bad += check_setns(&c);
			ncases++;
			close(c.fd);
		}
	}
	tap_result(bad == 0, "setns: %d cases of bad fds, other namespace types, flags, pidfds", ncases);

	/* EUSERS: a second thread, a vfork child sharing the mm */
	bad = 0;
	{
		const struct setns_case cases[] = {
			{ "time fd from a process with two threads", n2, CLONE_NEWTIME, EUSERS , 0, 0, 0 },
			{ "time fd, 0, two threads", n2, 0, EUSERS , 0, 0, 0 },
			{ "pidfd from a process with two threads", pq2, CLONE_NEWTIME, EUSERS , 0, 0, 0 },
			{ "our own time ns, two threads", open_ns(getpid(), "time", O_RDONLY),
			  CLONE_NEWTIME, EUSERS , 0, 0, 0 },
		};
		struct setns_case ctl = { "uts fd, two threads (control)",
					  open_ns(getpid(), "uts", O_RDONLY), CLONE_NEWUTS, 0, 0, 0, 0 };
		struct cres r;

		for (i = 0; i < (int)(sizeof(cases) / sizeof(*cases)); i++) {
			if (run_child(setns_threaded_child, (void *)&cases[i], &r) ||
			    r.err != cases[i].want || r.t != init) {
				tap_diag("setns %s: %s, expected %s (time %" PRIu64 ")", cases[i].name,
					 rel_errname(r.err), rel_errname(cases[i].want), r.t);
				bad++;
			}
		}
		if (run_child(setns_threaded_child, &ctl, &r) || r.err) {
			tap_diag("setns %s: %s", ctl.name, rel_errname(r.err));
			bad++;
		}
		if (run_child(setns_vfork_child, (void *)&cases[0], &r) || r.err != EUSERS ||
		    r.t != init) {
			tap_diag("setns from a vfork child: %s, expected EUSERS", rel_errname(r.err));
			bad++;
		}
	}
	tap_result(bad == 0, "setns: EUSERS from a second thread and from a vfork child");

	/*
	 * N3 is pending: its offsets can be set, until a setns into it (by
	 * its time_for_children fd) freezes them.
	 */
	bad = 0;
	w = rel_set_offsets(fx.q2, MONO_OFF3, BOOT_OFF);
	if (w) {
		tap_diag("offsets of a pending namespace: %s", rel_errname(-w));
		bad++;
	} else {
		const struct setns_case c = { "N3 by time_for_children fd", n3, CLONE_NEWTIME, 0,
					      fx.n3, MONO_OFF3, BOOT_OFF };

		bad += check_setns(&c);
		w = rel_set_offsets(fx.q2, 0, 0);
		if (w != -EACCES) {
			tap_diag("offsets after a setns entered the namespace: %s, expected EACCES",
				 rel_errname(-w));
			bad++;
		}
	}
	tap_result(bad == 0, "setns: into a pending namespace by its time_for_children fd; "
		   "its offsets are frozen after (EACCES)");

	close(n1);
	close(n2);
	close(n3);
	close(n2o);
	close(pq2);
	close(pz);
	close(pr);
	rel_wait(z);
	close(fx.go);
	rel_wait(fx.q);
}

/* ======================= main ======================= */

static void pending_clone3_child(void *arg, struct cres *r)
{
	(void)arg;
	if (unshare(CLONE_NEWTIME)) {
		r->err = -1;
		return;
	}
	r->err = clone3_matrix(true);
}

int main(int argc, char **argv)
{
	unsigned long inputs = 100000;
	uint64_t seed = 0;
	struct cres r;
	int opt, bad;

	while ((opt = getopt(argc, argv, "n:s:v")) != -1) {
		switch (opt) {
		case 'n': inputs = strtoul(optarg, NULL, 0); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'v': verbose = true; break;
		default:
			fprintf(stderr, "usage: %s [-n INPUTS] [-s SEED] [-v]\n", argv[0]);
			return 2;
		}
	}
	if (!seed) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_sec * 1000003u ^ (uint64_t)ts.tv_nsec ^ getpid();
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	tap_plan(11);
	tap_diag("seed %" PRIu64 " (repeat: %s -s %" PRIu64 " -n %lu)", seed, argv[0], seed, inputs);
	rel_vdso_init();
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root\n");
		return 4;
	}
	if (unshare(0) || access("/proc/self/timens_offsets", F_OK)) {
		printf("Bail out! no time namespaces: %s\n", strerror(errno));
		return 1;
	}

	/* namespace system calls first, from the initial namespace, not pending */
	bad = clone3_matrix(false);
	tap_result(bad == 0, "clone3: all %d subsets of {%s, ...} (%d wrong)",
		   1 << NCLONE_BITS, "NEWTIME, NEWUSER, NEWNS, NEWPID, NEWUTS, THREAD|SIGHAND|VM, VM", bad);
	bad = run_child(pending_clone3_child, NULL, &r) ? -1 : r.err;
	tap_result(bad == 0, "clone3: all %d subsets from a parent with a pending namespace "
		   "(CLONE_VM children stay, others enter it) (%d wrong)", 1 << NCLONE_BITS, bad);
	bad = clone3_csignal();
	tap_result(bad == 0, "clone3: CSIGNAL bits, CLONE_DETACHED, unknown bits, a bad size: EINVAL");
	bad = legacy_clone();
	tap_result(bad == 0, "clone(CLONE_NEWTIME): an exit signal, no namespace");
	bad = unshare_matrix();
	tap_result(bad == 0, "unshare: all %d subsets of {NEWTIME, NEWUSER, NEWNS, NEWPID, NEWUTS, "
		   "THREAD|SIGHAND|VM, FS|FILES|SYSVSEM, CSIGNAL} (%d wrong)",
		   1 << NUNSHARE_BITS, bad);
	setns_tests();

	/* and the offsets file, last: it leaves us with a pending namespace */
	fuzz_offsets(inputs, seed);
	return tap_failed ? 1 : 0;
}
