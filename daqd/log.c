// SPDX-License-Identifier: GPL-2.0-or-later
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/*
 * Process-wide by nature: there is one stderr. The lock keeps a log line
 * and the status line from interleaving.
 */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static bool status_shown;

static const char *const level_names[] = { "error", "warning", "info" };

void daqd_log(enum daqd_log_level level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&log_lock);
	if (status_shown) {
		fputs("\r\033[K", stderr);
		status_shown = false;
	}
	if (level == DAQD_LOG_INFO)
		fprintf(stderr, "daqd: %s\n", buf);
	else
		fprintf(stderr, "daqd: %s: %s\n", level_names[level], buf);
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
}

void daqd_log_status_line(const char *text)
{
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "\r\033[K%s", text);
	fflush(stderr);
	status_shown = true;
	pthread_mutex_unlock(&log_lock);
}

void daqd_log_status_end(void)
{
	pthread_mutex_lock(&log_lock);
	if (status_shown)
		fputc('\n', stderr);
	status_shown = false;
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
}
