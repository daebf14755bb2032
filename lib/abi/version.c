// SPDX-License-Identifier: MIT
/*
 * The table of KHO root compatible strings. The next kernel accepts only
 * an exact match of its own string, so an unknown version is never
 * decoded by guesswork.
 */
#include "kho/abi.h"
#include "kho/version.h"

#include "../util/util.h"

/* Written by: kho-v1 6.16 - 7.0, kho-v2 the 7.1 merge window, kho-v3 7.1,
 * kho-v4 7.2 and 7.3. */
static const struct kho_abi_version versions[] = {
	{ "kho-v1", 1, KHO_MAP_V1_CHUNKS, "fdt", false, false, true, false, false },
	/* 7.1 computed 1 << (order + PAGE_SHIFT) in int; 7.2.13 and 7.3-rc7
	 * in u64, so 2 GiB blocks and larger are legal in kho-v4 */
	{ "kho-v2", 2, KHO_MAP_RADIX, "preserved-data", false, true, false, true, false },
	{ "kho-v3", 3, KHO_MAP_RADIX, "preserved-data", true, true, false, true, false },
	{ "kho-v4", 4, KHO_MAP_RADIX, "preserved-data", true, true, false, false, true },
};

const struct kho_abi_version *kho_abi_version_find(unsigned number)
{
	for (size_t i = 0; i < ARRAY_SIZE(versions); i++)
		if (versions[i].number == number)
			return &versions[i];
	return NULL;
}

/*
 * Sub-component strings of a composite compatible (proposed June 2026,
 * kho-abi.md section 6b). Each names the format of one part; the part
 * only means something on a root version whose map it describes.
 */
static const struct {
	const char *name;
	enum kho_map_format needs;   /* the map format it describes */
	bool any_map;                /* not about the map (vmalloc chains) */
} components[] = {
	{ "radix-v1", KHO_MAP_RADIX, false },
	{ "vmalloc-v1", KHO_MAP_RADIX, true },
};

/* Whether @c is a component this decoder knows, on root version @abi. */
static bool component_known(const char *c, const struct kho_abi_version *abi)
{
	for (size_t i = 0; i < ARRAY_SIZE(components); i++)
		if (!strcmp(c, components[i].name))
			return components[i].any_map || abi->map_format == components[i].needs;
	return false;
}

static bool is_component_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	       c == ',' || c == '+';
}

enum kho_status kho_compat_parse(const char *s, size_t len,
				 struct kho_compat *out,
				 struct kho_error *err)
{
	size_t slen, i, start;
	unsigned long version = 0;

	memset(out, 0, sizeof(*out));
	slen = s ? strnlen(s, len) : 0;
	if (!s || slen == len)
		return kho_error_set(err, KHO_ERR_CORRUPT,
				     "compatible is not a NUL-terminated string");
	if (slen < 6 || strncmp(s, "kho-v", 5) != 0)
		return kho_error_set(err, KHO_ERR_CORRUPT,
				     "compatible \"%.64s\" does not start with \"kho-v<N>\"", s);
	for (i = 5; i < slen && s[i] >= '0' && s[i] <= '9'; i++) {
		version = version * 10 + (unsigned long)(s[i] - '0');
		if (version > 1000000)
			break;
	}
	if (i == 5 || version > 1000000 || (s[5] == '0' && i > 6) ||
	    (i < slen && s[i] != ';'))
		return kho_error_set(err, KHO_ERR_CORRUPT,
				     "compatible \"%.64s\": version is not a decimal number", s);
	out->version = (unsigned)version;

	/* Sub-component strings joined by ';' (proposed June 2026). */
	while (i < slen) {
		size_t n;

		start = ++i;
		while (i < slen && s[i] != ';')
			i++;
		n = i - start;
		if (n == 0 || n >= KHO_COMPAT_COMPONENT_MAX)
			return kho_error_set(err, KHO_ERR_CORRUPT,
					     "compatible \"%.64s\": %s component", s,
					     n ? "over-long" : "empty");
		if (out->ncomponents == KHO_COMPAT_MAX_COMPONENTS)
			return kho_error_set(err, KHO_ERR_CORRUPT,
					     "compatible \"%.64s\": more than %d components",
					     s, KHO_COMPAT_MAX_COMPONENTS);
		for (size_t k = start; k < i; k++)
			if (!is_component_char(s[k]))
				return kho_error_set(err, KHO_ERR_CORRUPT,
						     "compatible \"%.64s\": bad character in component", s);
		memcpy(out->components[out->ncomponents], s + start, n);
		out->components[out->ncomponents][n] = '\0';
		out->ncomponents++;
	}

	out->abi = kho_abi_version_find(out->version);
	if (!out->abi)
		return kho_error_set(err, KHO_ERR_NOTIMPL,
				     "unsupported KHO ABI \"%.64s\" (known: kho-v1 to kho-v4)", s);
	/* A component nobody here knows changes the format: fail closed. */
	for (unsigned k = 0; k < out->ncomponents; k++)
		if (!component_known(out->components[k], out->abi)) {
			const char *bad = out->components[k];

			out->abi = NULL;
			return kho_error_set(err, KHO_ERR_NOTIMPL,
					     "unsupported KHO ABI \"%.64s\": unknown component "
					     "\"%s\" (known: radix-v1, vmalloc-v1)", s, bad);
		}
	return KHO_OK;
}
