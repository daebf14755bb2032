/* SPDX-License-Identifier: MIT */
/*
 * The reference implementation of the kernel's KHO preserve/unpreserve,
 * run on simulated physical memory, and the writers that turn its memory
 * into golden images (raw, ELF, kdump) with their expected verdicts.
 *
 * Life cycle: kho_ref_new(); describe the machine (RAM, scratch,
 * allocation regions); run operations (preserve, unpreserve, sub-blobs),
 * which boot the simulated kernel on first use; kho_ref_finalize() lays
 * out the KHO FDT; kho_ref_inject() corrupts on purpose; writers last.
 * Most callers drive all of this through a spec file (kho_spec_run()).
 */
#ifndef KHO_REF_H
#define KHO_REF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "kho/abi.h"
#include "kho/error.h"

#ifdef __cplusplus
extern "C" {
#endif

enum kho_arch {
	KHO_ARCH_X86_64,
	KHO_ARCH_AARCH64,
};

struct kho_ref_config {
	uint64_t page_size;        /* 4096, 16384 or 65536 */
	bool broken_depth;         /* 16 KiB radix tree of depth 4 (7.1-rc bug) */
	unsigned abi;              /* root version: 1 to 4 */
	const char *compatible;    /* root compatible override (e.g. composite
				      "kho-v4;radix-v1"); NULL: "kho-v<abi>" */
	bool v1_small_bitmaps;     /* kho-v1 with 512-byte bitmaps (6.16/6.17) */
	bool v1_unfinalized;       /* kho-v1 map pointer left 0 (6.19/7.0) */
	enum kho_arch arch;
};

struct kho_ref;

/* kho_ref_new - a machine with no RAM yet. returns: KHO_OK or an error. */
enum kho_status kho_ref_new(const struct kho_ref_config *cfg,
			    struct kho_ref **out, struct kho_error *err);
void kho_ref_free(struct kho_ref *ref);

/* Machine description; only before the first operation. */
enum kho_status kho_ref_add_ram(struct kho_ref *ref, uint64_t start,
				uint64_t size, struct kho_error *err);
enum kho_status kho_ref_add_scratch(struct kho_ref *ref, uint64_t start,
				    uint64_t size, struct kho_error *err);
/* Metadata and blobs are allocated top-down from these regions (default: all RAM). */
enum kho_status kho_ref_add_alloc_region(struct kho_ref *ref, uint64_t start,
					 uint64_t size, struct kho_error *err);

/* Operations, as the kernel runs them. */
enum kho_status kho_ref_preserve_folio(struct kho_ref *ref, uint64_t phys,
				       unsigned order, struct kho_error *err);
enum kho_status kho_ref_unpreserve_folio(struct kho_ref *ref, uint64_t phys,
					 unsigned order, struct kho_error *err);
/* Splits [pfn, pfn+count) as kho_preserve_pages() does. */
enum kho_status kho_ref_preserve_pages(struct kho_ref *ref, uint64_t pfn,
				       uint64_t count, struct kho_error *err);
enum kho_status kho_ref_unpreserve_pages(struct kho_ref *ref, uint64_t pfn,
					 uint64_t count, struct kho_error *err);

/* Sub-nodes of the KHO FDT, each with a preserved blob. */
enum kho_status kho_ref_add_blob_raw(struct kho_ref *ref, const char *name,
				     uint64_t size, uint8_t fill,
				     struct kho_error *err);
enum kho_status kho_ref_add_blob_fdt(struct kho_ref *ref, const char *name,
				     const char *compatible,
				     struct kho_error *err);
enum kho_status kho_ref_add_kexec_metadata(struct kho_ref *ref,
					   const char *previous_release,
					   uint32_t kexec_count,
					   struct kho_error *err);
/* The "memblock" sub-node; reserve-mem regions are added to it. */
enum kho_status kho_ref_add_reserve_mem(struct kho_ref *ref, const char *name,
					uint64_t start, uint64_t size,
					struct kho_error *err);
enum kho_status kho_ref_add_vmalloc(struct kho_ref *ref, const char *name,
				    uint32_t total_pages, unsigned order,
				    struct kho_error *err);
/*
 * The payload of the kernel's KHO test module (lib/test_kho.c): @nr_folios
 * zero-filled folios of orders 0, 1, 2, 3, 0, ... (csum 0, as the kernel
 * computes it over zeros), each preserved; their phys | order in a
 * vmalloc'd array; the kho-test-v1 FDT in a folio of the order the module
 * takes. KHO_REF_KHO_TEST_FOLIOS is what "blob NAME fdt kho-test-v1" asks.
 * returns: KHO_OK; KHO_ERR_INVALID for 0 or more than 1 << 16 folios.
 */
#define KHO_REF_KHO_TEST_FOLIOS 4
enum kho_status kho_ref_add_kho_test(struct kho_ref *ref, const char *name,
				     uint32_t nr_folios, struct kho_error *err);

/*
 * LUO, the Live Update Orchestrator (docs/luo.md): the `LUO` sub-node as
 * 7.1 (@version 1: luo-v1 FDT, memfd-v1; needs kho-v3) or 7.2+ (@version
 * 5: luo-v5 struct and block chains, memfd-v2; needs kho-v4) writes it.
 * Sessions, files and FLBs are recorded in order; everything is
 * allocated, preserved and written at kho_ref_finalize(), as the kernel
 * serializes at reboot. Each returns KHO_OK or KHO_ERR_INVALID saying why
 * (unknown session, duplicate token, a folio outside its file, ...).
 */
enum kho_status kho_ref_luo(struct kho_ref *ref, unsigned version,
			    uint64_t liveupdate_num, struct kho_error *err);
enum kho_status kho_ref_luo_session(struct kho_ref *ref, const char *name,
				    struct kho_error *err);
/* @seals: memfd-v2 only (pass 0 for memfd-v1). */
enum kho_status kho_ref_luo_memfd(struct kho_ref *ref, const char *session,
				  uint64_t token, uint64_t size, uint64_t pos,
				  uint32_t seals, struct kho_error *err);
/* A folio of 2^@order pages holding file pages from @index. */
enum kho_status kho_ref_luo_folio(struct kho_ref *ref, const char *session,
				  uint64_t token, uint64_t index, unsigned order,
				  struct kho_error *err);
/* A file of another handler: a zeroed order-0 record at its data. */
enum kho_status kho_ref_luo_file(struct kho_ref *ref, const char *session,
				 uint64_t token, const char *handler,
				 struct kho_error *err);
enum kho_status kho_ref_luo_flb(struct kho_ref *ref, const char *name,
				uint64_t count, struct kho_error *err);
/* An FLB entry whose data is @data as given (no record is allocated). */
enum kho_status kho_ref_luo_flb_data(struct kho_ref *ref, const char *name,
				     uint64_t count, uint64_t data,
				     struct kho_error *err);
/* Whether the machine has LUO state (then KHO_IMAGE_LUO can be written). */
bool kho_ref_has_luo(const struct kho_ref *ref);

/*
 * kho_ref_set_boot_params - write, at finalize, an x86 boot_params page at
 * @phys whose setup_data chain holds a SETUP_KEXEC_KHO (10) node naming
 * the KHO FDT and the kho_scratch[] array: what the next kernel is given.
 */
enum kho_status kho_ref_set_boot_params(struct kho_ref *ref, uint64_t phys,
					struct kho_error *err);
/*
 * kho_ref_set_kernel_data - write, at finalize, the kernel's KHO globals at
 * @phys as 6.19+ lays them out: kho_out (its first field the FDT's direct-map
 * address) at +0, kho_in (first field the incoming FDT's phys) at +0x100,
 * kho_scratch (pointer) at +0x200, kho_scratch_cnt (u32) at +0x208.
 */
enum kho_status kho_ref_set_kernel_data(struct kho_ref *ref, uint64_t phys,
					struct kho_error *err);
/*
 * kho_ref_set_kernel_layout - the globals kho_ref_set_kernel_data() writes
 * as @release lays them out: "6.19" (the default) or "7.3", which adds the
 * trees' roots (direct-map pointers; offsets those of
 * tests/e2e/data/kho_syms73.c: kho_out.radix_tree.root at +0x30, kho_in
 * {fdt_phys, scratch_phys, previous_release[65], kexec_count} at +0x100
 * with radix_tree.root at +0x178). 7.3 @variant: "" (cold boot: kho_in
 * zero), "wrong-root" (kho_out holds another tree than the FDT names),
 * "incoming" (kho_in names this same handover and its tree, so one image
 * exercises both cross-checks), "incoming-null-root" (kho_in names it with
 * a NULL root), "orphan-root" (kho_in holds the tree, fdt_phys 0). The
 * image's own verdict (expect.json) does not change: only a verifier
 * reading the globals through a vmlinux can tell.
 */
enum kho_status kho_ref_set_kernel_layout(struct kho_ref *ref, const char *release,
					  const char *variant, struct kho_error *err);
/*
 * kho_ref_set_kaslr - the kernel ran @offset bytes from its link address
 * (KASLR): VMCOREINFO says KERNELOFFSET=@offset, so a vmlinux linked
 * @offset below the addresses the dump maps still finds its globals.
 */
void kho_ref_set_kaslr(struct kho_ref *ref, uint64_t offset);
/* The direct-map address of @phys in the images written (vmcore, kcore). */
uint64_t kho_ref_direct_map(const struct kho_ref *ref, uint64_t phys);

/* kho_ref_finalize - lay out the KHO FDT (and the kho-v1 chunk list). */
enum kho_status kho_ref_finalize(struct kho_ref *ref, struct kho_error *err);

/*
 * kho_ref_inject - inject the defect that makes check @check fire, with
 * optional words @argv[0..argc) (a variant or a target name).
 * returns: KHO_OK, KHO_ERR_INVALID for an unknown check or a defect this
 * image cannot carry (the message says why).
 */
enum kho_status kho_ref_inject(struct kho_ref *ref, const char *check,
			       int argc, char **argv, struct kho_error *err);

/* Names of every check a defect can be injected for, NULL-terminated. */
const char *const *kho_ref_defect_names(void);

/* Image flavours the writers produce. */
enum kho_image_kind {
	KHO_IMAGE_RAW,        /* NAME.raw */
	KHO_IMAGE_ELF,        /* NAME.elf: /proc/vmcore style */
	KHO_IMAGE_KCORE,      /* NAME.kcore: /proc/kcore style */
	KHO_IMAGE_QEMU,       /* NAME.qemu: dump-guest-memory style */
	KHO_IMAGE_KDUMP,      /* NAME.kdump: makedumpfile -c (zlib) */
	KHO_IMAGE_KDUMP_LZO,  /* NAME.lzo.kdump: makedumpfile -l */
	KHO_IMAGE_DTB,        /* NAME.dtb: the KHO FDT */
	KHO_IMAGE_BOOT_DTB,   /* NAME.boot.dtb: a DT whose /chosen names the KHO FDT */
	KHO_IMAGE_EXPECT,     /* NAME.expect.json */
	KHO_IMAGE_LUO,        /* NAME.luo/SESSION/TOKEN.memfd: what each memfd holds */
	KHO_IMAGE_FLAT,       /* NAME.flat: makedumpfile -F -c (flattened kdump) */
	KHO_IMAGE_NKINDS
};

/* File name suffix of @kind (".raw", ".elf", ...). */
const char *kho_image_suffix(enum kho_image_kind kind);

struct kho_write_opts {
	uint64_t raw_base;     /* physical address of byte 0 of the raw image */
	const char *spec_name; /* recorded in expect.json */
	const char *image_name; /* file name the expectation is about */
};

/*
 * kho_ref_write - write image @kind to @path (through a temporary name,
 * renamed on success, so a failure leaves nothing half written).
 * returns: KHO_OK; KHO_ERR_NOTIMPL for kdump when makedumpfile is not
 * installed; another error otherwise.
 */
enum kho_status kho_ref_write(struct kho_ref *ref, enum kho_image_kind kind,
			      const char *path,
			      const struct kho_write_opts *opts,
			      struct kho_error *err);

/* Kernel-style walk: one call per set bit, in tree order. */
typedef void (*kho_key_fn)(void *ctx, uint64_t phys, unsigned order);
enum kho_status kho_ref_walk(struct kho_ref *ref, kho_key_fn fn, void *ctx,
			     struct kho_error *err);

/* A few lines for a person: ABI, FDT, map, keys per order, sub-nodes. */
void kho_ref_print_summary(struct kho_ref *ref, FILE *f);

/* Addresses a test or a caller may want to know. */
uint64_t kho_ref_fdt_phys(const struct kho_ref *ref);
uint64_t kho_ref_map_phys(const struct kho_ref *ref);
const struct kho_geometry *kho_ref_geometry(const struct kho_ref *ref);

/*
 * The spec language (see README): kho_spec_run() parses @path line by
 * line, running each directive on a new reference machine. It returns
 * the machine finalized and with its defects injected, plus the images
 * the spec asks for as a bit mask of (1 << enum kho_image_kind).
 * Errors name the file and the line.
 */
struct kho_spec_result {
	struct kho_ref *ref;
	unsigned outputs;
	uint64_t raw_base;
};
enum kho_status kho_spec_run(const char *path, struct kho_spec_result *res,
			     struct kho_error *err);
/* The same from a buffer; @name is used in messages. */
enum kho_status kho_spec_run_buffer(const char *name, const char *text,
				    size_t len, struct kho_spec_result *res,
				    struct kho_error *err);

#ifdef __cplusplus
}
#endif
#endif
