/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The library context: the only place the sysfs and /dev roots live, so
 * that tests and containers can point one context at a fake tree without
 * affecting any other context in the process.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "internal.h"

#ifndef UDAQ_VERSION
#error "UDAQ_VERSION must be defined by the build (libuio_daq/meson.build)"
#endif

/*
 * Roots are stored without trailing slashes so that "<root>/class/uio"
 * never grows a "//" that would show up in error messages.
 */
static int dup_root(const char *path, char **out)
{
	size_t len;
	char *copy;

	if (!path || path[0] != '/')
		return -EINVAL;
	len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	copy = strndup(path, len);
	if (!copy)
		return -ENOMEM;
	*out = copy;
	return 0;
}

static int root_from_env(const char *var, const char *fallback, char **out)
{
	/* secure_getenv: a setuid user of the library must not be redirected. */
	const char *val = secure_getenv(var);

	if (!val || !val[0])
		val = fallback;
	return dup_root(val, out);
}

UDAQ_API int udaq_ctx_new(struct udaq_ctx **out)
{
	struct udaq_ctx *ctx;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ret = root_from_env("UIO_DAQ_SYSFS_ROOT", "/sys", &ctx->sysfs_root);
	if (!ret)
		ret = root_from_env("UIO_DAQ_DEV_ROOT", "/dev", &ctx->dev_root);
	if (ret) {
		udaq_ctx_free(ctx);
		return ret;
	}
	*out = ctx;
	return 0;
}

UDAQ_API void udaq_ctx_free(struct udaq_ctx *ctx)
{
	if (!ctx)
		return;
	free(ctx->sysfs_root);
	free(ctx->dev_root);
	free(ctx);
}

static int set_root(char **slot, const char *path)
{
	char *copy;
	int ret;

	ret = dup_root(path, &copy);
	if (ret)
		return ret;
	free(*slot);
	*slot = copy;
	return 0;
}

UDAQ_API int udaq_ctx_set_sysfs_root(struct udaq_ctx *ctx, const char *path)
{
	if (!ctx)
		return -EINVAL;
	return set_root(&ctx->sysfs_root, path);
}

UDAQ_API int udaq_ctx_set_dev_root(struct udaq_ctx *ctx, const char *path)
{
	if (!ctx)
		return -EINVAL;
	return set_root(&ctx->dev_root, path);
}

UDAQ_API const char *udaq_ctx_sysfs_root(const struct udaq_ctx *ctx)
{
	return ctx ? ctx->sysfs_root : NULL;
}

UDAQ_API const char *udaq_ctx_dev_root(const struct udaq_ctx *ctx)
{
	return ctx ? ctx->dev_root : NULL;
}

UDAQ_API const char *udaq_version(void)
{
	return UDAQ_VERSION;
}
