// SPDX-License-Identifier: MIT
/*
 * ELF64 core images in the shapes the readers meet in the field:
 *  - vmcore (/proc/vmcore, makedumpfile -E): one PT_LOAD per RAM range,
 *    p_vaddr at the direct map, a PT_NOTE with a CORE note and VMCOREINFO;
 *  - kcore (/proc/kcore): RAM at sparse file offsets, a kernel-text
 *    segment aliasing RAM and a vmalloc segment with p_paddr = -1;
 *  - qemu (dump-guest-memory): p_vaddr == p_paddr and a QEMU note.
 * Memory excluded from the dump becomes segments with p_filesz 0.
 * Above 65534 segments the count moves to section header 0 (PN_XNUM).
 */
#include "ref_internal.h"

#include <elf.h>
#include <libelf.h>
#include <stdio.h>
#include <unistd.h>

#include "../util/util.h"

#define X86_TEXT_VADDR 0xffffffff81000000ull
#define X86_VMALLOC 0xffffc90000000000ull
#define ARM64_TEXT_VADDR 0xffff800080000000ull
#define ARM64_VMALLOC 0xffff800000000000ull
#define PRSTATUS_X86_64 336
#define PRSTATUS_AARCH64 392
#define QEMU_CPUSTATE_SIZE 0x1b8

struct segs {
	Elf64_Phdr *v;
	size_t n, cap;
};

/* A PT_LOAD whose bytes are memory at @paddr; its file offset comes later. */
static enum kho_status seg_add(struct segs *s, uint64_t paddr, uint64_t vaddr, uint64_t size,
			       uint64_t filesz, struct kho_error *err)
{
	if (!ARRAY_RESERVE(s->v, s->cap, s->n))
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	s->v[s->n++] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W | PF_X,
				     .p_vaddr = vaddr, .p_paddr = paddr, .p_filesz = filesz,
				     .p_memsz = size };
	return KHO_OK;
}

/* RAM ranges cut where the dump excludes memory. */
static enum kho_status ram_segments(struct kho_ref *ref, struct segs *s,
				    uint64_t page_offset, struct kho_error *err)
{
	const struct range_list *ex = &ref->excluded;
	enum kho_status st = KHO_OK;

	/* Sorted and merged in place: the other readers only ask what it overlaps. */
	range_list_normalize(&ref->excluded, true);
	for (size_t i = 0; i < ref->mem.ram.n && !st; i++) {
		const struct kho_range *r = &ref->mem.ram.v[i];
		uint64_t pos = r->start, end = range_end(r);

		for (size_t k = 0; k <= ex->n && pos < end && !st; k++) {
			uint64_t cut = k < ex->n ? MAX(ex->v[k].start, pos) : end;
			uint64_t cut_end = k < ex->n ? MIN(range_end(&ex->v[k]), end) : end;

			if (k < ex->n && (range_end(&ex->v[k]) <= pos || ex->v[k].start >= end))
				continue;
			if (cut > pos)
				st = seg_add(s, pos, page_offset + pos, cut - pos, cut - pos, err);
			if (!st && k < ex->n && cut_end > cut)
				st = seg_add(s, cut, page_offset + cut, cut_end - cut, 0, err);
			pos = cut_end;
		}
	}
	return st;
}

static size_t note_size(size_t namesz, size_t descsz)
{
	return sizeof(Elf64_Nhdr) + ((namesz + 3) & ~3u) + ((descsz + 3) & ~3u);
}

/* One header region from host order to the file's (little-endian), as
 * libelf converts; a copy on a little-endian host. */
static bool xlate(uint8_t *p, size_t size, Elf_Type type)
{
	Elf_Data d = { .d_buf = p, .d_type = type, .d_size = size, .d_version = EV_CURRENT };

	return elf64_xlatetof(&d, &d, ELFDATA2LSB) != NULL;
}

/*
 * One note at @p. Its name and descriptor are bytes (VMCOREINFO text, zeroed
 * CPU state), so only its three-word header changes to the file's byte order.
 * returns: where the next note goes, NULL if libelf fails.
 */
static uint8_t *put_note(uint8_t *p, const char *name, uint32_t type,
			 const void *desc, size_t descsz)
{
	Elf64_Nhdr nh = { (Elf64_Word)strlen(name) + 1, (Elf64_Word)descsz, type };

	memcpy(p, &nh, sizeof(nh));
	if (!xlate(p, sizeof(nh), ELF_T_WORD))
		return NULL;
	p += sizeof(nh);
	memcpy(p, name, nh.n_namesz);
	p += (nh.n_namesz + 3) & ~3u;
	if (desc)
		memcpy(p, desc, descsz);
	return p + ((descsz + 3) & ~3u);
}

static void vmcoreinfo_text(struct kho_ref *ref, char *buf, size_t len)
{
	bool arm = ref->cfg.arch == KHO_ARCH_AARCH64;

	int n = snprintf(buf, len,
			 "OSRELEASE=7.1.0-kho-mkimage\n"
			 "PAGESIZE=%llu\n"
			 "SYMBOL(swapper_pg_dir)=%s\n"
			 "%s\n",
			 (unsigned long long)ref->geo.page_size,
			 arm ? "ffff800082a0c000" : "ffffffff82a0c000",
			 arm ? "NUMBER(VA_BITS)=48" : "NUMBER(pgtable_l5_enabled)=0");

	/* As the kernel writes it: hex without 0x (crash, drgn read it). */
	if (ref->kaslr_offset && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "KERNELOFFSET=%llx\n",
			 (unsigned long long)ref->kaslr_offset);
}

/*
 * The headers were filled as host structs: put them in the byte order the
 * file says (ELFDATA2LSB), so a big-endian host writes the same file.
 */
static enum kho_status to_file_order(uint8_t *hdr, uint64_t phoff, size_t nph, bool xnum,
				     struct kho_error *err)
{
	if (elf_version(EV_CURRENT) == EV_NONE ||
	    !xlate(hdr, sizeof(Elf64_Ehdr), ELF_T_EHDR) ||
	    !xlate(hdr + phoff, nph * sizeof(Elf64_Phdr), ELF_T_PHDR) ||
	    (xnum && !xlate(hdr + phoff + nph * sizeof(Elf64_Phdr), sizeof(Elf64_Shdr),
			    ELF_T_SHDR)))
		return kho_error_set(err, KHO_ERR_SYSTEM, "libelf: %s", elf_errmsg(-1));
	return KHO_OK;
}

size_t ref_vmcore_notes(struct kho_ref *ref, enum kho_image_kind kind, bool vmcoreinfo,
			uint8_t *buf, size_t len, size_t *info_off, size_t *info_len)
{
	size_t prs = ref->cfg.arch == KHO_ARCH_AARCH64 ? PRSTATUS_AARCH64 : PRSTATUS_X86_64;
	char info[256];
	size_t need;
	uint8_t *p;

	vmcoreinfo_text(ref, info, sizeof(info));
	need = note_size(5, prs) + (kind == KHO_IMAGE_QEMU ? note_size(5, QEMU_CPUSTATE_SIZE) : 0) +
	       (vmcoreinfo ? note_size(11, strlen(info)) : 0);
	if (need > len || elf_version(EV_CURRENT) == EV_NONE)
		return 0;
	memset(buf, 0, need);
	p = put_note(buf, "CORE", NT_PRSTATUS, NULL, prs);
	if (p && kind == KHO_IMAGE_QEMU)
		p = put_note(p, "QEMU", 0, NULL, QEMU_CPUSTATE_SIZE);
	if (!p)
		return 0;
	*info_off = (size_t)(p - buf) + sizeof(Elf64_Nhdr) + 12;
	*info_len = strlen(info);
	if (vmcoreinfo && !put_note(p, "VMCOREINFO", 0, info, strlen(info)))
		return 0;
	return need;
}

enum kho_status ref_write_pages(struct kho_ref *ref, int fd, uint64_t src, uint64_t len,
				uint64_t off, const uint64_t *pfns, size_t npfns, const char *what,
				struct kho_error *err)
{
	size_t lo = PARTITION_POINT(npfns, i, pfns[i] < src >> ref->geo.page_shift);

	for (size_t i = lo; i < npfns; i++) {
		uint64_t phys = pfns[i] << ref->geo.page_shift;
		enum kho_status st;

		if (phys >= src + len)
			break;
		if ((st = ref_pwrite_all(fd, mem_page(&ref->mem, phys, false, NULL),
					 ref->geo.page_size, off + phys - src, what, err)))
			return st;
	}
	return KHO_OK;
}

enum kho_status ref_write_elf(struct kho_ref *ref, int fd, enum kho_image_kind kind,
			      bool vmcoreinfo, struct kho_error *err)
{
	bool arm = ref->cfg.arch == KHO_ARCH_AARCH64;
	uint64_t page = ref->geo.page_size, page_offset, off, notes_off, phoff;
	struct segs s = { 0 };
	uint8_t notes[2048];
	size_t notes_len, nph, npfns = 0, nram, info_off, info_len;
	uint64_t top = mem_ram_top(&ref->mem), end;
	_cleanup_free_ uint8_t *hdr = NULL;
	_cleanup_free_ uint64_t *pfns = NULL;
	enum kho_status st;
	bool xnum;

	if (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__)
		return kho_error_set(err, KHO_ERR_NOTIMPL,
				     "writing little-endian ELF images needs a little-endian host");
	page_offset = kind == KHO_IMAGE_QEMU ? 0 : kho_ref_direct_map(ref, 0);
	if ((st = ram_segments(ref, &s, page_offset, err)))
		goto out;
	nram = s.n;
	if (kind == KHO_IMAGE_KCORE && s.n) {
		/* Kernel text aliases the start of RAM; vmalloc has no paddr. */
		uint64_t text = MIN(s.v[0].p_memsz, (uint64_t)2 << 20);

		if ((st = seg_add(&s, s.v[0].p_paddr, arm ? ARM64_TEXT_VADDR : X86_TEXT_VADDR,
				  text, MIN(text, s.v[0].p_filesz), err)) ||
		    (st = seg_add(&s, UINT64_MAX, arm ? ARM64_VMALLOC : X86_VMALLOC, page, page,
				  err)))
			goto out;
	}

	notes_len = ref_vmcore_notes(ref, kind, vmcoreinfo, notes, sizeof(notes), &info_off,
				     &info_len);
	if (!notes_len) {
		st = kho_error_set(err, KHO_ERR_SYSTEM, "building the ELF notes");
		goto out;
	}
	nph = s.n + 1;
	xnum = nph >= PN_XNUM;
	phoff = sizeof(Elf64_Ehdr);
	notes_off = phoff + nph * sizeof(Elf64_Phdr) + (xnum ? sizeof(Elf64_Shdr) : 0);
	off = (notes_off + notes_len + page - 1) & ~(page - 1);

	hdr = calloc(1, off);
	if (!hdr) {
		st = kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* File offsets: packed; for kcore sparse, by address, text and
	 * vmalloc above the top of RAM. */
	end = off;
	for (size_t i = 0; i < s.n; i++) {
		Elf64_Phdr *g = &s.v[i];

		if (kind != KHO_IMAGE_KCORE)
			g->p_offset = i ? s.v[i - 1].p_offset + s.v[i - 1].p_filesz : off;
		else if (i < nram)
			g->p_offset = off + g->p_paddr;
		else
			g->p_offset = off + top + (i > nram ? s.v[nram].p_memsz : 0);
		end = MAX(end, g->p_offset + g->p_filesz);
	}

	Elf64_Ehdr *eh = (Elf64_Ehdr *)hdr;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_CORE;
	eh->e_machine = arm ? EM_AARCH64 : EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_phoff = phoff;
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = xnum ? PN_XNUM : (Elf64_Half)nph;
	eh->e_shentsize = sizeof(Elf64_Shdr);
	if (xnum) {
		Elf64_Shdr *sh = (Elf64_Shdr *)(hdr + phoff + nph * sizeof(Elf64_Phdr));

		eh->e_shoff = phoff + nph * sizeof(Elf64_Phdr);
		eh->e_shnum = 1;
		sh->sh_info = (Elf64_Word)nph;
	}

	Elf64_Phdr *ph = (Elf64_Phdr *)(hdr + phoff);
	ph[0] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = notes_off,
			      .p_filesz = notes_len, .p_memsz = notes_len };
	memcpy(ph + 1, s.v, s.n * sizeof(*s.v));

	memcpy(hdr + notes_off, notes, notes_len);
	if ((st = to_file_order(hdr, phoff, nph, xnum, err)) ||
	    (st = ref_pwrite_all(fd, hdr, (size_t)(notes_off + notes_len), 0, "ELF image",
				err)))
		goto out;
	pfns = mem_sorted_pfns(&ref->mem, &npfns, err);
	if (!pfns) {
		st = KHO_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < s.n; i++) {
		if (s.v[i].p_paddr == UINT64_MAX)
			continue;
		if ((st = ref_write_pages(ref, fd, s.v[i].p_paddr, s.v[i].p_filesz, s.v[i].p_offset,
					  pfns, npfns, "ELF image", err)))
			goto out;
	}
	/* dump-truncated: the file ends where cut_phys's bytes would be, as a
	 * capture cut short by a full disk (the ELF made for makedumpfile,
	 * without VMCOREINFO, stays whole). */
	for (size_t i = 0; vmcoreinfo && ref->cut_phys && i < s.n; i++)
		if (s.v[i].p_paddr != UINT64_MAX && ref->cut_phys >= s.v[i].p_paddr &&
		    ref->cut_phys < s.v[i].p_paddr + s.v[i].p_filesz)
			end = MIN(end, s.v[i].p_offset + (ref->cut_phys - s.v[i].p_paddr));
	if (ftruncate(fd, (off_t)end))
		st = kho_error_errno(err, "sizing ELF image");
out:
	free(s.v);
	return st;
}
