/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The private header of the _uio_daq extension module: the object types
 * each file defines, and the error helpers they share. Only the library's
 * public API (the uio_daq/ headers) is used underneath.
 */
#ifndef PYUDAQ_H
#define PYUDAQ_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pythread.h>

#include <stdbool.h>
#include <stdint.h>

#include <uio_daq/digitizer.h>
#include <uio_daq/uio_daq.h>

/* A device and the context it was opened from (module device.c). */
typedef struct {
	PyObject_HEAD
	struct udaq_ctx *ctx;
	struct udaq_dev *dev;
	PyObject *spec;		/* str */
	Py_ssize_t users;	/* digitizers on it not closed by their user */
	Py_ssize_t views;	/* live buffer views into its maps */
	bool closing;		/* closed by its user; unmapped once views is 0 */
} DeviceObject;

/* A digitizer bound to a device (digitizer.c). */
typedef struct {
	PyObject_HEAD
	DeviceObject *device;	/* strong */
	struct udaq_digitizer *dg;
	PyThread_type_lock wait_lock;	/* udaq_digitizer_wait is one thread */
	Py_ssize_t users;	/* open readers */
	Py_ssize_t views;	/* live buffer views into its ring */
	bool closing;		/* closed by its user; freed once views is 0 */
} DigitizerObject;

struct BatchObject;

/*
 * The batches a reader handed out and has not given back to the ring yet,
 * oldest first. The ring takes bytes back only in order, so a batch done
 * with (released, or left behind by the next one) is given back once every
 * older one is and no view of it is alive.
 */
#define PYUDAQ_PENDING	8

struct pyudaq_pending {
	struct BatchObject *obj;	/* borrowed; NULL once the object died */
	uint64_t pos;
	size_t bytes;
	size_t nframes;
	size_t payload_bytes;
	bool done;
};

/* A reader of a digitizer's ring (reader.c). */
typedef struct {
	PyObject_HEAD
	DigitizerObject *digitizer;	/* strong */
	struct udaq_reader *rd;
	bool lossy;
	size_t max_frames;
	size_t max_payload;
	size_t max_lag;
	struct pyudaq_pending pending[PYUDAQ_PENDING];
	uint64_t head, tail;	/* pending[head..tail) mod PYUDAQ_PENDING */
	bool busy;		/* a thread is in next_batch() (it may wait) */
	bool know_next;		/* next_sample is meaningful */
	uint64_t next_sample;	/* device index past the last batch */
	uint64_t batches;
	uint64_t lost_samples;
} ReaderObject;

/* Frames of one reader, peeked at once (batch.c). */
typedef struct BatchObject {
	PyObject_HEAD
	ReaderObject *reader;	/* strong */
	struct udaq_frame_batch b;	/* pos, bytes, payload_bytes, lost_bytes */
	struct udaq_frame *frames;	/* b.frames, b.nframes of them */
	uint64_t id;		/* its entry in reader->pending */
	uint64_t lost_samples;	/* device samples missing before this batch */
	Py_ssize_t exports;	/* live buffer views */
	bool released;		/* no new view: release()d or left behind */
	bool returned;		/* its bytes went back to the ring (or were lost) */
	bool overrun;		/* lost to the device before it was given back */
	Py_ssize_t shape[3];
	Py_ssize_t strides[3];
} BatchObject;

extern PyTypeObject Device_Type;
extern PyTypeObject Digitizer_Type;
extern PyTypeObject Reader_Type;
extern PyTypeObject Batch_Type;
extern PyTypeObject StreamClient_Type;

/* errors.c: raise for a negative errno from call @what. Return NULL. */
PyObject *pyudaq_err(int neg_errno, const char *what);
/* errors.c: a Python int as a bounded unsigned value, naming @name. */
int pyudaq_u64(PyObject *o, const char *name, uint64_t max, uint64_t *out);

/* batch.c: a batch of @nframes frames from @frames (copied), entry @id. */
BatchObject *pyudaq_batch_new(ReaderObject *rd, const struct udaq_frame *frames,
			      size_t nframes, uint64_t lost_bytes, uint64_t lost_samples,
			      uint64_t id);

/* reader.c: give back to the ring what is done with, in order. */
void pyudaq_reader_flush(ReaderObject *rd);
/* reader.c: the pending entry of @id, or NULL once given back. */
struct pyudaq_pending *pyudaq_reader_pending(ReaderObject *rd, uint64_t id);

/* device.c: a view into @dev's maps appeared / went (unmaps a closed one). */
void pyudaq_device_view(DeviceObject *dev, int delta);

/* device.c: list_devices() */
PyObject *pyudaq_list_devices(PyObject *mod, PyObject *args, PyObject *kw);

/*
 * digitizer.c: a view into @d's ring appeared / went; a closed digitizer
 * (then a closed device) is freed with its last one.
 */
void pyudaq_digitizer_view(DigitizerObject *d, int delta);
/* digitizer.c: wait with the GIL released (one waiter at a time). */
int pyudaq_digitizer_wait(DigitizerObject *d, int timeout_ms);
/* digitizer.c: raise if closed; return the handle. */
struct udaq_digitizer *pyudaq_digitizer_get(DigitizerObject *d);

#endif /* PYUDAQ_H */
