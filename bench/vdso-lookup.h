/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Finding a function in the vDSO, and making a system call, ourselves, not
 * through libc: for bench/timens-bench.c, which times the vDSO's and the
 * kernel's code and not libc's wrappers around them, and
 * bench/faketime-cases.c, whose direct calls must not go through anything
 * an LD_PRELOAD library can interpose.
 */
#ifndef TIMENS_VDSO_LOOKUP_H
#define TIMENS_VDSO_LOOKUP_H

#include <elf.h>
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>

/* A system call of up to four arguments, inline */
static inline long sys4(long nr, long a, long b, long c, long d)
{
#if defined(__x86_64__)
	register long r10 asm("r10") = d;
	long ret;

	asm volatile("syscall"
		     : "=a"(ret)
		     : "0"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
		     : "rcx", "r11", "memory");
	return ret;
#elif defined(__aarch64__)
	register long x8 asm("x8") = nr;
	register long x0 asm("x0") = a;
	register long x1 asm("x1") = b;
	register long x2 asm("x2") = c;
	register long x3 asm("x3") = d;

	asm volatile("svc #0"
		     : "+r"(x0)
		     : "r"(x8), "r"(x1), "r"(x2), "r"(x3)
		     : "memory");
	return x0;
#else
#error "vdso-lookup.h: no inline system call for this architecture"
#endif
}

/* The vDSO's name for clock_gettime: x86-64's __vdso_*, arm64's __kernel_* */
#if defined(__x86_64__)
#define VDSO_CLOCK_GETTIME	"__vdso_clock_gettime"
#elif defined(__aarch64__)
#define VDSO_CLOCK_GETTIME	"__kernel_clock_gettime"
#endif

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

#endif /* TIMENS_VDSO_LOOKUP_H */
