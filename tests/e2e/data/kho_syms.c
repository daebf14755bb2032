// SPDX-License-Identifier: MIT
/*
 * The kernel's KHO globals as 6.19+ lays them out, reduced to the fields
 * kho-inspect reads: kho_out.fdt (the outgoing FDT's kernel address) at
 * offset 0 of kho_out, kho_in.fdt_phys at offset 0 of kho_in, the
 * kho_scratch pointer and kho_scratch_cnt. Static, as in the kernel, so
 * they are local symbols. vmlinux.sh links this at the direct-map address
 * that the spec's kernel-data directive fills in the dump.
 */
struct kho_out_layout {
	void *fdt;
	char rest[0x100 - sizeof(void *)];
};

struct kho_in_layout {
	unsigned long long fdt_phys;
	char rest[0x100 - sizeof(unsigned long long)];
};

static struct kho_out_layout kho_out __attribute__((used, section("kho_globals")));
static struct kho_in_layout kho_in __attribute__((used, section("kho_globals")));
static void *kho_scratch __attribute__((used, section("kho_globals")));
static unsigned int kho_scratch_cnt __attribute__((used, section("kho_globals")));
