/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "internal.h"

/* Placeholder until the sysfs parser lands (core engineer, in progress). */
int udaq_resolve_spec(struct udaq_ctx *ctx, const char *spec,
		      unsigned int *index)
{
	return -ENOSYS;
}
