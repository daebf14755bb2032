// SPDX-License-Identifier: MIT
/*
 * The fdt command: the KHO FDT and every FDT sub-blob as DTS. The u64
 * properties KHO writes are raw native-endian bytes, which dtc would show
 * as scrambled big-endian cells; here they are decoded in the dump's byte
 * order and marked so.
 */
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect.h"
#include "print.h"

/* Where the DTS goes: stdout, or a memory buffer for fdt -o DIR. */
static FILE *out;

static const char *const u64_props[] = {
	"preserved-memory-map", "preserved-data", "fdt", "blob-size", "start", "size", NULL,
};

static bool is_u64_prop(const char *name)
{
	for (const char *const *p = u64_props; *p; p++)
		if (!strcmp(*p, name))
			return true;
	return false;
}

static bool printable(const char *s, int len)
{
	if (len <= 0 || s[len - 1])
		return false;
	for (int i = 0; i < len - 1; i++)
		if (s[i] && ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f ||
			     s[i] == '"' || s[i] == '\\'))
			return false;
	return !!s[0];
}

/* Deeper nodes are printed at this indentation: 8 columns a level. */
#define MAX_INDENT 16

static int indent(int depth)
{
	return (depth < MAX_INDENT ? depth : MAX_INDENT) * 8;
}

/* What dtc takes in a node name (and, with '#' and '?', a property's). */
static bool dts_name_char(unsigned char c, bool prop)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr(",._+-@", c)) || (prop && c && strchr("#?", c));
}

/*
 * A node or property name from the dump. DTS has no escape for names, so
 * a byte dtc would refuse is written _xNN (the DTS still compiles) and the
 * name as it is, with the \xNN escape of all text output, follows in a
 * comment: no byte of a dump reaches the terminal raw.
 */
static void put_name(const char *name, bool prop)
{
	bool odd = !*name;
	char *esc;

	for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
		if (dts_name_char(*c, prop)) {
			fputc(*c, out);
		} else {
			fprintf(out, "_x%02x", *c);
			odd = true;
		}
	}
	if (!*name)
		fputc('_', out);
	if (odd && (esc = pr_escape(name))) {
		fprintf(out, " /* \"%s\" */", esc);
		free(esc);
	}
}

static void print_prop(const char *name, const uint8_t *v, int len, bool be, int depth)
{
	fprintf(out, "%*s", indent(depth), "");
	put_name(name, true);
	if (len == 8 && is_u64_prop(name)) {
		uint64_t x = 0;

		for (int i = 0; i < 8; i++)
			x |= (uint64_t)v[be ? i : 7 - i] << (8 * (7 - i));
		fprintf(out, " = /bits/ 64 <0x%llx>;\t/* native %s-endian u64 */\n",
		       (unsigned long long)x, be ? "big" : "little");
	} else if (printable((const char *)v, len)) {
		fprintf(out, " = \"");
		for (int i = 0; i < len - 1; i++) {
			if (v[i])
				fputc(v[i], out);
			else
				fputs("\", \"", out);   /* a string list */
		}
		fprintf(out, "\";\n");
	} else if (len == 0) {
		fprintf(out, ";\n");
	} else {
		fprintf(out, " = [");
		for (int i = 0; i < len; i++)
			fprintf(out, "%s%02x", i ? " " : "", v[i]);
		fprintf(out, "];\n");
	}
}

static void print_node_name(const void *fdt, int offset, int depth)
{
	const char *name = fdt_get_name(fdt, offset, NULL);

	fprintf(out, "%*s", indent(depth), "");
	if (depth)
		put_name(name ? name : "", false);
	else
		fputc('/', out);
	fprintf(out, " {\n");
}

/*
 * The structure block, tag by tag (as fdtdump walks it): a sub-blob may
 * nest nodes as deep as its size allows, so no recursion; fdt_next_tag()
 * always moves forward, so the walk is bounded by the block's size.
 * @fdt passed fdt_check_full(): tags and nesting are sound.
 */
static void print_nodes(const void *fdt, bool be)
{
	int offset = 0, next = 0, depth = 0;
	uint32_t tag;

	do {
		tag = fdt_next_tag(fdt, offset, &next);
		switch (tag) {
		case FDT_BEGIN_NODE:
			print_node_name(fdt, offset, depth++);
			break;
		case FDT_PROP: {
			const char *pname;
			int len;
			const uint8_t *v = fdt_getprop_by_offset(fdt, offset, &pname, &len);

			if (v && pname)
				print_prop(pname, v, len, be, depth);
			break;
		}
		case FDT_END_NODE:
			if (depth > 0)
				depth--;
			fprintf(out, "%*s};\n", indent(depth), "");
			break;
		default:
			break;
		}
		offset = next;
	} while (tag != FDT_END && next >= 0);
}

static void print_fdt(const char *title, const void *fdt, size_t cap, bool be)
{
	int rc = fdt_check_full(fdt, cap);
	char *esc = pr_escape(title);   /* names a sub-node, from the dump */

	fprintf(out, "/* %s */\n", esc ? esc : "");
	free(esc);
	if (rc) {
		fprintf(out, "/* not printed: %s */\n\n", fdt_strerror(rc));
		return;
	}
	fprintf(out, "/dts-v1/;\n\n");
	print_nodes(fdt, be);
	fprintf(out, "\n");
}

/*
 * One DTS: on stdout, or with -o DIR as DIR/@file (written whole, then
 * renamed). returns: 0 or 2.
 */
static int emit(const struct options *o, const char *file, const char *title,
		const void *fdt, size_t cap, bool be)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if (!o->outdir) {
		out = stdout;
		print_fdt(title, fdt, cap, be);
		return 0;
	}
	out = open_memstream(&buf, &len);
	if (!out)
		return inspect_fail_kind("io", "out of memory");
	print_fdt(title, fdt, cap, be);
	rc = fclose(out) ? inspect_fail_kind("io", "out of memory") :
	     write_out_file(o->outdir, file, buf, len);
	free(buf);
	return rc;
}

int cmd_fdt(const struct options *o, struct kho_source *src, const struct kho_inspection *hs,
	    size_t n)
{
	bool be = kho_source_big_endian(src);
	int rc = o->outdir ? make_out_dir(o->outdir) : 0;

	for (size_t i = 0; !rc && i < n; i++) {
		const struct kho_handover *ho = &hs[i].ho;
		char title[256], prefix[32] = "", file[128];

		/* several handovers: their files apart by FDT address */
		if (n > 1)
			snprintf(prefix, sizeof(prefix), "0x%llx-",
				 (unsigned long long)ho->fdt_phys);
		if (ho->fdt_phys_unknown)
			snprintf(title, sizeof(title), "KHO FDT from a file (%s)", ho->compatible);
		else
			snprintf(title, sizeof(title), "KHO FDT at 0x%llx (%s)",
				 (unsigned long long)ho->fdt_phys, ho->compatible);
		snprintf(file, sizeof(file), "%sfdt.dts", prefix);
		rc = emit(o, file, title, ho->fdt, kho_source_page_size(src), be);
		for (size_t k = 0; !rc && k < ho->nsubtrees; k++) {
			const struct kho_subtree *t = &ho->subtrees[k];
			struct fdt_header hdr;
			struct kho_error err;
			uint32_t total;
			void *blob;

			if (!t->phys || kho_source_read(src, t->phys, &hdr, sizeof(hdr), &err) ||
			    fdt_magic(&hdr) != FDT_MAGIC)
				continue;
			total = fdt_totalsize(&hdr);
			if (total < sizeof(hdr) || total > KHO_FDT_BLOB_MAX || !(blob = malloc(total)))
				continue;
			if (kho_source_read(src, t->phys, blob, total, &err) == KHO_OK) {
				char name[96];

				snprintf(title, sizeof(title), "sub-node %.64s: FDT blob at 0x%llx",
					 t->name, (unsigned long long)t->phys);
				out_file_name(t->name, ".dts", name, sizeof(name));
				snprintf(file, sizeof(file), "%s%s", prefix, name);
				rc = emit(o, file, title, blob, total, be);
			}
			free(blob);
		}
	}
	return rc ? rc : fflush(stdout) ? 2 : 0;
}
