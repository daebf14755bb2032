// SPDX-License-Identifier: MIT
/*
 * Kernel virtual addresses through the page tables of the CPU a QEMU dump
 * recorded (x86_64 long mode: 4 levels, 5 with CR4.LA57; 1 GiB and 2 MiB
 * pages). This is how the running kernel itself sees memory, so it holds
 * at every moment of a kexec chain: VMCOREINFO in a QEMU dump is whatever
 * the last kernel that probed fw_cfg wrote, which early in a successor's
 * boot is still its predecessor's.
 */
#include "kho/handover.h"   /* kho_source_cpu_virt_to_phys() */

#include "source_internal.h"

#include "../util/util.h"

#define PTE_PRESENT (1ull << 0)
#define PTE_LARGE (1ull << 7)
#define PTE_ADDR 0x000ffffffffff000ull
#define CR4_LA57 (1ull << 12)

bool kho_source_cpu_virt_to_phys(struct kho_source *src, uint64_t vaddr, uint64_t *phys)
{
	int levels = src->cpu_cr4 & CR4_LA57 ? 5 : 4;
	uint64_t table = src->cpu_cr3 & PTE_ADDR;
	struct kho_error ignored;

	if (!src->cpu_known)
		return false;
	for (int level = levels; level >= 1; level--) {
		unsigned shift = 12 + 9 * (unsigned)(level - 1);
		uint8_t b[8];
		uint64_t e;

		if (kho_source_read(src, table + ((vaddr >> shift) & 511) * 8, b, 8, &ignored))
			return false;
		e = load_u64(b, false);
		if (!(e & PTE_PRESENT))
			return false;
		if (level == 1 || ((level == 2 || level == 3) && (e & PTE_LARGE))) {
			uint64_t mask = (1ull << shift) - 1;

			*phys = ((e & PTE_ADDR) & ~mask) | (vaddr & mask);
			return true;
		}
		table = e & PTE_ADDR;
	}
	return false;
}
