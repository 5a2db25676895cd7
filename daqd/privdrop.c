// SPDX-License-Identifier: GPL-2.0-or-later
#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "daemon.h"
#include "paths.h"
#include "stream_server.h"

static int resolve(const char *user, const char *group, uid_t *uid, gid_t *gid,
		   char *err, size_t errlen)
{
	struct passwd *pw = getpwnam(user);

	if (!pw) {
		snprintf(err, errlen, "user '%s': no such user", user);
		return -ENOENT;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (group) {
		struct group *gr = getgrnam(group);

		if (!gr) {
			snprintf(err, errlen, "group '%s': no such group", group);
			return -ENOENT;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

/* The directory holding @path ("." for a bare name). */
static void parent_dir(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(buf, len, ".");
	else if (slash == path)
		snprintf(buf, len, "/");
	else
		snprintf(buf, len, "%.*s", (int)(slash - path), path);
}

int daqd_privdrop_prepare(const struct daqd_config *cfg, char *err, size_t errlen)
{
	char dir[4096];
	uid_t uid;
	gid_t gid;
	int ret;

	if (!cfg->user)
		return 0;
	ret = resolve(cfg->user, cfg->group, &uid, &gid, err, errlen);
	if (ret)
		return ret;
	/*
	 * Made as root they would belong to root, and the first file after
	 * the drop would fail (the recorder's probe runs before the drop).
	 */
	if (cfg->output_dir) {
		ret = daqd_mkdir_p_owned(cfg->output_dir, 0755, uid, gid);
		if (ret) {
			snprintf(err, errlen, "output directory '%s': %s", cfg->output_dir,
			     strerror(-ret));
			return ret;
		}
	}
	/* The control socket's directory (the default /run/daqd): removed at exit. */
	if (cfg->socket_path && cfg->socket_path[0]) {
		parent_dir(cfg->socket_path, dir, sizeof(dir));
		ret = daqd_mkdir_p_owned(dir, 0755, uid, gid);
		if (ret) {
			snprintf(err, errlen, "control socket directory '%s': %s", dir, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/*
 * The socket files: group members must be able to connect (0660 with the
 * daemon's group, or --socket-group for the control socket: @gid -1).
 */
static int give_socket(const char *path, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	if (chown(path, uid, gid)) {
		int e = errno;

		snprintf(err, errlen, "socket '%s': cannot give it to the daemon's user: %s", path,
		     strerror(e));
		return -e;
	}
	return 0;
}

/*
 * Calls @fn for every Unix socket daqd listens on: the control socket
 * (@is_control) and the stream sink's. Stops at the first error.
 */
static int for_each_socket(struct daqd *d, int (*fn)(struct daqd *d, const char *path,
						      bool is_control, void *arg),
			   void *arg)
{
	int ret;

	if (d->ctl && d->cfg.socket_path && d->cfg.socket_path[0]) {
		ret = fn(d, d->cfg.socket_path, true, arg);
		if (ret)
			return ret;
	}
	for (size_t i = 0; i < d->nsinks; i++) {
		char addr[160];

		if (strcmp(d->sinks[i]->ops->kind, "net"))
			continue;
		for (size_t j = 0; daqd_net_address(d->sinks[i], j, addr, sizeof(addr)) == 0; j++) {
			if (strncmp(addr, "unix:", 5))
				continue;
			ret = fn(d, addr + 5, false, arg);
			if (ret)
				return ret;
		}
	}
	return 0;
}

struct owner {
	uid_t uid;
	gid_t gid;
	char *err;
	size_t errlen;
};

static int give_one(struct daqd *d, const char *path, bool is_control, void *arg)
{
	struct owner *o = arg;

	/* The control socket keeps the group daqd_control_open() gave it. */
	return give_socket(path, o->uid, is_control && d->cfg.socket_group ? (gid_t)-1 : o->gid,
			   o->err, o->errlen);
}

/* After the drop, as the user: can it remove @path at exit? */
static int check_removable(struct daqd *d, const char *path, bool is_control, void *arg)
{
	struct owner *o = arg;
	char dir[4096];

	parent_dir(path, dir, sizeof(dir));
	if (access(dir, W_OK | X_OK)) {
		int e = errno;

		snprintf(o->err, o->errlen, "%s socket '%s': user '%s' could not remove it at exit: directory '%s': %s (give the directory to that user, or put the socket elsewhere)",
		     is_control ? "control" : "stream", path, d->cfg.user, dir, strerror(e));
		return -EACCES;
	}
	return 0;
}

/* The highest capability the running kernel knows (it may know more than our headers). */
static int last_cap(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int n = -1;

	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n >= 0 ? n : CAP_LAST_CAP;
}

/*
 * Empty the bounding set: nothing executed later can regain a capability
 * (e.g. from a file's capabilities). Needs CAP_SETPCAP, so before setuid().
 */
static int clear_bounding_set(char *err, size_t errlen)
{
	int last = last_cap();

	for (int cap = 0; cap <= last; cap++) {
		/* EINVAL: a capability this kernel does not have. */
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL) {
			int e = errno;

			snprintf(err, errlen, "cannot clear the capability bounding set (capability %d): %s",
			     cap, strerror(e));
			return -e;
		}
	}
	return 0;
}

static int become(const char *user, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	int ret;

	/* Groups first: after setuid() we could no longer change them. */
	if (setgroups(0, NULL) || setgid(gid)) {
		int e = errno;

		snprintf(err, errlen, "cannot drop privileges to %s: %s", user, strerror(e));
		return -e;
	}
	ret = clear_bounding_set(err, errlen);
	if (ret)
		return ret;
	if (setuid(uid)) {
		int e = errno;

		snprintf(err, errlen, "cannot drop privileges to %s: %s", user, strerror(e));
		return -e;
	}
	/* Nor can anything executed later gain privileges (setuid binaries). */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		int e = errno;

		snprintf(err, errlen, "cannot set no_new_privs: %s", strerror(e));
		return -e;
	}
	if ((uid != 0 && (setuid(0) == 0 || geteuid() == 0)) ||
	    prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1 ||
	    prctl(PR_CAPBSET_READ, CAP_SETPCAP, 0, 0, 0) != 0) {
		snprintf(err, errlen, "dropping privileges to %s did not stick", user);
		return -EPERM;
	}
	return 0;
}

int daqd_drop_privileges(struct daqd *d, char *err, size_t errlen)
{
	struct owner o = { .err = err, .errlen = errlen };
	int ret;

	ret = resolve(d->cfg.user, d->cfg.group, &o.uid, &o.gid, err, errlen);
	if (!ret)
		ret = for_each_socket(d, give_one, &o);
	if (!ret)
		ret = become(d->cfg.user, o.uid, o.gid, err, errlen);
	if (ret)
		return ret;
	/* Now as the user: what it must be able to do, checked before any data flows. */
	if (d->cfg.output_dir && access(d->cfg.output_dir, W_OK | X_OK)) {
		int e = errno;

		snprintf(err, errlen, "output directory '%s': user '%s' cannot create files there: %s (give the directory to that user, or choose another)",
		     d->cfg.output_dir, d->cfg.user, strerror(e));
		d->bad_settings = true;
		return -EACCES;
	}
	ret = for_each_socket(d, check_removable, &o);
	if (ret)
		d->bad_settings = true;
	return ret;
}
