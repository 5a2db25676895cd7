/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private to libuio_daq: little-endian fields in memory the device or the
 * stub shares with us (frames, the descriptor map). Both formats are
 * little-endian whatever the host, and a field need not be aligned (the
 * ring is only 8-byte aligned at frame starts): memcpy makes any offset
 * safe and compiles to a plain load or store.
 */
#ifndef UIO_DAQ_LE_H
#define UIO_DAQ_LE_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t get16(const unsigned char *p, size_t off)
{
	uint16_t v;

	memcpy(&v, p + off, sizeof(v));
	return le16toh(v);
}

static inline uint32_t get32(const unsigned char *p, size_t off)
{
	uint32_t v;

	memcpy(&v, p + off, sizeof(v));
	return le32toh(v);
}

static inline uint64_t get64(const unsigned char *p, size_t off)
{
	uint64_t v;

	memcpy(&v, p + off, sizeof(v));
	return le64toh(v);
}

static inline void put16(unsigned char *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, sizeof(v));
}

static inline void put32(unsigned char *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

static inline void put64(unsigned char *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

#endif /* UIO_DAQ_LE_H */
