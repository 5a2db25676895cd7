/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the command-line tools (lsdaq, daqctl, daqcat) share. Internal to
 * tools/: not installed, no API promise; a helper goes here only when more
 * than one tool uses it. Conventions every tool follows: messages go to
 * stderr as "TOOL: what: why", and exit status 2 means bad usage.
 */
#ifndef UIO_DAQ_TOOLS_INTERNAL_H
#define UIO_DAQ_TOOLS_INTERNAL_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

/*
 * tools_parse_u64() - Parse @s as a whole decimal number no larger than
 * @max into @out (strtoull's syntax, but no leading minus sign and nothing
 * after the digits). Return: 0, or -EINVAL with @out untouched.
 */
static inline int tools_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (!*s || *s == '-')
		return -EINVAL;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

#endif /* UIO_DAQ_TOOLS_INTERNAL_H */
