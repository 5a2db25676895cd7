/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * uio_daq.Reader: a lossless or lossy reader of a digitizer's ring that
 * hands out frame batches (batch.c). Asking for the next batch releases the
 * previous one; the waits in between release the GIL.
 */
#include "pyudaq.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

/* The most a wait holds the GIL away from signal handlers. */
#define WAIT_SLICE_MS	100

static int reader_ok(ReaderObject *self)
{
	if (!self->rd) {
		PyErr_SetString(PyExc_ValueError, "operation on a closed Reader");
		return 0;
	}
	return 1;
}

static int size_arg(PyObject *o, const char *name, uint64_t min, size_t *out)
{
	uint64_t v;

	if (!o)
		return 0;
	if (pyudaq_u64(o, name, SIZE_MAX / 2, &v))
		return -1;
	if (v < min) {
		PyErr_Format(PyExc_ValueError, "%s must be at least %llu", name,
			     (unsigned long long)min);
		return -1;
	}
	*out = (size_t)v;
	return 0;
}

static int Reader_init(ReaderObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "digitizer", "lossy", "max_frames", "max_payload",
				  "max_lag", NULL };
	PyObject *mf = NULL, *mp = NULL, *ml = NULL;
	DigitizerObject *dg;
	int lossy = 0, ret;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "O!|p$OOO:Reader", kwlist,
					 &Digitizer_Type, &dg, &lossy, &mf, &mp, &ml))
		return -1;
	if (self->rd) {
		PyErr_SetString(PyExc_RuntimeError, "Reader is already open");
		return -1;
	}
	self->max_frames = 1;
	self->max_payload = 0;
	self->max_lag = 0;
	if (size_arg(mf, "max_frames", 1, &self->max_frames) ||
	    size_arg(mp, "max_payload", 0, &self->max_payload) ||
	    size_arg(ml, "max_lag", 0, &self->max_lag))
		return -1;
	if (self->max_frames > 65536) {
		PyErr_SetString(PyExc_ValueError, "max_frames must be at most 65536");
		return -1;
	}
	if (!pyudaq_digitizer_get(dg))
		return -1;
	ret = udaq_reader_new(udaq_digitizer_ring(dg->dg),
			      lossy ? UDAQ_READER_LOSSY : UDAQ_READER_LOSSLESS, &self->rd);
	if (ret) {
		self->rd = NULL;
		pyudaq_err(ret, "udaq_reader_new");
		return -1;
	}
	self->lossy = lossy;
	/* At position 0 the acquisition is (about to be) at its start. */
	self->know_next = udaq_reader_pos(self->rd) == 0;
	self->next_sample = 0;
	Py_XSETREF(self->digitizer, (DigitizerObject *)Py_NewRef(dg));
	dg->users++;
	return 0;
}

struct pyudaq_pending *pyudaq_reader_pending(ReaderObject *rd, uint64_t id)
{
	if (id < rd->head || id >= rd->tail)
		return NULL;
	return &rd->pending[id % PYUDAQ_PENDING];
}

void pyudaq_reader_flush(ReaderObject *self)
{
	while (self->head < self->tail) {
		struct pyudaq_pending *p = &self->pending[self->head % PYUDAQ_PENDING];
		struct udaq_frame_batch b = { .nframes = 1, .pos = p->pos, .bytes = p->bytes };

		if (!p->done || (p->obj && p->obj->exports))
			break;
		/* -EINVAL: an acquisition restarted meanwhile; nothing to give back. */
		if (self->rd)
			udaq_frame_batch_release(self->rd, &b, 1);
		if (p->obj)
			p->obj->returned = p->obj->released = true;
		self->head++;
	}
}

/* Forget what is pending without giving it back (@overrun: lost to the device). */
static void drop_pending(ReaderObject *self, bool overrun)
{
	for (; self->head < self->tail; self->head++) {
		struct pyudaq_pending *p = &self->pending[self->head % PYUDAQ_PENDING];

		if (p->obj) {
			p->obj->returned = p->obj->released = true;
			p->obj->overrun = overrun;
		}
	}
}

/*
 * Views of its batches may outlive the reader: the device no longer waits
 * for their samples, but the ring stays mapped while they live (the device
 * object unmaps it only after the last one).
 */
static int reader_close(ReaderObject *self)
{
	if (!self->rd)
		return 0;
	if (self->busy) {
		PyErr_SetString(PyExc_RuntimeError,
				"cannot close a Reader while another thread waits in it");
		return -1;
	}
	drop_pending(self, false);
	udaq_reader_free(self->rd);
	self->rd = NULL;
	self->digitizer->users--;
	return 0;
}

static void Reader_dealloc(ReaderObject *self)
{
	/* A batch holds a reference to its reader: none is left now. */
	reader_close(self);
	Py_XDECREF(self->digitizer);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Reader_close(ReaderObject *self, PyObject *unused)
{
	if (reader_close(self))
		return NULL;
	Py_RETURN_NONE;
}

static PyObject *Reader_enter(ReaderObject *self, PyObject *unused)
{
	if (!reader_ok(self))
		return NULL;
	return Py_NewRef(self);
}

static PyObject *Reader_exit(ReaderObject *self, PyObject *args)
{
	return Reader_close(self, NULL);
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int running(ReaderObject *self)
{
	struct udaq_digitizer_status st;
	int ret = udaq_digitizer_status(self->digitizer->dg, &st);

	if (ret) {
		pyudaq_err(ret, "udaq_digitizer_status");
		return -1;
	}
	if (st.gone) {
		PyErr_SetString(PyExc_OSError, "the device is gone (surprise removal)");
		return -1;
	}
	return st.running;
}

/*
 * Peek until @b holds frames past the @skip pending ones (1), or 0 at the
 * end (stopped and drained, or timeout; @ended tells which).
 */
static int reader_peek(ReaderObject *self, struct udaq_frame_batch *b, size_t *skip,
		       double timeout_s, bool *ended)
{
	double deadline = timeout_s < 0 ? -1 : mono_s() + timeout_s;
	bool idle = false;
	int ret, run;

	*ended = false;
	for (;;) {
		ret = udaq_frame_batch_peek(self->rd, b);
		if (ret > 0 && *skip && b->pos != self->pending[self->head % PYUDAQ_PENDING].pos) {
			/* The device overran the pending batches (lossy reader). */
			drop_pending(self, true);
			*skip = 0;
		}
		if (ret > 0 && b->nframes > *skip)
			return 1;
		if (ret == -EBADMSG) {
			PyErr_SetString(PyExc_OSError, "bad frame in the ring (-EBADMSG)");
			return -1;
		}
		if (ret < 0) {
			pyudaq_err(ret, "udaq_frame_batch_peek");
			return -1;
		}
		/*
		 * The device's status is read only when a wait timed out (a
		 * stopped device raises nothing): reading it takes the register
		 * model's lock, which a busy consumer should not keep taking.
		 */
		if (idle) {
			run = running(self);
			if (run < 0)
				return -1;
			if (!run) {
				/* Stopped: what it wrote before stopping is visible now. */
				ret = udaq_frame_batch_peek(self->rd, b);
				if (ret > 0 && b->nframes > *skip)
					return 1;
				*ended = true;
				return 0;
			}
		}
		{
			double left = deadline < 0 ? WAIT_SLICE_MS : (deadline - mono_s()) * 1000;
			int ms = left > WAIT_SLICE_MS ? WAIT_SLICE_MS : left < 0 ? 0 : (int)left;

			if (deadline >= 0 && left <= 0)
				return 0;
			ret = pyudaq_digitizer_wait(self->digitizer, ms);
			idle = ret == 0;
		}
		if (PyErr_CheckSignals())
			return -1;
		if (ret == -EIO) {
			PyErr_SetString(PyExc_OSError, "the device reported a DMA error");
			return -1;
		}
		if (ret < 0 && ret != -EINTR) {
			pyudaq_err(ret, "udaq_digitizer_wait");
			return -1;
		}
	}
}

/* How many of @n frames from @f make one batch: same length, no sample gap. */
static size_t batch_cut(const struct udaq_frame *f, size_t n, size_t max)
{
	size_t k;

	for (k = 1; k < n && k < max; k++)
		if (f[k].first_sample != f[k - 1].first_sample + f[k - 1].nsamples ||
		    f[k].frame_len != f[0].frame_len)
			break;
	return k;
}

/* next batch; @stop_iter: NULL without an exception (StopIteration) at the end. */
static PyObject *reader_next_locked(ReaderObject *self, double timeout_s, bool stop_iter)
{
	struct udaq_frame frames_stack[64], *frames = frames_stack;
	struct udaq_frame_batch b = { 0 };
	BatchObject *batch = NULL;
	size_t skip = 0, skip_payload = 0, cap, k;
	uint64_t lost = 0, first, i;
	bool ended;
	int ret;

	if (!reader_ok(self) || !pyudaq_digitizer_get(self->digitizer))
		return NULL;
	/* The batch handed out last is left behind (given back once unviewed). */
	if (self->tail > self->head) {
		struct pyudaq_pending *last = &self->pending[(self->tail - 1) % PYUDAQ_PENDING];

		last->done = true;
		if (last->obj)
			last->obj->released = true;
	}
	pyudaq_reader_flush(self);
	if (self->tail - self->head == PYUDAQ_PENDING) {
		PyErr_Format(PyExc_BufferError,
			     "views of %d earlier batches of this reader are still alive: "
			     "delete them (or copy with np.array()) before reading on",
			     PYUDAQ_PENDING);
		return NULL;
	}
	for (i = self->head; i < self->tail; i++) {
		skip += self->pending[i % PYUDAQ_PENDING].nframes;
		skip_payload += self->pending[i % PYUDAQ_PENDING].payload_bytes;
	}
	cap = skip + self->max_frames;
	if (cap > 64 && !(frames = PyMem_Malloc(cap * sizeof(*frames))))
		return PyErr_NoMemory();
	b.frames = frames;
	b.max_frames = cap;
	b.frame_len = udaq_digitizer_frame_len(self->digitizer->dg);
	b.max_payload = self->max_payload ? skip_payload + self->max_payload : 0;
	b.max_lag = self->max_lag;
	ret = reader_peek(self, &b, &skip, timeout_s, &ended);
	if (ret <= 0)
		goto out;
	k = batch_cut(frames + skip, b.nframes - skip, self->max_frames);
	first = frames[skip].first_sample;
	if (frames[skip].pos == 0)	/* a (new) acquisition's first frame */
		self->know_next = true, self->next_sample = 0;
	if (self->know_next && first > self->next_sample)
		lost = first - self->next_sample;
	batch = pyudaq_batch_new(self, frames + skip, k, skip ? 0 : b.lost_bytes, lost,
				 self->tail);
	if (batch) {
		struct pyudaq_pending *p = &self->pending[self->tail % PYUDAQ_PENDING];
		uint64_t n = 0;

		for (i = 0; i < k; i++)
			n += frames[skip + i].nsamples;
		p->obj = batch;
		p->pos = batch->b.pos;
		p->bytes = batch->b.bytes;
		p->nframes = k;
		p->payload_bytes = batch->b.payload_bytes;
		p->done = false;
		self->tail++;
		self->know_next = true;
		self->next_sample = first + n;
		self->lost_samples += lost;
		self->batches++;
	}
out:
	if (frames != frames_stack)
		PyMem_Free(frames);
	if (ret < 0)
		return NULL;
	if (ret == 0 && stop_iter)	/* iteration waits until the end */
		return NULL;	/* tp_iternext: NULL without error = StopIteration */
	if (ret == 0)
		Py_RETURN_NONE;
	return (PyObject *)batch;
}

/* One thread at a time in a reader: the wait in it releases the GIL. */
static PyObject *reader_next(ReaderObject *self, double timeout_s, bool stop_iter)
{
	PyObject *ret;

	if (self->busy) {
		PyErr_SetString(PyExc_RuntimeError,
				"another thread is reading from this Reader: use one reader per thread");
		return NULL;
	}
	self->busy = true;
	ret = reader_next_locked(self, timeout_s, stop_iter);
	self->busy = false;
	return ret;
}

static PyObject *Reader_next_batch(ReaderObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "timeout", NULL };
	PyObject *t = Py_None;
	double s = -1;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:next_batch", kwlist, &t))
		return NULL;
	if (t != Py_None) {
		s = PyFloat_AsDouble(t);
		if (s == -1.0 && PyErr_Occurred()) {
			PyErr_SetString(PyExc_TypeError, "timeout must be a number of seconds or None");
			return NULL;
		}
		if (!(s >= 0)) {
			PyErr_SetString(PyExc_ValueError, "timeout must not be negative");
			return NULL;
		}
	}
	return reader_next(self, s, false);
}

static PyObject *Reader_iternext(ReaderObject *self)
{
	return reader_next(self, -1, true);
}

static PyObject *Reader_get_pos(ReaderObject *self, void *c)
{
	return reader_ok(self) ? PyLong_FromUnsignedLongLong(udaq_reader_pos(self->rd)) : NULL;
}

static PyObject *Reader_get_lost_bytes(ReaderObject *self, void *c)
{
	return reader_ok(self) ? PyLong_FromUnsignedLongLong(udaq_reader_lost(self->rd)) : NULL;
}

static PyObject *Reader_get_lost_samples(ReaderObject *self, void *c)
{
	return PyLong_FromUnsignedLongLong(self->lost_samples);
}

static PyObject *Reader_get_batches(ReaderObject *self, void *c)
{
	return PyLong_FromUnsignedLongLong(self->batches);
}

static PyObject *Reader_get_lossy(ReaderObject *self, void *c)
{
	return PyBool_FromLong(self->lossy);
}

static PyObject *Reader_get_closed(ReaderObject *self, void *c)
{
	return PyBool_FromLong(!self->rd);
}

static PyObject *Reader_get_digitizer(ReaderObject *self, void *c)
{
	return Py_NewRef(self->digitizer ? (PyObject *)self->digitizer : Py_None);
}

static PyMethodDef Reader_methods[] = {
	{ "next_batch", (PyCFunction)(void (*)(void))Reader_next_batch,
	  METH_VARARGS | METH_KEYWORDS,
	  "next_batch(timeout=None)\n--\n\nLeave the previous batch behind (it goes back "
	  "to the ring once no view of it is alive) and return the next one, waiting with the GIL "
	  "released up to timeout seconds (None: until data comes or the acquisition "
	  "stops). Returns None on timeout, or when the digitizer is stopped and "
	  "everything it wrote has been read." },
	{ "close", (PyCFunction)Reader_close, METH_NOARGS,
	  "close()\n--\n\nFree the reader: the device is no longer held by it. Its "
	  "batches are given up: arrays still viewing them stay readable (the ring "
	  "stays mapped while they live), but the device may overwrite what they show." },
	{ "__enter__", (PyCFunction)Reader_enter, METH_NOARGS, "Return the reader." },
	{ "__exit__", (PyCFunction)Reader_exit, METH_VARARGS, "Close the reader." },
	{ NULL }
};

static PyGetSetDef Reader_getset[] = {
	{ "pos", (getter)Reader_get_pos, NULL, "The reader's stream position (bytes).", NULL },
	{ "lost_bytes", (getter)Reader_get_lost_bytes, NULL,
	  "Ring bytes this reader lost to overruns (udaq_reader_lost()).", NULL },
	{ "lost_samples", (getter)Reader_get_lost_samples, NULL,
	  "Device samples per channel missing before its batches so far (the sum of "
	  "their lost_samples).", NULL },
	{ "batches", (getter)Reader_get_batches, NULL, "Batches handed out so far.", NULL },
	{ "lossy", (getter)Reader_get_lossy, NULL, "True for a lossy reader.", NULL },
	{ "closed", (getter)Reader_get_closed, NULL, "True once closed.", NULL },
	{ "digitizer", (getter)Reader_get_digitizer, NULL, "The Digitizer read.", NULL },
	{ NULL }
};

PyTypeObject Reader_Type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "uio_daq._uio_daq.Reader",
	.tp_doc = "Reader(digitizer, lossy=False, *, max_frames=1, max_payload=0, max_lag=0)\n--\n\n"
		  "A reader of the digitizer's DMA ring. Lossless (the device waits for it "
		  "under the 'stop' policy) or lossy (never holds the device back; told "
		  "exactly what it lost). Iterating yields Batch objects until the "
		  "digitizer stops and the ring is drained; each step leaves the previous "
		  "batch behind (given back to the ring once no view of it is alive; at "
		  "most 8 batches may be held so). max_frames frames per batch (1: arrays are "
		  "(samples, channels); more: (frames, samples, channels)), max_payload "
		  "bytes of samples per batch (0: no limit), max_lag for lossy readers "
		  "(skip to max_lag bytes behind the device once it is more than half a "
		  "ring ahead; 0: never).",
	.tp_basicsize = sizeof(ReaderObject),
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_new = PyType_GenericNew,
	.tp_init = (initproc)Reader_init,
	.tp_dealloc = (destructor)Reader_dealloc,
	.tp_iter = PyObject_SelfIter,
	.tp_iternext = (iternextfunc)Reader_iternext,
	.tp_methods = Reader_methods,
	.tp_getset = Reader_getset,
};
