// SPDX-License-Identifier: MIT
/* Findings about the dump file itself, before any handover is read. */
#include "kho/verify.h"

#include "../util/util.h"

void kho_check_dump(const struct kho_source *src, struct kho_findings *top)
{
	uint64_t size, phys;

	/* Dumps are cut short in real life (disk full during kdump): what is
	 * there is inspected, what is not reads as not dumped. */
	if (!kho_source_truncated(src, &size, &phys))
		return;
	if (phys == UINT64_MAX)
		kho_flag(top, KHO_CHECK_DUMP_TRUNCATED, 0, "%s ends before the 0x%llx bytes its "
			 "headers describe: its notes are cut short", kho_source_path(src),
			 HEX(size));
	else
		kho_flag(top, KHO_CHECK_DUMP_TRUNCATED, phys, "%s ends before the 0x%llx bytes its "
			 "headers describe: memory from 0x%llx on is treated as not in the "
			 "dump", kho_source_path(src), HEX(size), HEX(phys));
}
