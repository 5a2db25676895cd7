/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Dropping root once the device, the output directory and the control
 * socket are open: the daemon then runs the data path unprivileged.
 */
#ifndef DAQD_PRIVDROP_H
#define DAQD_PRIVDROP_H

#include <stddef.h>

/*
 * daqd_drop_privileges() - Become @user (and @group, or @user's primary
 * group), with no supplementary groups, irrevocably (checked).
 * Return: 0 or -errno with @err filled.
 */
int daqd_drop_privileges(const char *user, const char *group, char *err, size_t errlen);

#endif /* DAQD_PRIVDROP_H */
