/* SPDX-License-Identifier: MIT */
/*
 * model_walk DUMP [FDT]: what a debugger's plugin reads through the
 * installed model API (kho/model.h), printed for model.sh to compare with
 * kho-inspect's JSON: the first handover's keys in key order, each looked
 * up again by address, its sub-blobs, LUO sessions and tree pages. Written
 * in the subset of C and C++ both compile, and built as each, so that the
 * installed headers are shown usable from both.
 */
#include <kho/kho.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct walk {
	const struct kho_model *m;
	unsigned long long keys, bad;
};

static int on_key(void *ctx, uint64_t phys, uint64_t size, unsigned order)
{
	struct walk *w = (struct walk *)ctx;
	uint64_t start = 0;
	unsigned o = 0;

	printf("key 0x%llx %u 0x%llx\n", (unsigned long long)phys, order,
	       (unsigned long long)size);
	/* the key holds its first and last byte, and says so */
	if (kho_model_lookup(w->m, phys + size - 1, &start, &o) != 1 || start != phys ||
	    o != order) {
		fprintf(stderr, "lookup 0x%llx: not the key 0x%llx order %u\n",
			(unsigned long long)(phys + size - 1), (unsigned long long)phys, order);
		w->bad++;
	}
	w->keys++;
	return 0;
}

static int stop_at_first(void *ctx, uint64_t phys, uint64_t size, unsigned order)
{
	(void)phys;
	(void)size;
	(void)order;
	++*(int *)ctx;
	return 42;
}

int main(int argc, char **argv)
{
	struct kho_model_opts opts;
	struct kho_error err;
	struct kho_model *m;
	struct walk w;
	int calls = 0, rc;

	if (argc < 2)
		return 2;
	memset(&opts, 0, sizeof(opts));
	opts.size = sizeof(opts);
	if (argc > 2) {
		opts.flags = KHO_MODEL_FDT;
		opts.fdt = strtoull(argv[2], NULL, 0);
	}
	m = kho_model_open(argv[1], &opts, &err);
	if (!m) {
		fprintf(stderr, "model_walk: %s\n", err.msg);
		return 2;
	}
	for (size_t i = 0; i < kho_model_candidates(m); i++)
		printf("candidate 0x%llx %s%s%s\n",
		       (unsigned long long)kho_model_candidate_phys(m, i),
		       kho_model_candidate_compatible(m, i),
		       kho_model_candidate_flags(m, i) & KHO_CANDIDATE_CHOSEN ? " chosen" : "",
		       kho_model_candidate_flags(m, i) & KHO_CANDIDATE_STALE ? " stale" : "");
	printf("handover 0x%llx %s %llu keys\n", (unsigned long long)kho_model_handover_fdt(m, 0),
	       kho_model_handover_compatible(m, 0),
	       (unsigned long long)kho_model_handover_keys(m, 0));
	for (size_t i = 0; i < kho_model_blobs(m, 0); i++) {
		const char *name;
		uint64_t phys, size;

		kho_model_blob(m, 0, i, &name, &phys, &size);
		printf("blob %s 0x%llx 0x%llx\n", name, (unsigned long long)phys,
		       (unsigned long long)size);
	}
	for (size_t s = 0; s < kho_model_luo_sessions(m, 0); s++) {
		const char *name;
		size_t nfiles;

		kho_model_luo_session(m, 0, s, &name, NULL, &nfiles);
		printf("luo-session %s %zu files\n", name, nfiles);
	}
	printf("tree-pages %zu\n", kho_model_tree_pages(m, 0));
	w.m = m;
	w.keys = w.bad = 0;
	rc = kho_model_foreach_run(m, on_key, &w);
	/* a callback stops the walk, and its value comes back */
	if (rc || w.bad || (w.keys && (kho_model_foreach_run(m, stop_at_first, &calls) != 42 ||
				       calls != 1))) {
		fprintf(stderr, "model_walk: walk rc %d, %llu bad lookups, %d calls to stop\n", rc,
			w.bad, calls);
		return 1;
	}
	kho_model_close(m);
	return 0;
}
