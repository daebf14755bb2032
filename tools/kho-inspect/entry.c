// SPDX-License-Identifier: MIT
/*
 * kho-inspect's main: the rest is the kho_inspect_cli library, which
 * tests/fuzz/fuzz_tools.c links to drive the printers and commands.
 */
#include "inspect.h"

int main(int argc, char **argv)
{
	return kho_inspect_main(argc, argv);
}
