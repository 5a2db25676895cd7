/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* uio_daq.Digitizer: configure, start, stop, status, wait, readers. */
#include "pyudaq.h"

#include <errno.h>
#include <string.h>

struct udaq_digitizer *pyudaq_digitizer_get(DigitizerObject *d)
{
	if (!d->dg || d->closing) {
		PyErr_SetString(PyExc_ValueError, "operation on a closed Digitizer");
		return NULL;
	}
	return d->dg;
}

static int Digitizer_init(DigitizerObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "device", NULL };
	DeviceObject *dev;
	int ret;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "O!:Digitizer", kwlist,
					 &Device_Type, &dev))
		return -1;
	if (self->dg || self->closing) {
		PyErr_SetString(PyExc_RuntimeError, "Digitizer is already open");
		return -1;
	}
	if (!dev->dev || dev->closing) {
		PyErr_SetString(PyExc_ValueError, "the Device is closed");
		return -1;
	}
	if (!self->wait_lock && !(self->wait_lock = PyThread_allocate_lock())) {
		PyErr_NoMemory();
		return -1;
	}
	Py_BEGIN_ALLOW_THREADS
	ret = udaq_digitizer_open(dev->dev, &self->dg);
	Py_END_ALLOW_THREADS
	if (ret) {
		self->dg = NULL;
		if (ret == -ENODEV)
			PyErr_Format(PyExc_OSError,
				     "no digitizer driver knows device '%s' (or it is gone)",
				     udaq_dev_name(dev->dev));
		else
			pyudaq_err(ret, "udaq_digitizer_open");
		return -1;
	}
	Py_XSETREF(self->device, (DeviceObject *)Py_NewRef(dev));
	dev->users++;
	return 0;
}

/* Free the driver (the edu driver unmaps its ring then). */
static void digitizer_free(DigitizerObject *self)
{
	if (!self->dg)
		return;
	Py_BEGIN_ALLOW_THREADS
	udaq_digitizer_close(self->dg);
	Py_END_ALLOW_THREADS
	self->dg = NULL;
}

/* Closed for its user; the driver goes once no view of its ring is left. */
static void digitizer_close(DigitizerObject *self)
{
	if (!self->dg || self->closing)
		return;
	self->closing = true;
	self->device->users--;
	if (!self->views)
		digitizer_free(self);
}

void pyudaq_digitizer_view(DigitizerObject *d, int delta)
{
	d->views += delta;
	if (d->views == 0 && d->closing)
		digitizer_free(d);
	pyudaq_device_view(d->device, delta);
}

static void Digitizer_dealloc(DigitizerObject *self)
{
	/* Readers and views hold a reference: none is left now. */
	digitizer_close(self);
	digitizer_free(self);
	if (self->wait_lock)
		PyThread_free_lock(self->wait_lock);
	Py_XDECREF(self->device);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Digitizer_close(DigitizerObject *self, PyObject *unused)
{
	if (self->users) {
		PyErr_Format(PyExc_RuntimeError,
			     "cannot close a Digitizer while %zd Reader(s) of it are open",
			     self->users);
		return NULL;
	}
	digitizer_close(self);
	Py_RETURN_NONE;
}

static PyObject *Digitizer_enter(DigitizerObject *self, PyObject *unused)
{
	if (!pyudaq_digitizer_get(self))
		return NULL;
	return Py_NewRef(self);
}

static PyObject *Digitizer_exit(DigitizerObject *self, PyObject *args)
{
	if (self->dg && !self->closing) {
		Py_BEGIN_ALLOW_THREADS
		udaq_digitizer_stop(self->dg);
		Py_END_ALLOW_THREADS
	}
	return Digitizer_close(self, NULL);
}

/* ---- configure ----------------------------------------------------------- */

static int opt_u32(PyObject *o, const char *name, uint32_t *out)
{
	uint64_t v;

	if (!o)
		return 0;
	if (pyudaq_u64(o, name, UINT32_MAX, &v))
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int channels_mask(PyObject *o, uint32_t *mask)
{
	PyObject *seq, *item;
	Py_ssize_t i, n;
	uint64_t c;

	seq = PySequence_Fast(o, "channels must be a sequence of channel numbers");
	if (!seq)
		return -1;
	n = PySequence_Fast_GET_SIZE(seq);
	*mask = 0;
	for (i = 0; i < n; i++) {
		item = PySequence_Fast_GET_ITEM(seq, i);
		if (pyudaq_u64(item, "a channel number", 31, &c)) {
			Py_DECREF(seq);
			return -1;
		}
		*mask |= 1u << c;
	}
	Py_DECREF(seq);
	return 0;
}

static int parse_policy(PyObject *o, enum udaq_policy *out)
{
	const char *s;

	if (!o)
		return 0;
	if (!PyUnicode_Check(o)) {
		PyErr_Format(PyExc_TypeError, "policy must be 'stop' or 'overwrite', not %.100s",
			     Py_TYPE(o)->tp_name);
		return -1;
	}
	s = PyUnicode_AsUTF8(o);
	if (!s)
		return -1;
	if (!strcmp(s, "stop"))
		*out = UDAQ_POLICY_STOP;
	else if (!strcmp(s, "overwrite"))
		*out = UDAQ_POLICY_OVERWRITE;
	else {
		PyErr_Format(PyExc_ValueError, "policy must be 'stop' or 'overwrite', not '%s'", s);
		return -1;
	}
	return 0;
}

static PyObject *Digitizer_configure(DigitizerObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "sample_rate", "channels", "chan_mask", "frame_samples",
				  "policy", "irq_threshold", "irq_timeout_us",
				  "test_pattern", "freerun", NULL };
	PyObject *rate = NULL, *chans = NULL, *mask = NULL, *fs = NULL, *pol = NULL,
		 *thr = NULL, *tmo = NULL;
	struct udaq_digitizer_config cfg = { 0 };
	struct udaq_digitizer_status st;
	int test = 0, freerun = 0, ret;
	char msg[256];

	if (!PyArg_ParseTupleAndKeywords(args, kw, "|$OOOOOOOpp:configure", kwlist,
					 &rate, &chans, &mask, &fs, &pol, &thr, &tmo,
					 &test, &freerun))
		return NULL;
	if (!pyudaq_digitizer_get(self))
		return NULL;
	if (chans && mask) {
		PyErr_SetString(PyExc_TypeError, "give channels or chan_mask, not both");
		return NULL;
	}
	cfg.chan_mask = udaq_digitizer_caps(self->dg)->num_channels >= 32 ? UINT32_MAX :
			(1u << udaq_digitizer_caps(self->dg)->num_channels) - 1;
	if (opt_u32(rate, "sample_rate", &cfg.sample_rate) ||
	    opt_u32(mask, "chan_mask", &cfg.chan_mask) ||
	    (chans && channels_mask(chans, &cfg.chan_mask)) ||
	    opt_u32(fs, "frame_samples", &cfg.frame_samples) ||
	    parse_policy(pol, &cfg.policy) ||
	    opt_u32(thr, "irq_threshold", &cfg.irq_threshold) ||
	    opt_u32(tmo, "irq_timeout_us", &cfg.irq_timeout_us))
		return NULL;
	cfg.test_pattern = test;
	cfg.freerun = freerun;
	if (udaq_digitizer_status(self->dg, &st) == 0 && st.running) {
		PyErr_SetString(PyExc_RuntimeError, "cannot configure while running: stop() first");
		return NULL;
	}
	if (udaq_digitizer_config_check(self->dg, &cfg, msg, sizeof(msg))) {
		PyErr_Format(PyExc_ValueError, "bad configuration: %s", msg);
		return NULL;
	}
	ret = udaq_digitizer_configure(self->dg, &cfg);
	if (ret == -EBUSY) {
		PyErr_SetString(PyExc_RuntimeError, "cannot configure while running: stop() first");
		return NULL;
	}
	if (ret)
		return pyudaq_err(ret, "udaq_digitizer_configure");
	Py_RETURN_NONE;
}

/* ---- start, stop, reset, wait ------------------------------------------------ */

/* Run @call on the digitizer with the GIL released; its error, as @what's. */
static PyObject *control_call(DigitizerObject *self, int (*call)(struct udaq_digitizer *),
			      const char *what)
{
	int ret;

	if (!pyudaq_digitizer_get(self))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	ret = call(self->dg);
	Py_END_ALLOW_THREADS
	if (call == udaq_digitizer_start && ret == -EBUSY) {
		PyErr_SetString(PyExc_RuntimeError, "the digitizer is already running");
		return NULL;
	}
	if (call == udaq_digitizer_start && ret == -EINVAL) {
		PyErr_SetString(PyExc_RuntimeError,
				"cannot start: configure() first (or the device refused the configuration)");
		return NULL;
	}
	if (ret)
		return pyudaq_err(ret, what);
	Py_RETURN_NONE;
}

static PyObject *Digitizer_start(DigitizerObject *self, PyObject *unused)
{
	return control_call(self, udaq_digitizer_start, "udaq_digitizer_start");
}

static PyObject *Digitizer_stop(DigitizerObject *self, PyObject *unused)
{
	return control_call(self, udaq_digitizer_stop, "udaq_digitizer_stop");
}

static PyObject *Digitizer_reset(DigitizerObject *self, PyObject *unused)
{
	return control_call(self, udaq_digitizer_reset, "udaq_digitizer_reset");
}

int pyudaq_digitizer_wait(DigitizerObject *d, int timeout_ms)
{
	int ret;

	Py_BEGIN_ALLOW_THREADS
	PyThread_acquire_lock(d->wait_lock, WAIT_LOCK);
	ret = udaq_digitizer_wait(d->dg, timeout_ms);
	PyThread_release_lock(d->wait_lock);
	Py_END_ALLOW_THREADS
	return ret;
}

/* A timeout in seconds (None: forever) as milliseconds (-1: forever). */
static int timeout_ms(PyObject *o, int *ms)
{
	double s;

	if (!o || o == Py_None) {
		*ms = -1;
		return 0;
	}
	s = PyFloat_AsDouble(o);
	if (s == -1.0 && PyErr_Occurred()) {
		PyErr_SetString(PyExc_TypeError, "timeout must be a number of seconds or None");
		return -1;
	}
	if (!(s >= 0) || s > 86400.0 * 24) {
		PyErr_SetString(PyExc_ValueError, "timeout must be between 0 and 24 days, or None");
		return -1;
	}
	*ms = (int)(s * 1000.0 + 0.5);
	return 0;
}

static PyObject *Digitizer_wait(DigitizerObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "timeout", NULL };
	PyObject *t = NULL;
	int ms, ret;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:wait", kwlist, &t))
		return NULL;
	if (!pyudaq_digitizer_get(self) || timeout_ms(t, &ms))
		return NULL;
	ret = pyudaq_digitizer_wait(self, ms);
	if (ret == -EINTR) {
		if (PyErr_CheckSignals())
			return NULL;
		Py_RETURN_FALSE;
	}
	if (ret < 0)
		return pyudaq_err(ret, "udaq_digitizer_wait");
	return PyBool_FromLong(ret);
}

/* ---- status, caps -------------------------------------------------------- */

static PyObject *Digitizer_status(DigitizerObject *self, PyObject *unused)
{
	struct udaq_digitizer_status st;
	int ret;

	if (!pyudaq_digitizer_get(self))
		return NULL;
	ret = udaq_digitizer_status(self->dg, &st);
	if (ret)
		return pyudaq_err(ret, "udaq_digitizer_status");
	return Py_BuildValue("{s:O,s:O,s:O,s:O,s:O,s:O,s:K,s:K,s:K,s:K,s:K,s:K}",
		"running", st.running ? Py_True : Py_False,
		"ring_full", st.ring_full ? Py_True : Py_False,
		"err_dma", st.err_dma ? Py_True : Py_False,
		"err_overflow", st.err_overflow ? Py_True : Py_False,
		"err_config", st.err_config ? Py_True : Py_False,
		"gone", st.gone ? Py_True : Py_False,
		"wr_ptr", (unsigned long long)st.wr_ptr,
		"rd_ptr", (unsigned long long)st.rd_ptr,
		"frames", (unsigned long long)st.frames,
		"lost_samples", (unsigned long long)st.lost_samples,
		"irqs", (unsigned long long)st.irqs,
		"irqs_missed", (unsigned long long)st.irqs_missed);
}

static PyObject *Digitizer_get_caps(DigitizerObject *self, void *c)
{
	const struct udaq_digitizer_caps *cp;

	if (!pyudaq_digitizer_get(self))
		return NULL;
	cp = udaq_digitizer_caps(self->dg);
	return Py_BuildValue("{s:s,s:I,s:I,s:I,s:I,s:O,s:O,s:n}",
		"model", cp->model, "version", cp->version,
		"num_channels", cp->num_channels, "sample_bits", cp->sample_bits,
		"max_rate", cp->max_rate,
		"overwrite", cp->overwrite ? Py_True : Py_False,
		"test_pattern", cp->test_pattern ? Py_True : Py_False,
		"ring_size", (Py_ssize_t)cp->ring_size);
}

static PyObject *Digitizer_get_frame_len(DigitizerObject *self, void *c)
{
	if (!pyudaq_digitizer_get(self))
		return NULL;
	return PyLong_FromSize_t(udaq_digitizer_frame_len(self->dg));
}

static PyObject *Digitizer_get_frame_samples(DigitizerObject *self, void *c)
{
	if (!pyudaq_digitizer_get(self))
		return NULL;
	return PyLong_FromUnsignedLong(udaq_digitizer_frame_samples(self->dg));
}

static PyObject *Digitizer_get_device(DigitizerObject *self, void *c)
{
	return Py_NewRef(self->device ? (PyObject *)self->device : Py_None);
}

static PyObject *Digitizer_get_closed(DigitizerObject *self, void *c)
{
	return PyBool_FromLong(!self->dg || self->closing);
}

static PyMethodDef Digitizer_methods[] = {
	{ "configure", (PyCFunction)(void (*)(void))Digitizer_configure,
	  METH_VARARGS | METH_KEYWORDS,
	  "configure(*, sample_rate=0, channels=None, chan_mask=None, frame_samples=0,\n"
	  "          policy='stop', irq_threshold=0, irq_timeout_us=0,\n"
	  "          test_pattern=False, freerun=False)\n--\n\n"
	  "Validate and apply the acquisition settings (only while stopped). "
	  "channels is a list of channel numbers, chan_mask the same as a bit mask "
	  "(default: every channel). Zero fields take the driver's defaults. "
	  "policy 'stop' makes the device wait for lossless readers, 'overwrite' "
	  "never waits. Raises ValueError naming the bad setting." },
	{ "start", (PyCFunction)Digitizer_start, METH_NOARGS,
	  "start()\n--\n\nStart an acquisition: positions restart at 0 and every "
	  "reader moves there." },
	{ "stop", (PyCFunction)Digitizer_stop, METH_NOARGS,
	  "stop()\n--\n\nStop the acquisition (waits for the device; GIL released)." },
	{ "reset", (PyCFunction)Digitizer_reset, METH_NOARGS,
	  "reset()\n--\n\nSoft-reset the device (the configuration is kept)." },
	{ "wait", (PyCFunction)(void (*)(void))Digitizer_wait, METH_VARARGS | METH_KEYWORDS,
	  "wait(timeout=None)\n--\n\nWait (GIL released) for the device to signal data "
	  "or an error. Returns True if it did, False on timeout. Readers call this "
	  "themselves; call it only if you poll readers without waiting." },
	{ "status", (PyCFunction)Digitizer_status, METH_NOARGS,
	  "status()\n--\n\nA dict: running, ring_full, err_dma, err_overflow, err_config, "
	  "gone, wr_ptr, rd_ptr, frames, lost_samples (per channel, dropped by the "
	  "device), irqs, irqs_missed." },
	{ "close", (PyCFunction)Digitizer_close, METH_NOARGS,
	  "close()\n--\n\nStop the device and free the driver (readers must be closed "
	  "first)." },
	{ "__enter__", (PyCFunction)Digitizer_enter, METH_NOARGS, "Return the digitizer." },
	{ "__exit__", (PyCFunction)Digitizer_exit, METH_VARARGS, "Stop and close." },
	{ NULL }
};

static PyGetSetDef Digitizer_getset[] = {
	{ "caps", (getter)Digitizer_get_caps, NULL,
	  "A dict: model, version, num_channels, sample_bits, max_rate, overwrite, "
	  "test_pattern, ring_size.", NULL },
	{ "frame_len", (getter)Digitizer_get_frame_len, NULL,
	  "Bytes per frame in the ring with the current configuration (0 before).", NULL },
	{ "frame_samples", (getter)Digitizer_get_frame_samples, NULL,
	  "Samples per channel in every frame (0 before configure).", NULL },
	{ "device", (getter)Digitizer_get_device, NULL, "The Device underneath.", NULL },
	{ "closed", (getter)Digitizer_get_closed, NULL, "True once closed.", NULL },
	{ NULL }
};

PyTypeObject Digitizer_Type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "uio_daq._uio_daq.Digitizer",
	.tp_doc = "Digitizer(device)\n--\n\nBind the device's driver (refdaq, edu, the "
		  "simulator): configure(), start(), stop(), status(), and readers "
		  "(uio_daq.Reader) over its DMA ring. A context manager: leaving the "
		  "block stops and closes it.",
	.tp_basicsize = sizeof(DigitizerObject),
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_new = PyType_GenericNew,
	.tp_init = (initproc)Digitizer_init,
	.tp_dealloc = (destructor)Digitizer_dealloc,
	.tp_methods = Digitizer_methods,
	.tp_getset = Digitizer_getset,
};
