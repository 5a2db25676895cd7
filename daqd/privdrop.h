/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Dropping root once the device, the output directory and the sockets are
 * open: the daemon then runs the data path unprivileged. What it will need
 * as that user (writing its files, removing its sockets at exit, group
 * members connecting) is made so before the drop and checked after it.
 */
#ifndef DAQD_PRIVDROP_H
#define DAQD_PRIVDROP_H

#include <stddef.h>

struct daqd;
struct daqd_config;

/*
 * daqd_privdrop_prepare() - Before any sink or socket exists: make the
 * output directory and the control socket's directory, if missing, owned
 * by @cfg->user (and @cfg->group), so that the daemon can write there
 * after the drop. Nothing to do without @cfg->user.
 * Return: 0 or -errno with @err filled (a bad setting: exit 2).
 */
int daqd_privdrop_prepare(const struct daqd_config *cfg, char *err, size_t errlen);

/*
 * daqd_drop_privileges() - Give the control socket and the stream sink's
 * Unix sockets to @d->cfg.user (the control socket keeps its
 * --socket-group, the others get the daemon's group), then become that
 * user (and group, or the user's primary group) with no supplementary
 * groups, an empty capability bounding set and no_new_privs, irrevocably
 * (checked). Last, checks that the user can create files in the output
 * directory and remove the sockets at exit.
 * Return: 0; -EACCES with @err filled and @d->bad_settings set when the
 * user could not do that (exit 2); -errno with @err filled otherwise.
 */
int daqd_drop_privileges(struct daqd *d, char *err, size_t errlen);

#endif /* DAQD_PRIVDROP_H */
