// SPDX-License-Identifier: MIT
/* VMCOREINFO: "KEY=VALUE" lines, as the kernel writes them. */
#include "source_internal.h"

#include <stdlib.h>

#include "../util/util.h"

enum kho_status source_set_vmcoreinfo(struct kho_source *src, const char *text,
				      size_t len, struct kho_error *err)
{
	/* Kept as NUL-separated lines, so values can be handed out in place. */
	free(src->vmcoreinfo);
	src->vmcoreinfo = malloc(len + 1);
	if (!src->vmcoreinfo)
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	memcpy(src->vmcoreinfo, text, len);
	src->vmcoreinfo[len] = '\0';
	for (size_t i = 0; i < len; i++)
		if (src->vmcoreinfo[i] == '\n')
			src->vmcoreinfo[i] = '\0';
	src->vmcoreinfo_len = len;
	return KHO_OK;
}

KHO_EXPORT const char *kho_source_vmcoreinfo(const struct kho_source *src, const char *key)
{
	size_t klen = strlen(key);

	for (size_t i = 0; src->vmcoreinfo && i < src->vmcoreinfo_len;) {
		const char *line = src->vmcoreinfo + i;
		size_t len = strlen(line);

		if (len > klen && !strncmp(line, key, klen) && line[klen] == '=')
			return line + klen + 1;
		i += len + 1;
	}
	return NULL;
}

uint64_t source_vmcoreinfo_page_size(const struct kho_source *src)
{
	const char *v = kho_source_vmcoreinfo(src, "PAGESIZE");
	char *end;
	unsigned long long n;

	if (!v)
		return 0;
	n = strtoull(v, &end, 10);
	if (*end || !page_size_valid(n))
		return 0;
	return n;
}
