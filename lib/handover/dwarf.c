// SPDX-License-Identifier: MIT
/*
 * Where the 7.3+ kernel keeps its preserved-memory trees inside kho_out
 * and kho_in (dwarf.h says why only DWARF knows), read with libdw. The
 * DWARF is as hostile as the dump: every walk is bounded, and an offset
 * is believed only inside the struct's own size.
 */
#include "dwarf.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <gelf.h>
#include <stdbool.h>
#include <string.h>

#define MAX_TOP_DIES (1ul << 24)   /* a whole distribution kernel has ~10^6 */
#define MAX_MEMBERS 4096
#define MAX_STRUCT_BYTES (1u << 20)

/* DW_AT_data_member_location: a constant, or DWARF 2's DW_OP_plus_uconst N. */
static bool member_offset(Dwarf_Die *m, uint64_t *off)
{
	Dwarf_Attribute a;
	Dwarf_Word w;
	Dwarf_Op *ops;
	size_t n;

	if (!dwarf_attr(m, DW_AT_data_member_location, &a))
		return false;
	if (dwarf_whatform(&a) == DW_FORM_exprloc || dwarf_whatform(&a) == DW_FORM_block1 ||
	    dwarf_whatform(&a) == DW_FORM_block) {
		if (dwarf_getlocation(&a, &ops, &n) || n != 1 || ops[0].atom != DW_OP_plus_uconst)
			return false;
		*off = ops[0].number;
		return true;
	}
	if (dwarf_formudata(&a, &w))
		return false;
	*off = w;
	return true;
}

/* The type of @m with typedefs and qualifiers peeled off. */
static bool member_type(Dwarf_Die *m, Dwarf_Die *t)
{
	Dwarf_Attribute a;
	Dwarf_Die raw;

	return dwarf_attr_integrate(m, DW_AT_type, &a) && dwarf_formref_die(&a, &raw) &&
	       dwarf_peel_type(&raw, t) == 0;
}

/* returns: 0 found, 1 not a member of @st, -1 DWARF error. */
static int find_member(Dwarf_Die *st, const char *name, Dwarf_Die *out)
{
	Dwarf_Die c;
	int r = dwarf_child(st, &c);

	for (unsigned n = 0; r == 0; n++, r = dwarf_siblingof(&c, &c)) {
		const char *nm;

		if (n == MAX_MEMBERS)
			return -1;
		if (dwarf_tag(&c) == DW_TAG_member && (nm = dwarf_diename(&c)) && !strcmp(nm, name)) {
			*out = c;
			return 0;
		}
	}
	return r < 0 ? -1 : 1;
}

/* offsetof(struct @name, radix_tree.root) from its definition @st. */
static enum kho_status root_offset(Dwarf_Die *st, const char *name, uint64_t *off,
				   struct kho_error *err)
{
	Dwarf_Die rt, tree, root, ptr;
	uint64_t a, b;
	int size = dwarf_bytesize(st), psize, r = find_member(st, "radix_tree", &rt);

	if (r > 0)
		return kho_error_set(err, KHO_ERR_NODATA, "struct %s has no member radix_tree "
				     "(%s)", name, strcmp(name, "kho_in") ? "a kernel before 7.2" :
				     "a kernel before 7.3");
	if (r < 0 || !member_offset(&rt, &a) || !member_type(&rt, &tree) ||
	    dwarf_tag(&tree) != DW_TAG_structure_type)
		return kho_error_set(err, KHO_ERR_CORRUPT, "DWARF of struct %s member radix_tree "
				     "does not read as a struct at an offset", name);
	if (find_member(&tree, "root", &root) || !member_offset(&root, &b) ||
	    !member_type(&root, &ptr) || dwarf_tag(&ptr) != DW_TAG_pointer_type)
		return kho_error_set(err, KHO_ERR_CORRUPT, "DWARF of struct %s: radix_tree has "
				     "no pointer member root at an offset", name);
	psize = dwarf_bytesize(&ptr);
	if (psize >= 0 && psize != 8)
		return kho_error_set(err, KHO_ERR_CORRUPT, "DWARF of struct %s: radix_tree.root "
				     "is a %d-byte pointer (KHO kernels are 64-bit)", name, psize);
	if (size <= 0 || size > (int)MAX_STRUCT_BYTES || a > MAX_STRUCT_BYTES ||
	    b > MAX_STRUCT_BYTES || a + b + 8 > (uint64_t)size)
		return kho_error_set(err, KHO_ERR_CORRUPT, "DWARF of struct %s: radix_tree.root "
				     "at %llu does not fit its %d bytes", name,
				     (unsigned long long)(a + b), size);
	*off = a + b;
	return KHO_OK;
}

/* The globals' structs, in struct kho_tree_offsets order. */
static const char *const names[2] = { "kho_out", "kho_in" };

/* The definitions (not declarations) of struct kho_out and struct kho_in. */
static enum kho_status find_structs(Dwarf *dw, Dwarf_Die st[2], bool have[2],
				    struct kho_error *err)
{
	Dwarf_CU *cu = NULL;
	Dwarf_Die cudie, die;
	unsigned long dies = 0;
	int r;

	while (!(have[0] && have[1]) &&
	       (r = dwarf_get_units(dw, cu, &cu, NULL, NULL, &cudie, NULL)) == 0) {
		int c = dwarf_child(&cudie, &die);

		for (; c == 0 && !(have[0] && have[1]); c = dwarf_siblingof(&die, &die)) {
			const char *name;

			if (++dies > MAX_TOP_DIES)
				return kho_error_set(err, KHO_ERR_CORRUPT, "DWARF: more than %lu "
						     "top-level entries", MAX_TOP_DIES);
			if (dwarf_tag(&die) != DW_TAG_structure_type ||
			    dwarf_hasattr(&die, DW_AT_declaration) || !(name = dwarf_diename(&die)))
				continue;
			for (int i = 0; i < 2; i++)
				if (!have[i] && !strcmp(name, names[i])) {
					st[i] = die;
					have[i] = true;
				}
		}
		if (c < 0)
			return kho_error_set(err, KHO_ERR_CORRUPT, "unreadable DWARF (libdw: %s)", dwarf_errmsg(-1));
	}
	if (!(have[0] && have[1]) && r < 0)
		return kho_error_set(err, KHO_ERR_CORRUPT, "unreadable DWARF (libdw: %s)", dwarf_errmsg(-1));
	return KHO_OK;
}

/* Whether @e has a .debug_info (libdw does not say why it found no DWARF). */
static bool has_debug_info(Elf *e)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(e, &shstrndx))
		return false;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (gelf_getshdr(scn, &sh) && sh.sh_type != SHT_NOBITS &&
		    (name = elf_strptr(e, shstrndx, sh.sh_name)) &&
		    (!strcmp(name, ".debug_info") || !strcmp(name, ".zdebug_info")))
			return true;
	}
	return false;
}

enum kho_status vmlinux_tree_offsets(Elf *e, struct kho_tree_offsets *o, struct kho_error *err)
{
	Dwarf_Die def[2];
	bool have[2] = { false, false };
	enum kho_status st;
	Dwarf *dw = NULL;

	memset(o, 0, sizeof(*o));
	if (!has_debug_info(e))
		st = kho_error_set(err, KHO_ERR_NODATA, "no DWARF (a stripped vmlinux?)");
	else if (!(dw = dwarf_begin_elf(e, DWARF_C_READ, NULL)))
		st = kho_error_set(err, KHO_ERR_CORRUPT, "unreadable DWARF (libdw: %s)", dwarf_errmsg(-1));
	else
		st = find_structs(dw, def, have, err);
	/* each struct's answer into o->root[i], or why not into o->why[i] */
	for (int i = 0; !st && i < 2; i++)
		if (!have[i])
			kho_error_set(&o->why[i], KHO_ERR_NODATA, "no struct %s in the DWARF", names[i]);
		else
			o->known[i] = !root_offset(&def[i], names[i], &o->root[i], &o->why[i]);
	if (dw)
		dwarf_end(dw);
	return st;
}
