// SPDX-License-Identifier: MIT
/*
 * ELF cores: /proc/vmcore, makedumpfile -E, /proc/kcore, QEMU
 * dump-guest-memory. libelf reads the headers and notes; memory bytes go
 * through the piece table with pread, never libelf (each
 * elf_getdata_rawchunk() copy lives until elf_end()).
 */
#include "source_internal.h"

#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>

#include "../util/util.h"

/* Far more program headers than any machine has RAM ranges. */
#define MAX_PHDRS (1u << 22)

static const char *machine_name(unsigned machine)
{
	switch (machine) {
	case EM_X86_64:	 return "x86_64";
	case EM_AARCH64: return "aarch64";
	case EM_RISCV:	 return "riscv64";
	case EM_PPC64:	 return "ppc64";
	case EM_S390:	 return "s390x";
#ifdef EM_LOONGARCH
	case EM_LOONGARCH: return "loongarch64";
#endif
	default:	 return "unknown";
	}
}

/*
 * How much of @len bytes at file offset @off the file holds; what it does
 * not is noted as truncation (inspected as far as it goes, like crash).
 */
static uint64_t in_file(struct kho_source *src, uint64_t off, uint64_t len)
{
	uint64_t size = (uint64_t)src->file_size;

	if (off + len < off)
		return off >= size ? 0 : size - off;
	if (off + len > src->needed_size)
		src->needed_size = off + len;
	return off >= size ? 0 : MIN(len, size - off);
}

/*
 * QEMU's per-CPU note on x86_64 (QEMUCPUState, version 1): the registers,
 * ten 24-byte segment descriptors, then cr[0..4]. Only the page-table
 * root is kept: CR3 and CR4 (LA57) of the first CPU, whose page tables
 * translate kernel addresses exactly, whichever kernel of a kexec chain
 * is running (VMCOREINFO may still be the previous kernel's).
 */
static void qemu_cpu_state(struct kho_source *src, const uint8_t *d, size_t len)
{
	const size_t cr0 = 8 + 18 * 8 + 10 * 24;

	if (len < cr0 + 5 * 8 || load_u32(d, src->big_endian) != 1 ||
	    load_u32(d + 4, src->big_endian) > len || strcmp(src->arch, "x86_64"))
		return;
	src->cpu_cr3 = load_u64(d + cr0 + 3 * 8, src->big_endian);
	src->cpu_cr4 = load_u64(d + cr0 + 4 * 8, src->big_endian);
	src->cpu_known = true;
}

static enum kho_status read_notes(struct kho_source *src, Elf *e, const GElf_Phdr *ph,
				  bool *qemu, struct kho_error *err)
{
	uint64_t have = in_file(src, ph->p_offset, ph->p_filesz);
	Elf_Data *data;
	GElf_Nhdr nh;
	size_t off = 0, name_off, desc_off;
	enum kho_status st;

	/* A note cut short: read the notes that are whole. */
	if (!have)
		return KHO_OK;
	data = elf_getdata_rawchunk(e, (int64_t)ph->p_offset, have, ELF_T_NHDR);
	if (!data)
		return kho_error_set(err, KHO_ERR_CORRUPT, "%s: PT_NOTE: %s", src->path,
				     elf_errmsg(-1));
	while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
		const char *name = (const char *)data->d_buf + name_off;

		if (nh.n_namesz == 11 && !memcmp(name, "VMCOREINFO", 11)) {
			if ((st = source_set_vmcoreinfo(src, (const char *)data->d_buf + desc_off,
							nh.n_descsz, err)))
				return st;
		} else if (nh.n_namesz == 5 && !memcmp(name, "QEMU", 5)) {
			*qemu = true;
			if (!src->cpu_known)
				qemu_cpu_state(src, (const uint8_t *)data->d_buf + desc_off,
					       nh.n_descsz);
		}
	}
	return KHO_OK;
}

static enum kho_status parse(struct kho_source *src, Elf *e, struct kho_error *err)
{
	GElf_Ehdr eh;
	size_t n, nload = 0;
	bool qemu = false, kcore = !strcmp(src->path, "/proc/kcore");
	_cleanup_free_ struct segment *segs = NULL;
	_cleanup_free_ uint64_t *cut_len = NULL;   /* bytes segment i lost at the end of the file */
	enum kho_status st = KHO_OK;

	if (elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh)) {
		const char *why = elf_errno() ? elf_errmsg(-1) : NULL;

		/* libelf says "no error" for a file cut inside its header */
		return kho_error_set(err, KHO_ERR_CORRUPT, "%s: not a valid ELF file: %s",
				     src->path, why ? why : (uint64_t)src->file_size < 64 ?
				     "the ELF header is cut short" : "no ELF64 header");
	}
	if (eh.e_type != ET_CORE)
		return kho_error_set(err, KHO_ERR_CORRUPT,
				     "%s: ELF type %u is not a core dump (ET_CORE)",
				     src->path, eh.e_type);
	src->big_endian = eh.e_ident[EI_DATA] == ELFDATA2MSB;
	/* QEMU's dump-guest-memory says EM_386 in an ELF64 core when the guest
	 * CPU is not (yet) in long mode: the machine is still x86_64. */
	snprintf(src->arch, sizeof(src->arch), "%s",
		 eh.e_machine == EM_386 && eh.e_ident[EI_CLASS] == ELFCLASS64 ? "x86_64" :
		 machine_name(eh.e_machine));
	if (elf_getphdrnum(e, &n))
		return kho_error_set(err, KHO_ERR_CORRUPT, "%s: program headers: %s",
				     src->path, elf_errmsg(-1));
	if (n > MAX_PHDRS || (src->file_size > 0 && !kcore &&
			      (eh.e_phoff > (uint64_t)src->file_size ||
			       n * (uint64_t)eh.e_phentsize > (uint64_t)src->file_size - eh.e_phoff)))
		return kho_error_set(err, KHO_ERR_CORRUPT,
				     "%s: %zu program headers at 0x%llx do not fit in the file",
				     src->path, n, (unsigned long long)eh.e_phoff);
	segs = calloc(n ? n : 1, sizeof(*segs));
	cut_len = calloc(n ? n : 1, sizeof(*cut_len));
	/* (vaddr -> paddr) of the same segments, for symbols */
	src->vsegs = calloc(n ? n : 1, sizeof(*src->vsegs));
	if (!segs || !cut_len || !src->vsegs)
		st = kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n && !st; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, (int)i, &ph)) {
			st = kho_error_set(err, KHO_ERR_CORRUPT, "%s: program header %zu: %s",
					   src->path, i, elf_errmsg(-1));
		} else if (ph.p_type == PT_NOTE) {
			st = read_notes(src, e, &ph, &qemu, err);
		} else if (ph.p_type == PT_LOAD && ph.p_paddr == UINT64_MAX) {
			kcore = true;     /* vmalloc, modules, vmemmap: no physical address */
		} else if (ph.p_type == PT_LOAD) {
			if (ph.p_filesz > ph.p_memsz || ph.p_paddr + ph.p_memsz < ph.p_paddr)
				st = kho_error_set(err, KHO_ERR_CORRUPT,
						   "%s: segment %zu (phys 0x%llx): bad sizes", src->path,
						   i, (unsigned long long)ph.p_paddr);
			else {
				/* Bytes past the end of the file: not in the dump. */
				uint64_t have = kcore ? ph.p_filesz :
						in_file(src, ph.p_offset, ph.p_filesz);

				cut_len[nload] = ph.p_filesz - have;
				src->vsegs[nload] = (struct segment){ ph.p_vaddr, ph.p_memsz, 0,
								      ph.p_paddr };
				segs[nload++] = (struct segment){ ph.p_paddr, ph.p_memsz, have,
								  ph.p_offset };
			}
		}
	}
	if (!st && !nload)
		st = kho_error_set(err, KHO_ERR_CORRUPT, "%s: no PT_LOAD segment with a "
				   "physical address", src->path);
	src->nvsegs = nload;
	if (!st)
		st = source_set_segments(src, segs, nload, err);
	/* Where the cut took bytes away: the first address of a cut segment
	 * that no other segment (an alias) still holds. */
	for (size_t i = 0; !st && i < nload; i++) {
		uint64_t a = segs[i].phys + segs[i].filesz, end = a + cut_len[i], run;

		while (a < end && a < src->cut_phys) {
			if (kho_source_state(src, a, &run) != KHO_MEM_PRESENT) {
				src->cut_phys = a;
				break;
			}
			a = run && a + run > a ? a + run : end;
		}
	}
	src->kind = kcore ? KHO_KIND_KCORE : qemu ? KHO_KIND_QEMU : KHO_KIND_VMCORE;
	return st;
}

enum kho_status source_open_elf(struct kho_source *src, const struct kho_source_opts *o,
				struct kho_error *err)
{
	enum kho_status st;
	Elf *e;

	src->ops = &pieces_ops;
	src->format = "elf";
	elf_version(EV_CURRENT);
	e = elf_begin(src->fd, ELF_C_READ, NULL);
	if (!e)
		return kho_error_set(err, KHO_ERR_CORRUPT, "%s: %s", src->path, elf_errmsg(-1));
	st = parse(src, e, err);
	elf_end(e);
	return st;
}
