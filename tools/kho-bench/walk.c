// SPDX-License-Identifier: MIT
/*
 * kho-bench-walk [--read-only] DUMP FDT_PHYS: the kernel's way of walking
 * a radix tree (kho_radix_walk_tree, 7.1), run over a dump: every non-zero
 * entry is followed unchecked and every set bit costs one callback. The
 * baseline that scripts/bench compares kho-inspect with. --read-only reads
 * every tree page once and decodes nothing: the floor for any reader.
 * Not for hostile input.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kho/internal.h"

struct total {
	uint64_t keys, bytes;
};

static const struct kho_geometry *geo;
static struct kho_source *src;
static bool read_only;

static void on_key(struct total *t, uint64_t key)
{
	uint64_t phys;
	unsigned order;

	if (kho_key_decode(geo, key, &phys, &order)) {
		t->keys++;
		t->bytes += kho_order_bytes(geo, order);
	}
}

static void walk(uint64_t node, unsigned level, uint64_t prefix, struct total *t)
{
	uint64_t *page = malloc(geo->page_size), n = geo->page_size / 8;
	struct kho_error err;

	if (!page || kho_source_read(src, node, page, geo->page_size, &err)) {
		free(page);
		return;
	}
	t->bytes += read_only ? geo->page_size : 0;
	for (uint64_t i = 0; i < n && !(read_only && level == 0); i++) {
		if (!page[i])
			continue;
		if (level == 0) {
			for (unsigned b = 0; b < 64; b++)   /* for_each_set_bit */
				if (page[i] >> b & 1)
					on_key(t, prefix | (i * 64 + b));
		} else {
			walk(page[i], level - 1, prefix | i << kho_level_shift(geo, level), t);
		}
	}
	free(page);
}

int main(int argc, char **argv)
{
	struct kho_geometry g;
	struct kho_handover ho = { 0 };
	struct kho_anomalies f = { 0 };
	struct kho_error err;
	struct total t = { 0 };

	if (argc == 4 && !strcmp(argv[1], "--read-only")) {
		read_only = true;
		argv++;
		argc--;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: kho-bench-walk [--read-only] DUMP FDT_PHYS\n");
		return 2;
	}
	if (kho_source_open(argv[1], NULL, &src, &err)) {
		fprintf(stderr, "kho-bench-walk: %s\n", err.msg);
		return 2;
	}
	kho_geometry_init(&g, kho_source_page_size(src), false);
	geo = &g;
	if (kho_handover_load(src, strtoull(argv[2], NULL, 0), NULL, &f, &ho, &err) ||
	    !ho.map_ok) {
		fprintf(stderr, "kho-bench-walk: no usable KHO FDT at %s\n", argv[2]);
		return 2;
	}
	walk(ho.map_phys, g.depth - 1, 0, &t);
	if (read_only)
		printf("0x%" PRIx64 " bytes of tree pages read\n", t.bytes);
	else
		printf("%" PRIu64 " keys, 0x%" PRIx64 " bytes\n", t.keys, t.bytes);
	kho_handover_free(&ho);
	kho_anomalies_free(&f);
	kho_source_close(src);
	return 0;
}
