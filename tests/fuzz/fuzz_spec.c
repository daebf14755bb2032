// SPDX-License-Identifier: MIT
/* kho-mkimage's spec language: parse and run, then write the expectations. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kho/internal.h"
#include "kho/ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kho_spec_result res;
	struct kho_error err;

	/* Long specs only repeat; huge counts only take time, not coverage. */
	if (size > 2048 || memmem(data, size, "folios", 6) || memmem(data, size, "vmalloc", 7))
		return 0;
	if (kho_spec_run_buffer("fuzz.spec", (const char *)data, size, &res, &err) == KHO_OK) {
		FILE *f = fopen("/dev/null", "w");

		if (f) {
			kho_ref_print_summary(res.ref, f);
			fclose(f);
		}
		kho_ref_free(res.ref);
	}
	return 0;
}
