// SPDX-License-Identifier: MIT
/*
 * Finding a handover without scanning, the three ways kho/handover.h
 * names. Through a vmlinux: kho_out.fdt is at offset 0 of kho_out and
 * kho_in.fdt_phys at offset 0 of kho_in since 6.19.
 */
#include "kho/handover.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/util.h"
#include "dwarf.h"

#define SETUP_DATA_OFFSET 0x250
#define SETUP_KEXEC_KHO 10
#define MAX_SETUP_NODES 256

static enum kho_status read_u64(struct kho_source *src, uint64_t phys, uint64_t *v,
				struct kho_error *err)
{
	uint8_t b[8];
	enum kho_status st = kho_source_read(src, phys, b, 8, err);

	*v = st ? 0 : load_u64(b, kho_source_big_endian(src));
	return st;
}

enum kho_status kho_find_boot_params(struct kho_source *src, uint64_t boot_params,
				     struct kho_boot_info *out, struct kho_error *err)
{
	uint64_t node;
	bool be = kho_source_big_endian(src);

	memset(out, 0, sizeof(*out));
	if (read_u64(src, boot_params + SETUP_DATA_OFFSET, &node, err))
		return kho_error_prepend(err, "--boot-params 0x%llx", HEX(boot_params));
	for (int hops = 0; node; hops++) {
		uint8_t h[16 + 32];

		if (hops == MAX_SETUP_NODES)
			return kho_error_set(err, KHO_ERR_CORRUPT, "--boot-params: setup_data chain "
					     "longer than %d nodes (a loop?)", MAX_SETUP_NODES);
		if (kho_source_read(src, node, h, 16, err))
			return kho_error_prepend(err, "setup_data node 0x%llx", HEX(node));
		if (load_u32(h + 8, be) == SETUP_KEXEC_KHO) {
			if (load_u32(h + 12, be) < 32 || kho_source_read(src, node + 16, h + 16, 32, err))
				return kho_error_set(err, KHO_ERR_CORRUPT, "setup_data node 0x%llx: "
						     "kho_data too short", HEX(node));
			out->fdt = load_u64(h + 16, be);
			out->fdt_size = load_u64(h + 24, be);
			out->scratch = load_u64(h + 32, be);
			out->scratch_bytes = load_u64(h + 40, be);
			return KHO_OK;
		}
		node = load_u64(h, be);
	}
	return kho_error_set(err, KHO_ERR_NODATA, "--boot-params 0x%llx: no SETUP_KEXEC_KHO "
			     "node in the setup_data chain", HEX(boot_params));
}

/* <addr size> in the root's #address-cells / #size-cells (big-endian cells). */
static bool cells(const void *fdt, int node, const char *name, uint64_t *a, uint64_t *s)
{
	const fdt32_t *p;
	int len, ac = fdt_address_cells(fdt, 0), sc = fdt_size_cells(fdt, 0);

	p = fdt_getprop(fdt, node, name, &len);
	if (!p || ac < 1 || ac > 2 || sc < 1 || sc > 2 || len != 4 * (ac + sc))
		return false;
	*a = ac == 2 ? (uint64_t)fdt32_to_cpu(p[0]) << 32 | fdt32_to_cpu(p[1]) : fdt32_to_cpu(p[0]);
	p += ac;
	*s = sc == 2 ? (uint64_t)fdt32_to_cpu(p[0]) << 32 | fdt32_to_cpu(p[1]) : fdt32_to_cpu(p[0]);
	return true;
}

enum kho_status kho_find_dtb(const char *path, struct kho_boot_info *out,
			     struct kho_error *err)
{
	struct stat sb;
	_cleanup_free_ void *fdt = NULL;
	int fd, chosen;
	enum kho_status st = KHO_OK;

	memset(out, 0, sizeof(*out));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb))
		st = kho_error_errno(err, "%s", path);
	else if (sb.st_size < (off_t)sizeof(struct fdt_header) || sb.st_size > (16 << 20))
		st = kho_error_set(err, KHO_ERR_CORRUPT, "%s: not a DTB of a plausible size", path);
	else if (!(fdt = malloc((size_t)sb.st_size)))
		st = kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	else if (read(fd, fdt, (size_t)sb.st_size) != sb.st_size)
		st = kho_error_errno(err, "%s", path);
	else if (fdt_check_full(fdt, (size_t)sb.st_size))
		st = kho_error_set(err, KHO_ERR_CORRUPT, "%s: not a valid DTB", path);
	else if ((chosen = fdt_path_offset(fdt, "/chosen")) < 0 ||
		 !cells(fdt, chosen, "linux,kho-fdt", &out->fdt, &out->fdt_size))
		st = kho_error_set(err, KHO_ERR_NODATA, "%s: /chosen has no linux,kho-fdt", path);
	else
		cells(fdt, chosen, "linux,kho-scratch", &out->scratch, &out->scratch_bytes);
	if (fd >= 0)
		close(fd);
	return st;
}

/* The symbols read, in struct syms.addr (0: not in the symbol table);
 * kho_out and kho_in first, in struct kho_tree_offsets order. */
enum { KHO_OUT, KHO_IN, KHO_SCRATCH, KHO_SCRATCH_CNT, BANNER, NSYMS };
static const char *const sym_names[NSYMS] = {
	"kho_out", "kho_in", "kho_scratch", "kho_scratch_cnt", "linux_banner",
};

struct syms {
	uint64_t addr[NSYMS];
	/* linux_banner's first bytes in the vmlinux file: read back through
	 * the dump's translation, they prove it is this kernel's */
	uint8_t banner_bytes[32];
	bool banner_known;
	const char *arch;        /* the vmlinux's machine: x86_64, aarch64 or "" */
	struct kho_tree_offsets trees;
	struct kho_error trees_why;   /* why its DWARF gave no offsets (status set) */
};

/* The bytes at virtual @addr of @e's allocated, file-backed sections. */
static bool section_bytes(Elf *e, int fd, uint64_t addr, uint8_t *out, size_t len)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(sh.sh_flags & SHF_ALLOC) || addr < sh.sh_addr ||
		    addr - sh.sh_addr >= sh.sh_size || sh.sh_size - (addr - sh.sh_addr) < len)
			continue;
		return pread(fd, out, len, (off_t)(sh.sh_offset + (addr - sh.sh_addr))) ==
		       (ssize_t)len;
	}
	return false;
}

static enum kho_status read_symbols(const char *path, struct syms *s, struct kho_error *err)
{
	Elf *e;
	Elf_Scn *scn = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	enum kho_status st = KHO_OK;
	bool found = false;

	if (fd < 0)
		return kho_error_errno(err, "%s", path);
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		st = kho_error_set(err, KHO_ERR_CORRUPT, "%s: not an ELF file", path);
	} else {
		GElf_Ehdr eh;

		s->arch = !gelf_getehdr(e, &eh) ? "" : eh.e_machine == EM_X86_64 ? "x86_64" :
			  eh.e_machine == EM_AARCH64 ? "aarch64" : "";
	}
	while (!st && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize ||
		    !(d = elf_getdata(scn, NULL)))
			continue;
		found = true;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(d, (int)i, &sym) ||
			    !(name = elf_strptr(e, sh.sh_link, sym.st_name)))
				continue;
			for (int k = 0; k < NSYMS; k++)
				if (!strcmp(name, sym_names[k]))
					s->addr[k] = sym.st_value;
		}
	}
	if (!st && s->addr[BANNER])
		s->banner_known = section_bytes(e, fd, s->addr[BANNER], s->banner_bytes,
						sizeof(s->banner_bytes));
	if (!st && !found)
		st = kho_error_set(err, KHO_ERR_NODATA, "%s: no symbol table (build with "
				   "debug info, or use --fdt)", path);
	else if (!st && !s->addr[KHO_OUT])
		st = kho_error_set(err, KHO_ERR_NODATA, "%s: no kho_out symbol (a kernel "
				   "without CONFIG_KEXEC_HANDOVER?)", path);
	if (!st)
		vmlinux_tree_offsets(e, &s->trees, &s->trees_why);
	if (e)
		elf_end(e);
	close(fd);
	return st;
}

/* A VMCOREINFO value in @base: 16, hex with or without 0x (SYMBOL(), most
 * NUMBER()s arm64 prints); 0, as C writes it (VMCOREINFO_NUMBER prints
 * signed decimal). false if absent or not a number. */
static bool vmcoreinfo_u64(struct kho_source *src, const char *key, int base, uint64_t *v)
{
	const char *s = kho_source_vmcoreinfo(src, key);
	char *end;

	if (!s || !*s)
		return false;
	errno = 0;
	*v = base == 16 ? strtoull(s, &end, 16) : (uint64_t)strtoll(s, &end, base);
	return !errno && end != s && !*end;
}

/* The kernel image mapping: x86_64 runs it at __START_KERNEL_map +
 * (phys - phys_base), arm64 at phys + kimage_voffset. */
static bool image_to_phys(struct kho_source *src, const char *arch, uint64_t vaddr,
			  uint64_t *phys)
{
	const uint64_t start_kernel_map = 0xffffffff80000000ull;
	uint64_t off;

	/* no guess without VMCOREINFO: a kexec'd kernel runs far from where
	 * it was linked, and a wrong guess would read the wrong bytes */
	if (!strcmp(arch, "x86_64") && vaddr >= start_kernel_map &&
	    vmcoreinfo_u64(src, "NUMBER(phys_base)", 0, &off)) {
		*phys = vaddr - start_kernel_map + off;
		return true;
	}
	if (!strcmp(arch, "aarch64") && vmcoreinfo_u64(src, "NUMBER(kimage_voffset)", 16, &off) &&
	    vaddr - off < vaddr) {
		*phys = vaddr - off;
		return true;
	}
	return false;
}

/*
 * The direct map (kho_out.fdt, kho_scratch and the trees' roots point
 * into it). x86_64: PAGE_OFFSET is page_offset_base, randomized under
 * KASLR (VMCOREINFO names the variable), else 0xffff888000000000 with
 * 4-level and 0xff11000000000000 with 5-level paging. arm64: the linear
 * map starts at -(1 << VA_BITS) and maps PHYS_OFFSET there.
 */
static bool direct_to_phys(struct kho_source *src, const char *arch, uint64_t vaddr,
			   uint64_t *phys)
{
	uint64_t base, v, p;
	uint8_t b[8];
	struct kho_error ignored;

	/* no guess without VMCOREINFO: it says whether KASLR moved the map */
	if (!strcmp(arch, "x86_64") && kho_source_vmcoreinfo(src, "OSRELEASE")) {
		base = vmcoreinfo_u64(src, "NUMBER(pgtable_l5_enabled)", 0, &v) && v ?
		       0xff11000000000000ull : 0xffff888000000000ull;
		if (vmcoreinfo_u64(src, "SYMBOL(page_offset_base)", 16, &v) &&
		    image_to_phys(src, arch, v, &p) && !kho_source_read(src, p, b, 8, &ignored))
			base = load_u64(b, false);
		if (vaddr < base || vaddr >= 0xffffffff80000000ull)
			return false;
		*phys = vaddr - base;
		return true;
	}
	if (!strcmp(arch, "aarch64") && vmcoreinfo_u64(src, "NUMBER(VA_BITS)", 0, &v) &&
	    v >= 36 && v <= 52 && vmcoreinfo_u64(src, "NUMBER(PHYS_OFFSET)", 16, &p)) {
		base = ~0ull << v;
		if (vaddr < base || vaddr - base >= (1ull << (v - 1)))
			return false;
		*phys = vaddr - base + p;
		return true;
	}
	return false;
}

/*
 * Where a kernel virtual address is in the dump: the dump's own segments
 * (a vmcore's p_vaddr); else the page tables of the CPU QEMU recorded;
 * else the kernel's own mappings as VMCOREINFO describes them, as crash
 * and drgn compute them: the image mapping and the direct map. A QEMU
 * dump-guest-memory ELF has p_vaddr == p_paddr, and raw and kdump dumps
 * map nothing, so there only the later ways work.
 */
static enum kho_status virt(struct kho_source *src, const struct syms *s, uint64_t vaddr,
			    const char *what, uint64_t *phys, struct kho_error *err)
{
	/* the dump's machine, else the vmlinux's (a QEMU kdump may name none) */
	const char *arch = *kho_source_arch(src) && strcmp(kho_source_arch(src), "Unknown") ?
			   kho_source_arch(src) : s->arch;

	if (kho_source_virt_to_phys(src, vaddr, phys) && vaddr != *phys)
		return KHO_OK;
	if (kho_source_cpu_virt_to_phys(src, vaddr, phys) &&
	    kho_source_state(src, *phys, NULL) == KHO_MEM_PRESENT)
		return KHO_OK;
	if ((image_to_phys(src, arch, vaddr, phys) || direct_to_phys(src, arch, vaddr, phys)) &&
	    kho_source_state(src, *phys, NULL) == KHO_MEM_PRESENT)
		return KHO_OK;
	return kho_error_set(err, KHO_ERR_NODATA, "%s at 0x%llx: the dump does not map that "
			     "virtual address (not through its segments, a CPU's page tables, "
			     "or the %s kernel mappings its VMCOREINFO describes); use --fdt",
			     what, HEX(vaddr), *arch ? arch : "(unknown architecture)");
}

/*
 * kho_out.radix_tree.root (7.2+) and kho_in.radix_tree.root (7.3+, "kho:
 * store incoming radix tree in kho_in"), direct-map pointers, as physical
 * addresses. Each is read on its own: a 7.2 kernel's kho_in has no tree,
 * and its outgoing tree is still worth the cross-check. What is missing
 * leaves that tree unknown and says why in trees_note.
 */
static void read_trees(struct kho_source *src, const struct syms *s, struct kho_boot_info *out)
{
	const struct kho_tree_offsets *off = &s->trees;
	struct kho_error why = { 0 };
	uint64_t root, phys;
	static const char *const what[2] = { "kho_out.radix_tree.root",
					     "kho_in.radix_tree.root" };
	size_t len = 0;

	if (s->trees_why.status) {
		snprintf(out->trees_note, sizeof(out->trees_note), "%s", s->trees_why.msg);
		return;
	}
	for (int i = 0; i < 2; i++) {
		if (!off->known[i])
			why = off->why[i];
		else if (!s->addr[i])
			kho_error_set(&why, KHO_ERR_NODATA, "no %s symbol", sym_names[i]);
		else if (!virt(src, s, s->addr[i] + off->root[i], what[i], &phys, &why) &&
			 !read_u64(src, phys, &root, &why) &&
			 (!root || !virt(src, s, root, what[i], &root, &why))) {
			*(i ? &out->in_tree : &out->out_tree) = root;
			*(i ? &out->in_known : &out->out_known) = true;
			continue;
		}
		len += (size_t)snprintf(out->trees_note + len, sizeof(out->trees_note) - len,
					"%s%s not cross-checked: %s", len ? "; " : "",
					sym_names[i], why.msg);
		if (len >= sizeof(out->trees_note))
			len = sizeof(out->trees_note) - 1;
	}
	out->trees_known = out->out_known || out->in_known;
}

enum kho_status kho_find_vmlinux(struct kho_source *src, const char *vmlinux,
				 struct kho_boot_info *out, struct kho_error *err)
{
	struct syms s = { 0 };
	struct kho_error opt;
	uint64_t phys, v;
	uint8_t cnt[4];
	enum kho_status st;

	memset(out, 0, sizeof(*out));
	if ((st = read_symbols(vmlinux, &s, err)))
		return st;
	/* KASLR: the kernel ran KERNELOFFSET bytes above its link address
	 * (VMCOREINFO, as drgn and crash read it). */
	if (vmcoreinfo_u64(src, "KERNELOFFSET", 16, &v))
		for (int k = 0; k < NSYMS; k++)
			s.addr[k] += s.addr[k] ? v : 0;
	/* The dump must be this kernel, seen through the right translation:
	 * in a QEMU dump VMCOREINFO is whatever the last kernel that probed
	 * fw_cfg wrote, early in a successor's boot its predecessor's. */
	if (s.banner_known) {
		uint8_t seen[sizeof(s.banner_bytes)];

		if ((st = virt(src, &s, s.addr[BANNER], "linux_banner", &phys, err)))
			return st;
		if (kho_source_read(src, phys, seen, sizeof(seen), &opt) ||
		    memcmp(seen, s.banner_bytes, sizeof(seen)))
			return kho_error_set(err, KHO_ERR_CORRUPT, "%s: linux_banner does not read "
					     "as in the vmlinux at 0x%llx: another kernel, or the "
					     "dump's VMCOREINFO is another kernel's (QEMU keeps the "
					     "last one a kernel wrote); use --fdt", vmlinux,
					     HEX(phys));
	}
	/* Optional: what cannot be read stays 0, and @err untouched. */
	if (s.addr[KHO_IN] && !virt(src, &s, s.addr[KHO_IN], "kho_in", &phys, &opt))
		read_u64(src, phys, &out->incoming_fdt, &opt);
	/* kho_out.fdt: the outgoing FDT's kernel virtual address. NULL until
	 * kho_init (an fs_initcall): a successor early in its boot has only
	 * the handover it received, which is then the one to inspect. */
	if ((st = virt(src, &s, s.addr[KHO_OUT], "kho_out", &phys, err)) ||
	    (st = read_u64(src, phys, &v, err)))
		return st;
	if (!v && !out->incoming_fdt)
		return kho_error_set(err, KHO_ERR_NODATA, "kho_out.fdt is NULL and kho_in.fdt_phys "
				     "is 0: this kernel has made no handover yet (stopped before "
				     "kho_init?) and received none");
	out->fdt_is_incoming = !v;
	if (!v)
		out->fdt = out->incoming_fdt;
	else if ((st = virt(src, &s, v, "kho_out.fdt", &out->fdt, err)))
		return st;
	out->fdt_size = kho_source_page_size(src);
	/* kho_scratch[], or before kho_memory_init points it there (7.2 sets
	 * it in kho_memory_init itself) the array the kernel was handed,
	 * kho_in.scratch_phys (offset 8 of kho_in since 6.19) */
	if (s.addr[KHO_SCRATCH] && s.addr[KHO_SCRATCH_CNT] &&
	    !virt(src, &s, s.addr[KHO_SCRATCH], "kho_scratch", &phys, &opt) &&
	    !read_u64(src, phys, &v, &opt) &&
	    (v ? !virt(src, &s, v, "kho_scratch[]", &out->scratch, &opt) :
		 s.addr[KHO_IN] && !virt(src, &s, s.addr[KHO_IN] + 8, "kho_in", &phys, &opt) &&
		 !read_u64(src, phys, &out->scratch, &opt) && out->scratch) &&
	    !virt(src, &s, s.addr[KHO_SCRATCH_CNT], "kho_scratch_cnt", &phys, &opt) &&
	    !kho_source_read(src, phys, cnt, 4, &opt))
		out->scratch_bytes = (uint64_t)load_u32(cnt, kho_source_big_endian(src)) * 16;
	read_trees(src, &s, out);
	return KHO_OK;
}
