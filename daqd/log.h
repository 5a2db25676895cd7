/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * daqd logging to stderr, safe from every thread. When the live status line
 * is on (a terminal, not --quiet), a message first clears that line so the
 * two never interleave mid-line.
 */
#ifndef DAQD_LOG_H
#define DAQD_LOG_H

#include <stdbool.h>

enum daqd_log_level {
	DAQD_LOG_ERR,
	DAQD_LOG_WARN,
	DAQD_LOG_INFO,
};

void daqd_log(enum daqd_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * daqd_log_status_line() - Replace the live status line with @text (a
 * terminal only). daqd_log_status_end() moves past it for good.
 */
void daqd_log_status_line(const char *text);
void daqd_log_status_end(void);

#endif /* DAQD_LOG_H */
