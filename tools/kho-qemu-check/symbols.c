// SPDX-License-Identifier: MIT
/*
 * Kernel function addresses for --at-function: a vmlinux's symbol table
 * through libelf, or a System.map as the kernel build writes it.
 */
#include "symbols.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int from_elf(int fd, const char *file, const char *name, uint64_t *addr, char *why,
		    size_t whylen)
{
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	Elf_Scn *scn = NULL;
	int rc = -1;

	snprintf(why, whylen, "%s: no function \"%s\" in its symbol table", file, name);
	while (e && rc && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize ||
		    !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;
			const char *n;

			if (!gelf_getsym(d, (int)i, &s) || GELF_ST_TYPE(s.st_info) != STT_FUNC ||
			    !(n = elf_strptr(e, sh.sh_link, s.st_name)) || strcmp(n, name))
				continue;
			*addr = s.st_value;
			rc = 0;
			break;
		}
	}
	if (!e)
		snprintf(why, whylen, "%s: %s", file, elf_errmsg(-1));
	elf_end(e);
	return rc;
}

static int from_system_map(FILE *f, const char *file, const char *name, uint64_t *addr,
			   char *why, size_t whylen)
{
	char line[512], sym[256], type;
	unsigned long long a;

	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &a, &type, sym) == 3 && !strcmp(sym, name) &&
		    (type == 't' || type == 'T')) {
			*addr = a;
			return 0;
		}
	snprintf(why, whylen, "%s: no function \"%s\" in this System.map", file, name);
	return -1;
}

int kernel_symbol(const char *file, const char *name, uint64_t *addr, char *why, size_t whylen)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC), rc;
	unsigned char magic[4] = { 0 };
	FILE *f;

	if (fd < 0 || pread(fd, magic, 4, 0) < 0) {
		snprintf(why, whylen, "%s: %s", file, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!memcmp(magic, ELFMAG, SELFMAG)) {
		elf_version(EV_CURRENT);
		rc = from_elf(fd, file, name, addr, why, whylen);
		close(fd);
		return rc;
	}
	if (!(f = fdopen(fd, "r"))) {
		snprintf(why, whylen, "%s: %s", file, strerror(errno));
		close(fd);
		return -1;
	}
	rc = from_system_map(f, file, name, addr, why, whylen);
	fclose(f);
	return rc;
}
