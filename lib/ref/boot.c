// SPDX-License-Identifier: MIT
/*
 * How a kernel learns where its handover is: on x86 a setup_data node of
 * type SETUP_KEXEC_KHO (10) chained from boot_params (offset 0x250), its
 * payload struct kho_data { u64 fdt_addr, fdt_size, scratch_addr,
 * scratch_size; }; on DT architectures /chosen linux,kho-fdt and
 * linux,kho-scratch. In a running kernel, its globals kho_out, kho_in,
 * kho_scratch and kho_scratch_cnt. The reference writes all of these.
 */
#include "ref_internal.h"

#include <libfdt.h>
#include <unistd.h>

#include "../util/util.h"

#define BOOT_PARAMS_SETUP_DATA 0x250
#define SETUP_KEXEC_KHO 10

KHO_EXPORT uint64_t kho_ref_direct_map(const struct kho_ref *ref, uint64_t phys)
{
	return (ref->cfg.arch == KHO_ARCH_AARCH64 ? ARM64_PAGE_OFFSET : X86_PAGE_OFFSET) + phys;
}

static enum kho_status check_spot(struct kho_ref *ref, uint64_t phys, uint64_t len,
				  const char *what, struct kho_error *err)
{
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
	if (!ref->mem.ram.n)
		return kho_error_set(err, KHO_ERR_INVALID, "boot-params needs ram first");
	range_list_normalize(&ref->mem.ram, true);
	ref->boot_params = phys;
	return check_spot(ref, phys, 4096, "boot-params", err);
}

KHO_EXPORT enum kho_status kho_ref_set_kernel_data(struct kho_ref *ref, uint64_t phys,
						   struct kho_error *err)
{
	if (!ref->mem.ram.n)
		return kho_error_set(err, KHO_ERR_INVALID, "kernel-data needs ram first");
	range_list_normalize(&ref->mem.ram, true);
	ref->kernel_data = phys;
	return check_spot(ref, phys, 0x210, "kernel-data", err);
}

KHO_EXPORT void kho_ref_set_kaslr(struct kho_ref *ref, uint64_t offset)
{
	ref->kaslr_offset = offset;
}

enum kho_status ref_write_boot_info(struct kho_ref *ref, struct kho_error *err)
{
	uint64_t scratch_bytes = ref->scratch.n * KHO_SCRATCH_ENTRY_SIZE, node;
	uint8_t buf[16 + 32] = { 0 }, ptr[8];
	enum kho_status st;

	if (ref->boot_params) {
		if ((st = ref_alloc(ref, 0, &node, err)))
			return st;
		store_u64(buf, 0, false);                       /* next */
		store_u32(buf + 8, SETUP_KEXEC_KHO, false);      /* type */
		store_u32(buf + 12, 32, false);                  /* len */
		store_u64(buf + 16, ref->fdt_phys, false);
		store_u64(buf + 24, ref->geo.page_size, false);
		store_u64(buf + 32, ref->scratch_array_phys, false);
		store_u64(buf + 40, scratch_bytes, false);
		store_u64(ptr, node, false);
		if ((st = mem_write(&ref->mem, node, buf, sizeof(buf), err)) ||
		    (st = mem_write(&ref->mem, ref->boot_params + BOOT_PARAMS_SETUP_DATA, ptr, 8,
				    err)))
			return st;
	}
	if (ref->kernel_data) {
		uint8_t cnt[4];

		/* kho_out.fdt: a kernel pointer into the direct map */
		store_u64(ptr, kho_ref_direct_map(ref, ref->fdt_phys), false);
		if ((st = mem_write(&ref->mem, ref->kernel_data, ptr, 8, err)))
			return st;
		/* kho_in.fdt_phys: 0, this kernel was cold-booted */
		store_u64(ptr, 0, false);
		if ((st = mem_write(&ref->mem, ref->kernel_data + 0x100, ptr, 8, err)))
			return st;
		store_u64(ptr, ref->scratch.n ? kho_ref_direct_map(ref, ref->scratch_array_phys) : 0,
			  false);
		store_u32(cnt, (uint32_t)ref->scratch.n, false);
		if ((st = mem_write(&ref->mem, ref->kernel_data + 0x200, ptr, 8, err)) ||
		    (st = mem_write(&ref->mem, ref->kernel_data + 0x208, cnt, 4, err)))
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
	int rc = fdt_create(buf, sizeof(buf));

	/* /chosen cells are ordinary big-endian DT cells, two each here. */
	if (!rc) rc = fdt_finish_reservemap(buf);
	if (!rc) rc = fdt_begin_node(buf, "");
	if (!rc) rc = fdt_property_u32(buf, "#address-cells", 2);
	if (!rc) rc = fdt_property_u32(buf, "#size-cells", 2);
	if (!rc) rc = fdt_begin_node(buf, "chosen");
	if (!rc) rc = prop_cells(buf, "linux,kho-fdt", ref->fdt_phys, ref->geo.page_size);
	if (!rc && ref->scratch.n)
		rc = prop_cells(buf, "linux,kho-scratch", ref->scratch_array_phys,
				ref->scratch.n * KHO_SCRATCH_ENTRY_SIZE);
	if (!rc) rc = fdt_end_node(buf);
	if (!rc) rc = fdt_end_node(buf);
	if (!rc) rc = fdt_finish(buf);
	if (rc)
		return kho_error_set(err, KHO_ERR_INVALID, "boot DTB: %s", fdt_strerror(rc));
	if (write(fd, buf, fdt_totalsize(buf)) != (ssize_t)fdt_totalsize(buf))
		return kho_error_errno(err, "writing boot DTB");
	return KHO_OK;
}
