// SPDX-License-Identifier: GPL-2.0-or-later
#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int daqd_drop_privileges(const char *user, const char *group, char *err, size_t errlen)
{
	struct passwd *pw = getpwnam(user);
	gid_t gid;

	if (!pw) {
		snprintf(err, errlen, "user '%s': no such user", user);
		return -ENOENT;
	}
	gid = pw->pw_gid;
	if (group) {
		struct group *gr = getgrnam(group);

		if (!gr) {
			snprintf(err, errlen, "group '%s': no such group", group);
			return -ENOENT;
		}
		gid = gr->gr_gid;
	}
	/* Groups first: after setuid() we could no longer change them. */
	if (setgroups(0, NULL) || setgid(gid) || setuid(pw->pw_uid)) {
		int e = errno;

		snprintf(err, errlen, "cannot drop privileges to %s: %s", user, strerror(e));
		return -e;
	}
	if (pw->pw_uid != 0 && (setuid(0) == 0 || geteuid() == 0)) {
		snprintf(err, errlen, "dropping privileges to %s did not stick", user);
		return -EPERM;
	}
	return 0;
}
