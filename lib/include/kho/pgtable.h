/* SPDX-License-Identifier: MIT */
#ifndef KHO_PGTABLE_H
#define KHO_PGTABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "kho/source.h"

/*
 * kho_source_cpu_virt_to_phys - translate a kernel virtual address through
 * the page tables of the first CPU the dump recorded (QEMU's x86_64 CPU
 * note: CR3, CR4.LA57), as the running kernel sees it.
 * returns: true with *@phys; false when the dump has no such CPU state or
 * the address is not mapped.
 */
bool kho_source_cpu_virt_to_phys(struct kho_source *src, uint64_t vaddr, uint64_t *phys);

#endif
