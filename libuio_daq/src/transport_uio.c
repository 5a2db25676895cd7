/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "internal.h"

/* Placeholder until the UIO transport lands (core engineer, in progress). */
int udaq_uio_attach(struct udaq_dev *dev, unsigned int index)
{
	return -ENOSYS;
}
