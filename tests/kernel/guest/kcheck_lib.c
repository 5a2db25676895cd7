// SPDX-License-Identifier: GPL-2.0-only
/* Placeholder until the guest links libuio_daq (see tests/kernel). */
#include "kcheck.h"

int cmd_lib(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return !check(false, "lib: kcheck was built without libuio_daq");
}
