// SPDX-License-Identifier: MIT
/* Which libkho is loaded: the release, at run time. */
#include "kho/kho.h"

#include "util.h"

KHO_EXPORT const char *kho_version(void)
{
	return KHO_VERSION;
}
