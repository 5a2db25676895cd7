/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * uio_daq._uio_daq.StreamClient: libdaqstream's client (connect, REQUEST,
 * COMMIT/ABORT handling) and its verifier, as events for the pure-Python
 * uio_daq.stream module. Waits release the GIL.
 */
#include "pyudaq.h"

#include <errno.h>

#include "stream_client.h"
#include "stream_verify.h"

typedef struct {
	PyObject_HEAD
	struct dqs_client *c;
	struct dqs_verify v;
	bool verify;
	bool verifying;		/* a HELLO started the verifier */
} StreamClientObject;

static int StreamClient_init(StreamClientObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "addr", "chan_mask", "decimation", "timeout", "verify", NULL };
	struct dqs_request rq = { 0 };
	PyObject *mask = NULL, *dec = NULL;
	double timeout = 0;
	const char *addr;
	char err[256] = "";
	uint64_t v;
	int verify = 0, ret, ms;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "s|$OOdp:StreamClient", kwlist,
					 &addr, &mask, &dec, &timeout, &verify))
		return -1;
	if (self->c) {
		PyErr_SetString(PyExc_RuntimeError, "StreamClient is already connected");
		return -1;
	}
	rq.decimation = 1;
	if (mask) {
		if (pyudaq_u64(mask, "chan_mask", UINT32_MAX, &v))
			return -1;
		rq.chan_mask = (uint32_t)v;
	}
	if (dec) {
		if (pyudaq_u64(dec, "decimation", DQS_MAX_DECIMATION, &v))
			return -1;
		if (v < 1) {
			PyErr_SetString(PyExc_ValueError, "decimation must be at least 1");
			return -1;
		}
		rq.decimation = (uint32_t)v;
	}
	if (!(timeout >= 0) || timeout > 86400) {
		PyErr_SetString(PyExc_ValueError, "timeout must be between 0 and 86400 seconds");
		return -1;
	}
	ms = (int)(timeout * 1000 + 0.5);
	if (timeout > 0 && ms == 0)
		ms = 1;
	Py_BEGIN_ALLOW_THREADS
	ret = dqs_client_connect(addr, &rq, ms, &self->c, err, sizeof(err));
	Py_END_ALLOW_THREADS
	if (ret) {
		self->c = NULL;
		if (ret == -EINVAL)
			PyErr_Format(PyExc_ValueError, "%s", err);
		else
			PyErr_Format(ret == -ETIMEDOUT ? PyExc_TimeoutError :
				     ret == -ECONNREFUSED ? PyExc_ConnectionRefusedError :
				     ret == -ENOENT ? PyExc_FileNotFoundError : PyExc_OSError,
				     "connecting to %s: %s", addr, err);
		return -1;
	}
	self->verify = verify;
	return 0;
}

static void StreamClient_dealloc(StreamClientObject *self)
{
	dqs_client_close(self->c);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *StreamClient_close(StreamClientObject *self, PyObject *unused)
{
	dqs_client_close(self->c);
	self->c = NULL;
	Py_RETURN_NONE;
}

static PyObject *hello_dict(const struct dqs_hello *h)
{
	return Py_BuildValue("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:K,s:L,s:s,s:s,s:s}",
		"version", (unsigned int)h->version, "minor", (unsigned int)h->minor,
		"sample_rate", h->sample_rate, "decimation", h->decimation,
		"dev_chan_mask", h->dev_chan_mask, "chan_mask", h->chan_mask,
		"nchan", (unsigned int)h->nchan, "format", (unsigned int)h->format,
		"sample_bits", (unsigned int)h->sample_bits,
		"acq_id", (unsigned long long)h->acq_id,
		"start_unix_ns", (long long)h->start_unix_ns,
		"device", h->device, "datatype", h->datatype, "server", h->server);
}

static PyObject *StreamClient_next(StreamClientObject *self, PyObject *unused)
{
	struct dqs_event ev;
	char err[256] = "";
	int ret;

	if (!self->c) {
		PyErr_SetString(PyExc_ValueError, "operation on a closed StreamClient");
		return NULL;
	}
	for (;;) {
		Py_BEGIN_ALLOW_THREADS
		ret = dqs_client_next(self->c, &ev, err, sizeof(err));
		Py_END_ALLOW_THREADS
		if (ret != -EINTR)
			break;
		if (PyErr_CheckSignals())
			return NULL;
	}
	if (ret) {
		PyErr_Format(ret == -ETIMEDOUT ? PyExc_TimeoutError :
			     ret == -ECONNREFUSED ? PyExc_ConnectionRefusedError :
			     PyExc_OSError, "stream: %s", err);
		return NULL;
	}
	switch (ev.type) {
	case DQS_EV_HELLO:
		if (self->verify) {
			dqs_verify_start(&self->v, ev.hello, true);
			self->verifying = true;
		}
		return Py_BuildValue("(sN)", "hello", hello_dict(ev.hello));
	case DQS_EV_DATA:
		if (self->verifying)
			dqs_verify_data(&self->v, &ev.data);
		return Py_BuildValue("(sKKKIIy#)", "data",
			(unsigned long long)ev.data.first_sample,
			(unsigned long long)ev.data.timestamp_ns,
			(unsigned long long)ev.data.seq,
			(unsigned int)ev.data.nchan, (unsigned int)ev.data.flags,
			(const char *)ev.data.samples,
			(Py_ssize_t)ev.data.nsamples * ev.data.nchan * 2);
	case DQS_EV_GAP:
		if (self->verifying)
			dqs_verify_gap(&self->v, &ev.gap);
		return Py_BuildValue("(sKKI)", "gap", (unsigned long long)ev.gap.first_sample,
				     (unsigned long long)ev.gap.nsamples, ev.gap.reason);
	case DQS_EV_END:
		if (self->verifying)
			dqs_verify_end(&self->v, &ev.end);
		return Py_BuildValue("(sKI)", "end", (unsigned long long)ev.end.end_sample,
				     ev.end.reason);
	case DQS_EV_EOF:
	default:
		return Py_BuildValue("(s)", "eof");
	}
}

static PyObject *StreamClient_verify_stats(StreamClientObject *self, PyObject *unused)
{
	const struct dqs_verify *v = &self->v;

	if (!self->verifying)
		Py_RETURN_NONE;
	return Py_BuildValue("{s:K,s:K,s:K,s:K,s:K,s:K,s:K,s:K,s:s}",
		"data_msgs", (unsigned long long)v->data_msgs,
		"samples", (unsigned long long)v->samples,
		"gaps", (unsigned long long)v->gaps,
		"gap_samples_client_slow", (unsigned long long)v->gap_samples[DQS_GAP_CLIENT_SLOW],
		"gap_samples_device_overflow",
		(unsigned long long)v->gap_samples[DQS_GAP_DEVICE_OVERFLOW],
		"bad_samples", (unsigned long long)v->bad_samples,
		"bad_sequence", (unsigned long long)v->bad_sequence,
		"errors", (unsigned long long)dqs_verify_errors(v),
		"first_error", v->first_error);
}

static PyObject *StreamClient_get_bytes(StreamClientObject *self, void *c)
{
	return PyLong_FromUnsignedLongLong(self->c ? dqs_client_bytes(self->c) : 0);
}

static PyObject *StreamClient_get_aborted(StreamClientObject *self, void *c)
{
	return PyLong_FromUnsignedLongLong(self->c ? dqs_client_aborted(self->c) : 0);
}

static PyMethodDef StreamClient_methods[] = {
	{ "next_event", (PyCFunction)StreamClient_next, METH_NOARGS,
	  "next_event()\n--\n\nWait (GIL released) for the next event: ('hello', dict), "
	  "('data', first_sample, timestamp_ns, seq, nchan, flags, bytes), "
	  "('gap', first_sample, nsamples, reason), ('end', end_sample, reason) or ('eof',)." },
	{ "verify_stats", (PyCFunction)StreamClient_verify_stats, METH_NOARGS,
	  "verify_stats()\n--\n\nThe verifier's counters (None unless verify=True and a "
	  "HELLO came)." },
	{ "close", (PyCFunction)StreamClient_close, METH_NOARGS, "close()\n--\n\nDisconnect." },
	{ NULL }
};

static PyGetSetDef StreamClient_getset[] = {
	{ "bytes_received", (getter)StreamClient_get_bytes, NULL, "Bytes received.", NULL },
	{ "aborted", (getter)StreamClient_get_aborted, NULL,
	  "DATA messages voided by ABORT so far.", NULL },
	{ NULL }
};

PyTypeObject StreamClient_Type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "uio_daq._uio_daq.StreamClient",
	.tp_doc = "StreamClient(addr, *, chan_mask=0, decimation=1, timeout=0, verify=False)\n--\n\n"
		  "The low-level daqd stream client (libdaqstream); use uio_daq.stream.connect().",
	.tp_basicsize = sizeof(StreamClientObject),
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_new = PyType_GenericNew,
	.tp_init = (initproc)StreamClient_init,
	.tp_dealloc = (destructor)StreamClient_dealloc,
	.tp_methods = StreamClient_methods,
	.tp_getset = StreamClient_getset,
};
