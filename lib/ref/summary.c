// SPDX-License-Identifier: MIT
/* A few lines a person reads after kho-mkimage: what the image holds. */
#include "ref_internal.h"

#include <stdio.h>

#include "../util/util.h"

/* the plural ending of a count */
#define S(n) ((n) == 1 ? "" : "s")

static void human(char *buf, size_t len, uint64_t bytes)
{
	static const char units[] = "KMGTPE";
	int u = -1;
	double v = (double)bytes;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%.1f %ciB", v, units[u]);
}

KHO_EXPORT void kho_ref_print_summary(struct kho_ref *ref, FILE *f)
{
	uint64_t counts[65] = { 0 }, bytes = 0;
	char size[32];
	bool first = true;

	if (!ref->snapshot_taken && ref_snapshot(ref, NULL))
		return;
	for (size_t i = 0; i < ref->nkeys; i++) {
		counts[MIN(ref->keys[i].order, 64u)]++;
		bytes += kho_order_bytes(&ref->geo, ref->keys[i].order);
	}
	human(size, sizeof(size), bytes);
	fprintf(f, "  ABI         %s, %llu KiB pages, %s\n", ref->compatible,
		(unsigned long long)(ref->geo.page_size >> 10),
		ref->cfg.arch == KHO_ARCH_AARCH64 ? "aarch64" : "x86_64");
	fprintf(f, "  KHO FDT     0x%llx (%u bytes)\n", (unsigned long long)ref->fdt_phys,
		ref->fdt_size);
	if (ref->abi->map_format == KHO_MAP_RADIX)
		fprintf(f, "  memory map  radix tree at 0x%llx, depth %u%s\n",
			(unsigned long long)ref->map_phys, ref->geo.depth,
			ref->geo.broken_depth ? " (broken 16 KiB depth)" : "");
	else
		fprintf(f, "  memory map  kho-v1 chunks at 0x%llx, %llu-byte bitmaps\n",
			(unsigned long long)ref->map_phys,
			(unsigned long long)(v1_bits_per_bitmap(ref) / 8));
	fprintf(f, "  preserved   %zu keys, %s; per order:", ref->nkeys, size);
	for (unsigned o = 0; o < 65; o++)
		if (counts[o])
			fprintf(f, "%s %u:%llu", first ? "" : ",", o,
				(unsigned long long)counts[o]), first = false;
	fprintf(f, "\n  tree pages  %zu\n", ref->nnodes);
	for (size_t i = 0; i < ref->nblobs; i++)
		fprintf(f, "  sub-node    %-16s 0x%llx +0x%llx\n", ref->blobs[i].name,
			(unsigned long long)ref->blobs[i].phys,
			(unsigned long long)ref->blobs[i].size);
	if (ref->luo) {
		size_t files = 0, memfds = 0, folios = 0;

		for (size_t i = 0; i < ref->luo->ns; i++) {
			files += ref->luo->s[i].nfiles;
			for (size_t k = 0; k < ref->luo->s[i].nfiles; k++) {
				memfds += ref->luo->s[i].files[k].memfd;
				folios += ref->luo->s[i].files[k].nfolios;
			}
		}
		fprintf(f, "  LUO         luo-v%u, %zu session%s, %zu file%s (%zu memfd%s, %zu folio%s), "
			"%zu FLB%s\n", ref->luo->version, ref->luo->ns, S(ref->luo->ns), files,
			S(files), memfds, S(memfds), folios, S(folios), ref->luo->nflbs,
			S(ref->luo->nflbs));
	}
	for (size_t i = 0; i < ref->scratch.n; i++)
		fprintf(f, "  scratch     0x%llx +0x%llx\n",
			(unsigned long long)ref->scratch.v[i].start,
			(unsigned long long)ref->scratch.v[i].size);
	for (size_t i = 0; i < ref->ndefects; i++)
		fprintf(f, "  defect      %s\n", defect_name(&ref->defects[i]));
}
