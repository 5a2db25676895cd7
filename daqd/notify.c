// SPDX-License-Identifier: GPL-2.0-or-later
#include "notify.h"

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>

void daqd_notify_ready(const char *status)
{
	sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void daqd_notify_status(const char *status)
{
	sd_notifyf(0, "STATUS=%s", status);
}

void daqd_notify_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}

void daqd_notify_watchdog(void)
{
	sd_notify(0, "WATCHDOG=1");
}

uint64_t daqd_notify_watchdog_usec(void)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	return usec;
}
#else
void daqd_notify_ready(const char *status)
{
	(void)status;
}

void daqd_notify_status(const char *status)
{
	(void)status;
}

void daqd_notify_stopping(void)
{
}

void daqd_notify_watchdog(void)
{
}

uint64_t daqd_notify_watchdog_usec(void)
{
	return 0;
}
#endif
