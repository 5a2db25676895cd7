/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * systemd notifications (sd_notify): READY, STATUS, WATCHDOG, STOPPING.
 * Without libsystemd (meson -Dsystemd=disabled) these do nothing, so the
 * daemon has no #ifdefs elsewhere.
 */
#ifndef DAQD_NOTIFY_H
#define DAQD_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

void daqd_notify_ready(const char *status);
void daqd_notify_status(const char *status);
void daqd_notify_stopping(void);
void daqd_notify_watchdog(void);
/* Watchdog interval in microseconds asked for by the unit, or 0. */
uint64_t daqd_notify_watchdog_usec(void);

#endif /* DAQD_NOTIFY_H */
