// SPDX-License-Identifier: MIT
/*
 * The kernel's KHO globals as 7.3 lays them out ("kho: store incoming
 * radix tree in kho_in"), written from the documented facts: kho_out is
 * {fdt; a mutex; radix_tree}, kho_in is {fdt_phys; scratch_phys;
 * previous_release[65]; kexec_count; debugfs state; radix_tree}, and a
 * kho_radix_tree starts with its root (a direct-map pointer). The filler
 * sizes stand for one kernel config (a 40-byte mutex, 32 bytes of debugfs
 * state): radix_tree sits where only the DWARF says, which is what
 * kho-inspect must read. `kernel-data PHYS 7.3` writes these offsets; the
 * asserts keep the two in step. Static and placed as kho_syms.c is.
 */
struct mutex {
	long owner;
	int wait_lock, osq;
	void *wait_list[2];
	void *magic;
};

struct kho_radix_tree {
	void *root;
	struct mutex lock;
};

struct kho_debugfs {
	void *dir, *sub_fdt_dir;
	void *fdt_list[2];
};

struct kho_out {
	void *fdt;
	struct mutex lock;
	struct kho_radix_tree radix_tree;
};

struct kho_in {
	unsigned long long fdt_phys;
	unsigned long long scratch_phys;
	char previous_release[65];
	unsigned int kexec_count;
	struct kho_debugfs dbg;
	struct kho_radix_tree radix_tree;
};

_Static_assert(__builtin_offsetof(struct kho_out, radix_tree.root) == 0x30, "KD73_OUT_ROOT");
_Static_assert(__builtin_offsetof(struct kho_in, kexec_count) == 0x54, "KD73_IN_COUNT");
_Static_assert(__builtin_offsetof(struct kho_in, radix_tree.root) == 0x78, "KD73_IN_ROOT");

static struct kho_out kho_out __attribute__((used, section("kho_globals"), aligned(256)));
static struct kho_in kho_in __attribute__((used, section("kho_globals"), aligned(256)));
static void *kho_scratch __attribute__((used, section("kho_globals"), aligned(256)));
static unsigned int kho_scratch_cnt __attribute__((used, section("kho_globals")));
