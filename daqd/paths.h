/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Default locations shared by daqd and daqctl, so that both agree. */
#ifndef DAQD_PATHS_H
#define DAQD_PATHS_H

#include <stddef.h>

/*
 * daqd_default_socket_path() - The control socket when none is configured:
 * $RUNTIME_DIRECTORY/daqd.sock under systemd (RuntimeDirectory=daqd),
 * /run/daqd/daqd.sock for root, $XDG_RUNTIME_DIR/daqd.sock otherwise, or
 * "" (no socket) when none of these is known.
 */
void daqd_default_socket_path(char *buf, size_t len);

#endif /* DAQD_PATHS_H */
