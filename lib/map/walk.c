// SPDX-License-Identifier: MIT
/*
 * kho_radix_walk: both passes in one call, every run handed to the
 * visitor in tree (key) order. For a tree built with the broken 16 KiB
 * depth, each key is first turned into the key it most likely meant.
 */
#include "kho/map.h"

#include "../util/util.h"
#include "stats.h"
#include "words.h"

struct drain {
	struct kho_source *src;
	struct run_builder run;          /* of the meant keys (and their geometry) */
};

/*
 * A tree built with the broken 16 KiB depth lost bit order0_bit of every
 * order-0 key. What it most likely meant: the key with that bit restored
 * when that is memory the dump describes and the key as read is not, or,
 * both being memory, when the key as read would be an implausibly large
 * block (order >= 15). When neither is memory, the key as read.
 */
static uint64_t meant_key(struct drain *d, uint64_t key)
{
	uint64_t with = key | ((uint64_t)1 << d->run.geo->order0_bit), p1, p0, run;
	unsigned o1, o0;
	bool in1, in0;

	if (fls64(key) > d->run.geo->order0_bit || !kho_key_decode(d->run.geo, with, &p0, &o0))
		return key;
	if (!kho_key_decode(d->run.geo, key, &p1, &o1))
		return with;
	in1 = kho_source_state(d->src, p1, &run) != KHO_MEM_ABSENT;
	in0 = kho_source_state(d->src, p0, &run) != KHO_MEM_ABSENT;
	if (in0 != in1)
		return in0 ? with : key;
	/* Neither is memory: nothing says a bit was lost; keep what it says. */
	if (!in0)
		return key;
	return o1 >= 15 ? with : key;
}

/* The key @key meant: runs join again when the next one follows on. */
static void emit_meant(struct drain *d, uint64_t key)
{
	uint64_t phys;
	unsigned order;

	kho_key_decode(d->run.geo, meant_key(d, key), &phys, &order);
	run_add(&d->run, phys, order, 1);
}

/* A run as read: each of its keys becomes the key it meant. */
static void meant_run(void *ctx, uint64_t phys, unsigned order, uint64_t count)
{
	struct drain *d = ctx;
	uint64_t key = kho_key_encode(d->run.geo, phys, order);

	d->run.stats->set_bits_per_level0 += count;
	for (uint64_t i = 0; i < count; i++)
		emit_meant(d, key + i);
}

void kho_radix_runs(const struct kho_radix_map *m,
		    struct kho_map_stats *stats,
		    const struct kho_map_visitor *v)
{
	struct kho_radix_cursor c;
	struct kho_run r;

	/* Key order: the largest order's keys are the smallest. */
	for (unsigned o = m->geo->key_width; o-- > 0;) {
		kho_radix_cursor_init(&c, m, o, stats);
		while (kho_radix_cursor_next(&c, &r))
			if (v && v->run)
				v->run(v->ctx, r.phys, r.order, r.count);
	}
}

enum kho_status kho_radix_walk(struct kho_source *src,
			       const struct kho_geometry *geo, uint64_t root,
			       struct kho_anomalies *a,
			       const struct kho_map_visitor *v,
			       struct kho_map_stats *stats, struct kho_error *err)
{
	struct drain d = { src, { .geo = geo, .v = v, .stats = stats } };
	const struct kho_map_visitor meant = { .run = meant_run, .ctx = &d };
	struct kho_radix_map m;
	enum kho_status st = kho_radix_open(src, geo, root, a, v, stats, &m, err);

	if (st)
		return st;
	if (!geo->broken_depth) {
		kho_radix_runs(&m, stats, v);
	} else {
		/* Key 0 is pfn 0 of order 0 with its order bit lost. */
		if (m.nleaves && !m.leaves[0].prefix &&
		    (load_u64(radix_leaf_bits(&m, 0), m.big_endian) & 1)) {
			stats->set_bits_per_level0++;
			emit_meant(&d, 0);
		}
		kho_radix_runs(&m, NULL, &meant);
		run_flush(&d.run);
	}
	st = kho_radix_failed(&m) ? kho_error_set(err, KHO_ERR_SYSTEM, "the tree's "
						   "leaves changed while read") : KHO_OK;
	kho_radix_close(&m);
	return st;
}
