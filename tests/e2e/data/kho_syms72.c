// SPDX-License-Identifier: MIT
/*
 * The kernel's KHO globals as 7.2.13 lays them out: kho_out already keeps
 * its tree ({fdt; a mutex; radix_tree; debugfs state}), kho_in does not
 * ({fdt_phys; scratch_phys; previous_release[65]; kexec_count; debugfs
 * state}: kho_in.radix_tree is 7.3's). Written from the documented facts,
 * with kho_syms73.c's filler sizes, so kho_out.radix_tree.root sits where
 * `kernel-data PHYS 7.3` writes it: a 7.2 vmlinux must still cross-check
 * the outgoing tree, and say why the incoming one is not.
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
	struct kho_debugfs dbg;
};

struct kho_in {
	unsigned long long fdt_phys;
	unsigned long long scratch_phys;
	char previous_release[65];
	unsigned int kexec_count;
	struct kho_debugfs dbg;
};

_Static_assert(__builtin_offsetof(struct kho_out, radix_tree.root) == 0x30, "KD73_OUT_ROOT");

static struct kho_out kho_out __attribute__((used, section("kho_globals"), aligned(256)));
static struct kho_in kho_in __attribute__((used, section("kho_globals"), aligned(256)));
static void *kho_scratch __attribute__((used, section("kho_globals"), aligned(256)));
static unsigned int kho_scratch_cnt __attribute__((used, section("kho_globals")));
