/* SPDX-License-Identifier: MIT */
/* Private state of the reference implementation. */
#ifndef KHO_REF_INTERNAL_H
#define KHO_REF_INTERNAL_H

#include "kho/ref.h"
#include "kho/version.h"
#include "luo.h"
#include "memory.h"

struct defect_def;

/* Start of the direct map in the ELF images (x86_64 4-level, arm64 48-bit VA). */
#define X86_PAGE_OFFSET 0xffff888000000000ull
#define ARM64_PAGE_OFFSET 0xffff000000000000ull

/* Layout facts of the kernel structures the reference writes. */
#define KHO_SCRATCH_ENTRY_SIZE 16       /* struct kho_scratch { u64 addr, size; } */
#define V1_CHUNK_HDR_SIZE 16            /* { u64 next; u32 order; u32 num_elms; } */
#define V1_ELM_SIZE 16                  /* { u64 phys_start; u64 bitmap; } */
#define V1_SMALL_BITMAP_BYTES 512
#define KEXEC_METADATA_SIZE 73          /* { u32 version; char rel[65]; u32 count; } packed */
#define VMALLOC_DESC_SIZE 16            /* { u64 first; u32 total_pages; u16 flags, order; } */
#define VMALLOC_FLAG_ALLOC 1
#define VMALLOC_FLAG_HUGE_VMAP 2

enum blob_kind {
	BLOB_RAW,
	BLOB_FDT,
	BLOB_KEXEC_METADATA,
	BLOB_MEMBLOCK,
	BLOB_VMALLOC,
	BLOB_LUO,        /* written at finalize (luo*.c) */
	BLOB_KHO_TEST,   /* an FDT "kho-test-v1" with its folios (blobs.c) */
};

struct ref_blob {
	char name[64];
	enum blob_kind kind;
	char compatible[64];     /* BLOB_FDT */
	uint64_t phys;           /* where the blob starts */
	uint64_t size;           /* blob-size (v1: FDT totalsize) */
	unsigned order;          /* preserved as one folio of this order */
	bool drop_size;          /* defect: no blob-size property */
	bool zero_pointer;       /* defect: pointer property 0 */
	bool boot_default;       /* kexec-metadata made at boot, not yet told by the spec */
	uint64_t kt_info;        /* BLOB_KHO_TEST: where folios_info sits */
	uint64_t kt_nr_folios;   /* BLOB_KHO_TEST: where nr_folios sits */
	uint64_t kt_magic;       /* BLOB_KHO_TEST: where the root's magic sits */
};

struct ref_region {              /* a reserve-mem region of the memblock blob */
	char name[64];
	uint64_t start, size;
};

struct ref_key {
	uint64_t phys;
	unsigned order;
};

struct ref_node {                /* a radix node/leaf or v1 chunk/bitmap page */
	uint64_t phys;
	int level;               /* 0 = leaf/bitmap, >0 table node, -1 v1 chunk */
	bool empty;
};

struct ref_finding {
	const char *check;
	int severity;            /* enum kho_severity */
	uint64_t phys;
	char message[192];
};

#define DEFECT_MAX_ARGS 4
struct ref_defect {
	const struct defect_def *def;
	int argc;
	char argv[DEFECT_MAX_ARGS][64];
	char variant[64];        /* the first word, or the default variant */
	uint64_t phys;           /* what phase A made, for phase B */
	unsigned order;
};

struct v1_bitmap {
	uint64_t index;          /* which PRESERVE_BITS-sized window of the order */
	uint64_t phys;
};

struct v1_order {
	unsigned order;
	struct v1_bitmap *v;
	size_t n, cap;
};

struct kho_ref {
	struct kho_ref_config cfg;
	struct kho_geometry geo;
	const struct kho_abi_version *abi;
	char compatible[128];
	struct kho_mem mem;
	struct range_list scratch;   /* in array order, as written to kho_scratch[] */
	struct range_list numa;      /* NUMA nodes, node i = entry i (numa-node) */
	bool booted, finalized;
	bool no_boot_kexec;          /* kexec-metadata none: no kho_init sub-node */

	uint64_t map_phys;           /* radix root, or the first v1 chunk */
	uint64_t fdt_phys;
	uint32_t fdt_size;
	uint64_t scratch_array_phys;
	size_t scratch_array_cap;    /* entries it has room for */
	bool scratch_untold;         /* the verifier is not told where kho_scratch[] is */
	uint64_t decoy_fdt;          /* handover-ambiguous: a second KHO FDT, or 0 */
	bool decoy_written;          /* the decoy copied the FDT as it was then */
	/* handover-consumed: the successor's own KHO FDT and kexec-metadata,
	 * or 0; this handover is then the one it consumed */
	uint64_t successor_fdt, successor_meta;
	uint64_t cut_phys;           /* dump-truncated: ELF files end at its bytes, or 0 */
	bool lost_leaf;              /* radix-unreadable fdt: a leaf the dump lacks, */
	uint64_t lost_leaf_index;    /* ... whose keys are key >> bitmap_log2 == this */
	bool lost_all;               /* radix-unreadable root: the whole map is lost */

	uint64_t boot_params;        /* x86 boot_params to chain a setup_data to, or 0 */
	uint64_t kernel_data;        /* where kho_out/kho_in/kho_scratch live, or 0 */
	bool kernel_7_3;             /* ... in 7.3's layout, with the trees' roots */
	char kernel_variant[24];     /* 7.3: "", wrong-root, incoming, ... */
	uint64_t kaslr_offset;       /* VMCOREINFO KERNELOFFSET, 0 for none */

	/* how the root FDT spells the map pointer (defects change these) */
	unsigned map_prop_len;       /* 8 */
	bool map_prop_override;
	uint64_t map_prop_value;

	/* radix: the leaf last touched, since runs of keys share leaves */
	uint64_t leaf_prefix;
	uint8_t *leaf_page;

	/* kho-v1 tracker: per order, bitmaps sorted by index */
	struct v1_order *v1;
	size_t nv1, v1_cap;
	uint64_t v1_slab_phys;      /* page the 512-byte bitmaps are carved from */
	unsigned v1_slab_used;

	struct ref_blob *blobs;
	size_t nblobs, blob_cap;
	struct ref_region *regions;
	size_t nregions, region_cap;
	struct ref_luo *luo;            /* the LUO sub-node's state, or NULL */

	/* what the dump will lack: ELF segments with p_filesz == 0 */
	struct range_list excluded;

	/* expectations */
	struct ref_defect *defects;     /* queued by kho_ref_inject() */
	size_t ndefects, defect_cap;
	struct ref_finding *findings;   /* recorded by defects */
	size_t nfindings, finding_cap;
	bool map_unusable;              /* the verifier must not walk the map */
	bool fdt_unusable;              /* nor trust the FDT at all */
	/* fdt-header after handover-ambiguous: the decoy, copied before, is
	 * intact, so only the real FDT is unusable */
	bool fdt_damaged_after_decoy;
	/* broken 16 KiB depth: what the producer meant (the tree cannot say) */
	struct ref_key *meant;
	size_t nmeant, meant_cap;
	struct ref_key *keys;           /* snapshot after finalize, tree order */
	size_t nkeys;
	struct ref_node *nodes;
	size_t nnodes;
	bool snapshot_taken;
};

/* ref.c */
enum kho_status ref_boot(struct kho_ref *ref, struct kho_error *err);
/* A fresh folio of @order, preserved (kho_alloc_preserve). */
enum kho_status ref_alloc_preserved(struct kho_ref *ref, unsigned order, uint64_t *phys,
				    struct kho_error *err);
/* Record an expected finding of @check at its default severity. */
enum kho_status ref_record(struct kho_ref *ref, const char *check,
			   uint64_t phys, struct kho_error *err,
			   const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
bool ref_is_preserved(struct kho_ref *ref, uint64_t phys, uint64_t size);
enum kho_status ref_add_numa_node(struct kho_ref *ref, uint64_t start, uint64_t size,
				  struct kho_error *err);
unsigned order_for_bytes(const struct kho_ref *ref, uint64_t bytes);

/* radix.c */
enum kho_status radix_init(struct kho_ref *ref, struct kho_error *err);
enum kho_status radix_update(struct kho_ref *ref, uint64_t key, bool set,
			     struct kho_error *err);
bool radix_test(struct kho_ref *ref, uint64_t key);
struct ref_walk {
	kho_key_fn key;          /* kho_ref_walk() passes its caller's on */
	void (*node)(void *ctx, uint64_t phys, int level, bool empty);
	void *ctx;
};
void radix_walk(struct kho_ref *ref, const struct ref_walk *w);
/* The first leaf in walk order: its page and the parent entry's address. */
bool radix_first_leaf(struct kho_ref *ref, uint64_t *entry, uint64_t *leaf);
bool radix_leaf_of(struct kho_ref *ref, uint64_t key, uint64_t *leaf);

/* defect.c: each defect's step of @phase, in the order the spec named them */
enum defect_phase { PHASE_PREPARE, PHASE_BEFORE, PHASE_AFTER };
enum kho_status ref_defects_run(struct kho_ref *ref, enum defect_phase phase,
				struct kho_error *err);
const char *defect_name(const struct ref_defect *d);

/* v1.c */
enum kho_status v1_update(struct kho_ref *ref, uint64_t pfn, unsigned order,
			  bool set, struct kho_error *err);
bool v1_test(struct kho_ref *ref, uint64_t pfn, unsigned order);
enum kho_status v1_serialize(struct kho_ref *ref, struct kho_error *err);
void v1_walk(struct kho_ref *ref, const struct ref_walk *w);
uint64_t v1_bits_per_bitmap(const struct kho_ref *ref);
uint64_t v1_chunk_capacity(const struct kho_ref *ref);

/* fdt.c */
enum kho_status ref_build_fdt(struct kho_ref *ref, struct kho_error *err);
/* A u64 FDT property in the kernel's (little-endian) bytes, at the
 * sequential-write API's cursor. returns: libfdt's code. */
int ref_prop_u64(void *fdt, const char *name, uint64_t v);
/* A blob FDT: root compatible @compat and, for memblock, one child per region. */
enum kho_status ref_blob_fdt(const char *compat, const struct ref_region *regions,
			     size_t nregions, void *buf, size_t bufsize, struct kho_error *err);

/* blobs.c */
/* kho_init's kexec-metadata of a 7.2+ kernel with the default release and count. */
#define REF_KEXEC_DEFAULT_RELEASE "7.3.0"
#define REF_KEXEC_DEFAULT_COUNT 1u
enum kho_status ref_kexec_metadata(struct kho_ref *ref, const char *release,
				   uint32_t kexec_count, bool boot_default, struct kho_error *err);
enum kho_status ref_skip_boot_kexec_metadata(struct kho_ref *ref, struct kho_error *err);
enum kho_status ref_new_blob(struct kho_ref *ref, const char *name, enum blob_kind kind,
			     struct ref_blob **out, struct kho_error *err);
/*
 * A kho_vmalloc of @total_pages in runs of 2^@order pages: its chunk pages
 * and runs allocated and preserved in the kernel's order, the 16-byte
 * descriptor in @desc; the runs and chunks listed when @runs/@chunks are
 * given (caller frees).
 */
enum kho_status ref_vmalloc_build(struct kho_ref *ref, uint32_t total_pages,
				  unsigned order, uint8_t desc[VMALLOC_DESC_SIZE],
				  uint64_t **runs, size_t *nruns,
				  uint64_t **chunks, size_t *nchunks,
				  struct kho_error *err);

/* boot.c */
enum kho_status ref_write_boot_info(struct kho_ref *ref, struct kho_error *err);
enum kho_status ref_write_boot_dtb(struct kho_ref *ref, int fd, struct kho_error *err);

/* expect.c */
enum kho_status ref_snapshot(struct kho_ref *ref, struct kho_error *err);
/* A key starts at @phys with @order (any order: @order < 0). */
bool ref_key_starts(const struct kho_ref *ref, uint64_t phys, int order);
enum kho_status ref_write_expect(struct kho_ref *ref, FILE *f,
				 const struct kho_write_opts *opts,
				 struct kho_error *err);
/* The oracle's findings about one handover; a failed append stays in @st
 * and stops every later one. */
struct findings {
	struct ref_finding *v;
	size_t n, cap;
	enum kho_status st;
	struct kho_ref *ref;
};
void oracle_add(struct findings *f, const char *check, int sev, uint64_t phys, const char *msg);
/* @check at @phys, where what must be preserved is not: incomplete, not an
 * error, where the lost leaf may hold its key. */
void oracle_uncovered(struct findings *f, const char *check, uint64_t phys, const char *msg);
/* blob-key-start at @phys, unless the lost leaf may hold its key. */
void oracle_key_start(struct findings *f, uint64_t phys, const char *msg);

/* image_*.c */
enum kho_status ref_write_raw(struct kho_ref *ref, int fd, uint64_t base,
			      struct kho_error *err);
enum kho_status ref_write_elf(struct kho_ref *ref, int fd,
			      enum kho_image_kind kind, bool vmcoreinfo,
			      struct kho_error *err);
/* The PT_NOTE of an image of @kind (a CORE NT_PRSTATUS note, QEMU's CPU
 * state for qemu, then VMCOREINFO if asked) in file order into @buf, where
 * the VMCOREINFO text is. returns: its length, 0 if @len is too small. */
size_t ref_vmcore_notes(struct kho_ref *ref, enum kho_image_kind kind, bool vmcoreinfo,
			uint8_t *buf, size_t len, size_t *info_off, size_t *info_len);
/* The stored pages of [@src, @src + @len) at @off + their offset in it, @pfns
 * (sorted, @npfns) naming them; @what names the file in the error. */
enum kho_status ref_write_pages(struct kho_ref *ref, int fd, uint64_t src, uint64_t len,
				uint64_t off, const uint64_t *pfns, size_t npfns, const char *what,
				struct kho_error *err);
enum kho_status ref_write_kdump(struct kho_ref *ref, const char *path,
				bool lzo, struct kho_error *err);
/* @len bytes at @off of @fd, however many pwrite()s that takes; @what names
 * the file in the error (output.c). */
enum kho_status ref_pwrite_all(int fd, const void *buf, size_t len, uint64_t off,
			       const char *what, struct kho_error *err);
/* A file written under the temporary name @tmp (open as @fd) made final:
 * mode 0644, closed, renamed to @path when @st is KHO_OK, else removed.
 * returns: @st, or the error of finishing it (output.c). */
enum kho_status ref_tmp_commit(int fd, const char *tmp, const char *path, enum kho_status st,
			       struct kho_error *err);
/* The zlib kdump of @ref flattened, as makedumpfile -F writes it (image_flat.c). */
enum kho_status ref_write_flat(struct kho_ref *ref, const char *path, struct kho_error *err);

#endif
