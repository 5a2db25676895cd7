/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daqd stream wire format (docs/stream-protocol.md): encoders and
 * strict decoders, shared by the stream server and daqcat. Pure functions
 * over byte buffers: no I/O, no allocation, no state, so every malformed
 * message can be unit tested. All multi-byte fields are little-endian on
 * the wire whatever the host's byte order.
 *
 * Decoders return 0 or a negative errno (-EPROTO for a malformed message,
 * -EMSGSIZE for a length out of bounds) and, when @err is not NULL, write a
 * one-line reason naming the bad field into it.
 */
#ifndef DAQD_STREAM_PROTO_H
#define DAQD_STREAM_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DQS_MAGIC		0x31535144u	/* "DQS1" */
#define DQS_VERSION_MAJOR	1
#define DQS_VERSION_MINOR	1	/* 1.1: TRIGGER, for clients that ask for 1.1 */
#define DQS_HDR_LEN		16

enum dqs_type {
	DQS_HELLO	= 0x0001,
	DQS_DATA	= 0x0002,
	DQS_COMMIT	= 0x0003,
	DQS_ABORT	= 0x0004,
	DQS_GAP		= 0x0005,
	DQS_END		= 0x0006,
	DQS_ERROR	= 0x0007,
	DQS_TRIGGER	= 0x0008,	/* 1.1 */
	DQS_REQUEST	= 0x0101,
};

/* Body sizes (fixed parts) and limits. */
#define DQS_REQUEST_LEN		16
#define DQS_HELLO_FIXED_LEN	64
#define DQS_HELLO_STR_MAX	255
#define DQS_HELLO_NSTR		3
#define DQS_HELLO_MAX_LEN	(DQS_HELLO_FIXED_LEN + DQS_HELLO_NSTR * (1 + DQS_HELLO_STR_MAX))
#define DQS_DATA_FIXED_LEN	32
#define DQS_DATA_MAX_SAMPLES	(1u << 24)
#define DQS_DATA_MAX_BODY	(64u << 20)
#define DQS_COMMIT_LEN		8
#define DQS_GAP_LEN		24
#define DQS_END_LEN		16
#define DQS_ERROR_FIXED_LEN	4
#define DQS_ERROR_TEXT_MAX	200
#define DQS_TRIGGER_FIXED_LEN	64
#define DQS_TRIGGER_NAME_MAX	32
#define DQS_TRIGGER_MAX_BYTES	(DQS_HDR_LEN + DQS_TRIGGER_FIXED_LEN + 1 + DQS_TRIGGER_NAME_MAX)
#define DQS_TRIGGER_FLAG_COMPLETE	(1u << 0)	/* the window was all produced */
#define DQS_MAX_CHANNELS	32
#define DQS_MAX_DECIMATION	65536u

/* Bytes a whole encoded message of fixed size takes (header included). */
#define DQS_DATA_HDR_BYTES	(DQS_HDR_LEN + DQS_DATA_FIXED_LEN)
#define DQS_COMMIT_BYTES	(DQS_HDR_LEN + DQS_COMMIT_LEN)
#define DQS_GAP_BYTES		(DQS_HDR_LEN + DQS_GAP_LEN)
#define DQS_END_BYTES		(DQS_HDR_LEN + DQS_END_LEN)
#define DQS_REQUEST_BYTES	(DQS_HDR_LEN + DQS_REQUEST_LEN)
#define DQS_ERROR_MAX_BYTES	(DQS_HDR_LEN + DQS_ERROR_FIXED_LEN + DQS_ERROR_TEXT_MAX)

#define DQS_FORMAT_I16LE	0
#define DQS_DATA_FLAG_TEST	(1u << 0)	/* samples are the test pattern */

enum dqs_gap_reason {
	DQS_GAP_CLIENT_SLOW	= 1,
	DQS_GAP_DEVICE_OVERFLOW	= 2,
};

enum dqs_end_reason {
	DQS_END_STOPPED		= 1,
	DQS_END_SHUTDOWN	= 2,
	DQS_END_DEVICE_ERROR	= 3,
};

struct dqs_hdr {
	uint16_t type;
	uint32_t body_len;
};

struct dqs_request {
	uint16_t version;
	uint16_t minor;
	uint32_t chan_mask;		/* 0 = every channel */
	uint32_t decimation;		/* >= 1 */
};

struct dqs_hello {
	uint16_t version;
	uint16_t minor;
	uint32_t sample_rate;		/* Hz per channel, 0 = free-running */
	uint32_t decimation;
	uint32_t dev_chan_mask;
	uint32_t chan_mask;
	uint16_t nchan;
	uint16_t format;		/* DQS_FORMAT_* */
	uint16_t sample_bits;
	uint32_t max_pending;
	uint64_t acq_id;
	uint64_t start_sample;
	int64_t start_unix_ns;		/* wall clock of device sample 0 */
	char device[DQS_HELLO_STR_MAX + 1];
	char datatype[DQS_HELLO_STR_MAX + 1];
	char server[DQS_HELLO_STR_MAX + 1];
};

struct dqs_data {
	uint64_t seq;
	uint64_t first_sample;
	uint64_t timestamp_ns;
	uint32_t nsamples;
	uint16_t nchan;
	uint16_t flags;			/* DQS_DATA_FLAG_* */
	const void *samples;		/* decode: points into the body */
};

struct dqs_gap {
	uint64_t first_sample;
	uint64_t nsamples;
	uint32_t reason;		/* enum dqs_gap_reason */
};

struct dqs_end {
	uint64_t end_sample;
	uint32_t reason;		/* enum dqs_end_reason */
};

/*
 * A trigger event (docs/triggers.md): its recording is on the server, in
 * the trigger's directory. Counts are samples per channel.
 */
struct dqs_trigger {
	uint64_t acq_id;
	uint64_t seq;			/* event number of this trigger, from 0 */
	uint64_t index;			/* device sample of the trigger */
	uint64_t first_sample;		/* device index of the file's first sample */
	uint64_t nsamples;		/* samples in the event's file */
	uint64_t history_lost;		/* of the pre-trigger window */
	uint64_t lost;			/* of the whole window */
	uint32_t flags;			/* DQS_TRIGGER_FLAG_* */
	uint8_t channel;
	uint8_t condition;		/* daqd's enum daqd_trig_cond, 0..6 */
	char name[DQS_TRIGGER_NAME_MAX + 1];
};

struct dqs_error {
	uint32_t code;			/* positive errno */
	char text[DQS_ERROR_TEXT_MAX + 1];
};

/* Human-readable names for logs ("DATA", "GAP", ...; "?" if unknown). */
const char *dqs_type_name(uint16_t type);
const char *dqs_gap_reason_name(uint32_t reason);
const char *dqs_end_reason_name(uint32_t reason);

/* ---- Encoders: return bytes written, or -ENOSPC / -EINVAL. ---------- */

/* Header only, for a body of @body_len bytes the caller sends itself. */
void dqs_encode_hdr(uint8_t out[DQS_HDR_LEN], uint16_t type, uint32_t body_len);
int dqs_encode_request(uint8_t *out, size_t cap, const struct dqs_request *rq);
/* -EINVAL for a string longer than DQS_HELLO_STR_MAX. */
int dqs_encode_hello(uint8_t *out, size_t cap, const struct dqs_hello *h);
/*
 * Header and fixed part of a DATA message (DQS_DATA_HDR_BYTES); the
 * nsamples * nchan * 2 sample bytes follow, sent by the caller (from the
 * ring, zero-copy). @d->samples is ignored.
 */
void dqs_encode_data_hdr(uint8_t out[DQS_DATA_HDR_BYTES], const struct dqs_data *d);
void dqs_encode_commit(uint8_t out[DQS_COMMIT_BYTES], uint64_t data_msgs);
void dqs_encode_abort(uint8_t out[DQS_COMMIT_BYTES], uint64_t data_msgs);
void dqs_encode_gap(uint8_t out[DQS_GAP_BYTES], const struct dqs_gap *g);
void dqs_encode_end(uint8_t out[DQS_END_BYTES], const struct dqs_end *e);
/* -EINVAL for an empty name or one longer than DQS_TRIGGER_NAME_MAX. */
int dqs_encode_trigger(uint8_t *out, size_t cap, const struct dqs_trigger *t);
/* Text longer than DQS_ERROR_TEXT_MAX is cut (at a byte boundary). */
int dqs_encode_error(uint8_t *out, size_t cap, uint32_t code, const char *text);

/* ---- Decoders ------------------------------------------------------- */

/*
 * dqs_decode_hdr() - Validate a 16-byte header: magic, known type, zero
 * flags and reserved field, body length within the bounds of its type.
 * Return: 0, -EPROTO, -EMSGSIZE.
 */
int dqs_decode_hdr(const uint8_t in[DQS_HDR_LEN], struct dqs_hdr *h,
		   char *err, size_t errlen);

/* Bodies: @body/@len is exactly the body the header announced. */
int dqs_decode_request(const uint8_t *body, size_t len, struct dqs_request *rq,
		       char *err, size_t errlen);
int dqs_decode_hello(const uint8_t *body, size_t len, struct dqs_hello *h,
		     char *err, size_t errlen);
/* Checks body length == 32 + nsamples * nchan * 2; samples point into @body. */
int dqs_decode_data(const uint8_t *body, size_t len, struct dqs_data *d,
		    char *err, size_t errlen);
int dqs_decode_commit(const uint8_t *body, size_t len, uint64_t *data_msgs,
		      char *err, size_t errlen);
int dqs_decode_gap(const uint8_t *body, size_t len, struct dqs_gap *g,
		   char *err, size_t errlen);
int dqs_decode_end(const uint8_t *body, size_t len, struct dqs_end *e,
		   char *err, size_t errlen);
int dqs_decode_trigger(const uint8_t *body, size_t len, struct dqs_trigger *t,
		       char *err, size_t errlen);
int dqs_decode_error(const uint8_t *body, size_t len, struct dqs_error *e,
		     char *err, size_t errlen);

/* Bytes of samples a DATA message of @nsamples x @nchan carries. */
static inline uint64_t dqs_data_payload_len(uint32_t nsamples, uint16_t nchan)
{
	return (uint64_t)nsamples * nchan * 2u;
}

#endif /* DAQD_STREAM_PROTO_H */
