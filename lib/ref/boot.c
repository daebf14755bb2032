// SPDX-License-Identifier: MIT
/*
 * How a kernel learns where its handover is: on x86 a setup_data node of
 * type SETUP_KEXEC_KHO (10) chained from boot_params (offset 0x250), its
 * payload struct kho_data { u64 fdt_addr, fdt_size, scratch_addr,
 * scratch_size; }; on DT architectures /chosen linux,kho-fdt and
 * linux,kho-scratch. In a running kernel, its globals kho_out, kho_in,
 * kho_scratch and kho_scratch_cnt. The reference writes all of these,
 * and for 7.3 ("kho: store incoming radix tree in kho_in") the roots of
 * the trees kho_out and kho_in hold, at the offsets a test vmlinux's
 * structs give (tests/e2e/data/kho_syms73.c; a real kernel's depend on
 * its config, which is why the verifier reads them from DWARF).
 */
#include "ref_internal.h"

#include <libfdt.h>

#include "../util/util.h"

#define BOOT_PARAMS_SETUP_DATA 0x250
#define SETUP_KEXEC_KHO 10

/* kernel-data offsets: the globals' places, and 7.3's members in them. */
#define KD_OUT 0x000
#define KD_IN 0x100
#define KD_SCRATCH 0x200
#define KD_SCRATCH_CNT 0x208
#define KD73_OUT_ROOT 0x30        /* after fdt and a 40-byte mutex */
#define KD73_IN_SCRATCH 0x08
#define KD73_IN_RELEASE 0x10
#define KD73_IN_COUNT 0x54
#define KD73_IN_ROOT 0x78         /* after kexec_count and 32 bytes of debugfs state */

KHO_EXPORT uint64_t kho_ref_direct_map(const struct kho_ref *ref, uint64_t phys)
{
	return (ref->cfg.arch == KHO_ARCH_AARCH64 ? ARM64_PAGE_OFFSET : X86_PAGE_OFFSET) + phys;
}

static enum kho_status check_spot(struct kho_ref *ref, uint64_t phys, uint64_t len,
				  const char *what, struct kho_error *err)
{
	if (!ref->mem.ram.n)
		return kho_error_set(err, KHO_ERR_INVALID, "%s needs ram first", what);
	range_list_normalize(&ref->mem.ram, true);
	if (!is_aligned(phys, 8) || !mem_is_ram(&ref->mem, phys, len))
		return kho_error_set(err, KHO_ERR_INVALID,
				     "%s 0x%llx is not 8-byte aligned RAM", what,
				     (unsigned long long)phys);
	return KHO_OK;
}

KHO_EXPORT enum kho_status kho_ref_set_boot_params(struct kho_ref *ref, uint64_t phys,
						   struct kho_error *err)
{
	if (ref->cfg.arch != KHO_ARCH_X86_64)
		return kho_error_set(err, KHO_ERR_INVALID, "boot-params is x86_64 only");
	ref->boot_params = phys;
	return check_spot(ref, phys, 4096, "boot-params", err);
}

KHO_EXPORT enum kho_status kho_ref_set_kernel_data(struct kho_ref *ref, uint64_t phys,
						   struct kho_error *err)
{
	ref->kernel_data = phys;
	return check_spot(ref, phys, 0x210, "kernel-data", err);
}

KHO_EXPORT enum kho_status kho_ref_set_kernel_layout(struct kho_ref *ref,
						     const char *release,
						     const char *variant,
						     struct kho_error *err)
{
	static const char variants[] = " wrong-root incoming incoming-null-root orphan-root ";
	char word[sizeof(ref->kernel_variant) + 2];

	if (strcmp(release, "6.19") && strcmp(release, "7.3"))
		return kho_error_set(err, KHO_ERR_INVALID, "kernel-data: layout \"%.20s\" is "
				     "not 6.19 or 7.3", release);
	snprintf(word, sizeof(word), " %.23s ", variant);
	if (*variant && (strcmp(release, "7.3") || !strstr(variants, word)))
		return kho_error_set(err, KHO_ERR_INVALID, "kernel-data: no %s variant \"%.23s\" "
				     "(7.3 knows:%s)", release, variant, variants);
	ref->kernel_7_3 = !strcmp(release, "7.3");
	snprintf(ref->kernel_variant, sizeof(ref->kernel_variant), "%s", variant);
	return KHO_OK;
}

KHO_EXPORT void kho_ref_set_kaslr(struct kho_ref *ref, uint64_t offset)
{
	ref->kaslr_offset = offset;
}

static enum kho_status put_u64(struct kho_ref *ref, uint64_t at, uint64_t v,
			       struct kho_error *err)
{
	return mem_put_u64(&ref->mem, ref->kernel_data + at, v, err);
}

/*
 * 7.3: kho_out.radix_tree.root is the map's root, a direct-map pointer;
 * kho_in is a cold boot's (zero) unless a variant says otherwise.
 */
static enum kho_status write_7_3_trees(struct kho_ref *ref, struct kho_error *err)
{
	const char *v = ref->kernel_variant;
	uint64_t root = kho_ref_direct_map(ref, ref->map_phys);
	bool incoming = !strncmp(v, "incoming", 8);
	uint8_t meta[65 + 3 + 4] = "7.2.0";
	enum kho_status st;

	if (ref->abi->map_format != KHO_MAP_RADIX)
		return kho_error_set(err, KHO_ERR_INVALID, "kernel-data 7.3: %s has no radix tree",
				     ref->abi->compatible);
	/* wrong-root: kho_out holds a tree the FDT does not name (its own page) */
	if ((st = put_u64(ref, KD_OUT + KD73_OUT_ROOT, !strcmp(v, "wrong-root") ?
			  kho_ref_direct_map(ref, ref->fdt_phys) : root, err)))
		return st;
	if (!incoming && strcmp(v, "orphan-root"))
		return KHO_OK;
	store_u32(meta + KD73_IN_COUNT - KD73_IN_RELEASE, 1, false);   /* kexec_count */
	return put_u64(ref, KD_IN, incoming ? ref->fdt_phys : 0, err) ?:
	       put_u64(ref, KD_IN + KD73_IN_SCRATCH, ref->scratch_array_phys, err) ?:
	       mem_write(&ref->mem, ref->kernel_data + KD_IN + KD73_IN_RELEASE, meta,
			 sizeof(meta), err) ?:
	       put_u64(ref, KD_IN + KD73_IN_ROOT, !strcmp(v, "incoming-null-root") ? 0 : root,
		       err);
}

enum kho_status ref_write_boot_info(struct kho_ref *ref, struct kho_error *err)
{
	uint64_t scratch_bytes = ref->scratch.n * KHO_SCRATCH_ENTRY_SIZE, node;
	uint8_t buf[16 + 32] = { 0 };
	enum kho_status st;

	if (ref->boot_params) {
		if ((st = mem_alloc(&ref->mem, 0, &node, err)))
			return st;
		store_u64(buf, 0, false);                       /* next */
		store_u32(buf + 8, SETUP_KEXEC_KHO, false);      /* type */
		store_u32(buf + 12, 32, false);                  /* len */
		store_u64(buf + 16, ref->fdt_phys, false);
		store_u64(buf + 24, ref->geo.page_size, false);
		store_u64(buf + 32, ref->scratch_array_phys, false);
		store_u64(buf + 40, scratch_bytes, false);
		if ((st = mem_write(&ref->mem, node, buf, sizeof(buf), err)) ||
		    (st = mem_put_u64(&ref->mem, ref->boot_params + BOOT_PARAMS_SETUP_DATA, node,
				      err)))
			return st;
	}
	if (ref->kernel_data) {
		/* kho_out.fdt: a kernel pointer into the direct map; kho_in.fdt_phys:
		 * 0, this kernel was cold-booted */
		if ((st = put_u64(ref, KD_OUT, kho_ref_direct_map(ref, ref->fdt_phys), err)) ||
		    (st = put_u64(ref, KD_IN, 0, err)) ||
		    (st = put_u64(ref, KD_SCRATCH, ref->scratch.n ?
				  kho_ref_direct_map(ref, ref->scratch_array_phys) : 0, err)) ||
		    (st = mem_put_u32(&ref->mem, ref->kernel_data + KD_SCRATCH_CNT,
				      (uint32_t)ref->scratch.n, err)))
			return st;
		if (ref->kernel_7_3 && (st = write_7_3_trees(ref, err)))
			return st;
	}
	return KHO_OK;
}

static int prop_cells(void *fdt, const char *name, uint64_t a, uint64_t b)
{
	fdt64_t v[2] = { cpu_to_fdt64(a), cpu_to_fdt64(b) };

	return fdt_property(fdt, name, v, sizeof(v));
}

enum kho_status ref_write_boot_dtb(struct kho_ref *ref, int fd, struct kho_error *err)
{
	uint8_t buf[4096];
	/* /chosen cells are ordinary big-endian DT cells, two each here. */
	int rc = fdt_create(buf, sizeof(buf)) ?:
		 fdt_finish_reservemap(buf) ?:
		 fdt_begin_node(buf, "") ?:
		 fdt_property_u32(buf, "#address-cells", 2) ?:
		 fdt_property_u32(buf, "#size-cells", 2) ?:
		 fdt_begin_node(buf, "chosen") ?:
		 prop_cells(buf, "linux,kho-fdt", ref->fdt_phys, ref->geo.page_size);

	if (!rc && ref->scratch.n)
		rc = prop_cells(buf, "linux,kho-scratch", ref->scratch_array_phys,
				ref->scratch.n * KHO_SCRATCH_ENTRY_SIZE);
	rc = rc ?: fdt_end_node(buf) ?:
	     fdt_end_node(buf) ?:
	     fdt_finish(buf);
	if (rc)
		return kho_error_set(err, KHO_ERR_INVALID, "boot DTB: %s", fdt_strerror(rc));
	return ref_pwrite_all(fd, buf, fdt_totalsize(buf), 0, "boot DTB", err);
}
