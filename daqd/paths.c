// SPDX-License-Identifier: GPL-2.0-or-later
#include "paths.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
		snprintf(buf, len, "%s", DAQD_SYSTEM_SOCKET);
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

int daqd_mkdir_p(const char *path, mode_t mode)
{
	return daqd_mkdir_p_owned(path, mode, (uid_t)-1, (gid_t)-1);
}

int daqd_mkdir_p_owned(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	char buf[4096];
	size_t len = strlen(path);
	struct stat st;

	if (!len || len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	/* Create each missing parent in turn, as "mkdir -p" does. */
	for (char *p = buf + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(buf, mode) == 0) {
			/* Only what was made here: existing directories keep their owner. */
			if ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(buf, uid, gid))
				return -errno;
		} else if (errno != EEXIST) {
			return -errno;
		}
		*p = c;
		if (!c)
			break;
	}
	if (stat(path, &st))
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}
