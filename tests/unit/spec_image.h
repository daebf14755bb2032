/* SPDX-License-Identifier: MIT */
/* The suites' way to get an image: a spec run by the reference, written raw. */
#ifndef KHO_TEST_SPEC_IMAGE_H
#define KHO_TEST_SPEC_IMAGE_H

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kho/ref.h"
#include "suite.h"

/* Write the raw image of @spec to a new file /tmp/@name.XXXXXX, its path in
 * @path (@plen bytes). */
static inline void spec_raw_image(const char *name, const char *spec, char *path, size_t plen)
{
	struct kho_spec_result res;
	struct kho_error err;
	int fd;

	snprintf(path, plen, "/tmp/%s.XXXXXX", name);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_msg(kho_spec_run_buffer("m.spec", spec, strlen(spec), &res, &err) == KHO_OK,
		      "%s", err.msg);
	ck_assert_msg(kho_ref_write(res.ref, KHO_IMAGE_RAW, path, NULL, &err) == KHO_OK,
		      "%s", err.msg);
	kho_ref_free(res.ref);
}

#endif
