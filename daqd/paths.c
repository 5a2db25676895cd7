// SPDX-License-Identifier: GPL-2.0-or-later
#include "paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void daqd_default_socket_path(char *buf, size_t len)
{
	const char *dir = getenv("RUNTIME_DIRECTORY");

	/* systemd may pass several colon-separated directories; use the first. */
	if (dir && *dir && dir[0] == '/') {
		size_t n = strcspn(dir, ":");

		snprintf(buf, len, "%.*s/daqd.sock", (int)n, dir);
		return;
	}
	if (geteuid() == 0) {
		snprintf(buf, len, "/run/daqd/daqd.sock");
		return;
	}
	dir = getenv("XDG_RUNTIME_DIR");
	if (dir && dir[0] == '/') {
		snprintf(buf, len, "%s/daqd.sock", dir);
		return;
	}
	if (len)
		buf[0] = 0;
}
