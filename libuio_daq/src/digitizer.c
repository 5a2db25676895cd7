/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The digitizer front end: picks a driver for a device and dispatches the
 * public calls to its ops table. Drivers live in their own files
 * (refdaq.c); adding a card means adding a file and a line to drivers[].
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "export.h"
#include "stream_internal.h"

static const struct udaq_digitizer_ops *const drivers[] = {
	&udaq_refdaq_ops,
	&udaq_edu_ops,
};

UDAQ_API int udaq_digitizer_open(struct udaq_dev *dev, struct udaq_digitizer **out)
{
	struct udaq_digitizer *dg;
	size_t i;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!dev)
		return -EINVAL;
	for (i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
		if (!drivers[i]->probe(dev))
			continue;
		dg = calloc(1, sizeof(*dg));
		if (!dg)
			return -ENOMEM;
		dg->ops = drivers[i];
		dg->dev = dev;
		ret = dg->ops->open(dg);
		if (ret) {
			free(dg);
			return ret;
		}
		*out = dg;
		return 0;
	}
	return -ENODEV;
}

UDAQ_API void udaq_digitizer_close(struct udaq_digitizer *dg)
{
	if (!dg)
		return;
	dg->ops->close(dg);
	free(dg);
}

UDAQ_API const struct udaq_digitizer_caps *udaq_digitizer_caps(const struct udaq_digitizer *dg)
{
	return dg ? &dg->caps : NULL;
}

UDAQ_API int udaq_digitizer_configure(struct udaq_digitizer *dg,
				      const struct udaq_digitizer_config *cfg)
{
	if (!dg || !cfg)
		return -EINVAL;
	return dg->ops->configure(dg, cfg);
}

UDAQ_API int udaq_digitizer_config_check(const struct udaq_digitizer *dg,
					 const struct udaq_digitizer_config *cfg,
					 char *msg, size_t msglen)
{
	if (!dg || !cfg) {
		if (msg && msglen)
			snprintf(msg, msglen, "no digitizer or no configuration given");
		return -EINVAL;
	}
	return dg->ops->config_check(dg, cfg, msg, msglen);
}

UDAQ_API int udaq_digitizer_start(struct udaq_digitizer *dg)
{
	return dg ? dg->ops->start(dg) : -EINVAL;
}

UDAQ_API int udaq_digitizer_stop(struct udaq_digitizer *dg)
{
	return dg ? dg->ops->stop(dg) : -EINVAL;
}

UDAQ_API int udaq_digitizer_reset(struct udaq_digitizer *dg)
{
	return dg ? dg->ops->reset(dg) : -EINVAL;
}

UDAQ_API int udaq_digitizer_wait(struct udaq_digitizer *dg, int timeout_ms)
{
	int ret;

	if (!dg)
		return -EINVAL;
	ret = dg->ops->wait(dg, timeout_ms);
	/*
	 * Every wake-up: where no lossless reader holds the device, let it go.
	 * Not once it is gone: its registers may be revoked.
	 */
	if (ret >= 0 && dg->ring)
		udaq_ring_follow_device(dg->ring);
	return ret;
}

UDAQ_API int udaq_digitizer_status(struct udaq_digitizer *dg,
				   struct udaq_digitizer_status *st)
{
	if (!dg || !st)
		return -EINVAL;
	return dg->ops->status(dg, st);
}

UDAQ_API struct udaq_ring *udaq_digitizer_ring(struct udaq_digitizer *dg)
{
	return dg ? dg->ring : NULL;
}

UDAQ_API struct udaq_dev *udaq_digitizer_dev(struct udaq_digitizer *dg)
{
	return dg ? dg->dev : NULL;
}

UDAQ_API size_t udaq_digitizer_frame_len(const struct udaq_digitizer *dg)
{
	return dg ? dg->ops->frame_len(dg) : 0;
}

UDAQ_API uint32_t udaq_digitizer_frame_samples(const struct udaq_digitizer *dg)
{
	return dg ? dg->ops->frame_samples(dg) : 0;
}
