/* SPDX-License-Identifier: GPL-2.0-or-later */
/* File descriptor I/O helpers shared by daqd and its clients. */
#ifndef DAQD_FDIO_H
#define DAQD_FDIO_H

#include <stddef.h>

/*
 * daqd_write_all() - Write all @len bytes of @buf to @fd, retrying short
 * writes and EINTR (a signal must not cut a file, pipe or socket write
 * short). A caller writing to a pipe or socket ignores SIGPIPE, so that a
 * reader gone away is -EPIPE here.
 * Return: 0, or -errno of the failing write (e.g. -ENOSPC, -EPIPE).
 */
int daqd_write_all(int fd, const void *buf, size_t len);

#endif /* DAQD_FDIO_H */
