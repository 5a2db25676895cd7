/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Paths: default locations shared by daqd and daqctl, directory creation. */
#ifndef DAQD_PATHS_H
#define DAQD_PATHS_H

#include <stddef.h>
#include <sys/types.h>

/* The system daemon's control socket (daqd.service: RuntimeDirectory=daqd). */
#define DAQD_SYSTEM_SOCKET "/run/daqd/daqd.sock"

/*
 * daqd_default_socket_path() - The control socket when none is configured:
 * $RUNTIME_DIRECTORY/daqd.sock under systemd (RuntimeDirectory=daqd),
 * /run/daqd/daqd.sock for root, $XDG_RUNTIME_DIR/daqd.sock otherwise, or
 * "" (no socket) when none of these is known.
 */
void daqd_default_socket_path(char *buf, size_t len);

/*
 * daqd_mkdir_p() - Make @path and any missing parents with @mode.
 * Return: 0 if @path is (now) a directory, -ENOTDIR, -ENAMETOOLONG, -errno.
 */
int daqd_mkdir_p(const char *path, mode_t mode);

/*
 * daqd_mkdir_p_owned() - daqd_mkdir_p(), giving every directory it makes
 * (none that existed) to @uid:@gid; (uid_t)-1 / (gid_t)-1 leave one as is.
 * For a daemon that will drop to that user and must write there.
 */
int daqd_mkdir_p_owned(const char *path, mode_t mode, uid_t uid, gid_t gid);

#endif /* DAQD_PATHS_H */
