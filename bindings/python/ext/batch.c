/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * uio_daq.Batch: whole frames of one reader, and the buffer protocol over
 * their samples in the ring (read-only, no copy). Releasing a batch while a
 * view is alive raises BufferError, as mmap.close() does.
 */
#include "pyudaq.h"

#include <errno.h>
#include <string.h>

/* int16 little-endian; the native code where it is that (numpy parses it faster). */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define I16LE_FORMAT	"h"
#else
#define I16LE_FORMAT	"<h"
#endif

BatchObject *pyudaq_batch_new(ReaderObject *rd, const struct udaq_frame *frames,
			      size_t nframes, uint64_t lost_bytes, uint64_t lost_samples,
			      uint64_t id)
{
	const struct udaq_frame *last = &frames[nframes - 1];
	BatchObject *self = PyObject_New(BatchObject, &Batch_Type);
	size_t i;

	if (!self)
		return NULL;
	self->reader = NULL;
	self->exports = 0;
	self->released = self->returned = true;
	self->overrun = false;
	self->frames = PyMem_Malloc(nframes * sizeof(*self->frames));
	if (!self->frames) {
		Py_DECREF(self);
		return (BatchObject *)PyErr_NoMemory();
	}
	memcpy(self->frames, frames, nframes * sizeof(*self->frames));
	memset(&self->b, 0, sizeof(self->b));
	self->b.frames = self->frames;
	self->b.max_frames = self->b.nframes = nframes;
	self->b.frame_len = frames[0].frame_len;
	self->b.pos = frames[0].pos;
	self->b.bytes = (size_t)(last->pos + last->frame_len - frames[0].pos);
	for (i = 0; i < nframes; i++)
		self->b.payload_bytes += frames[i].payload_len;
	self->b.lost_bytes = lost_bytes;
	self->reader = (ReaderObject *)Py_NewRef(rd);
	self->id = id;
	self->lost_samples = lost_samples;
	self->released = self->returned = false;
	return self;
}

/* Done with by its user: give it back as soon as the ring can take it. */
static void batch_done(BatchObject *self)
{
	struct pyudaq_pending *p;

	self->released = true;
	if (self->returned || !self->reader)
		return;
	p = pyudaq_reader_pending(self->reader, self->id);
	if (p)
		p->done = true;
	pyudaq_reader_flush(self->reader);
}

static void Batch_dealloc(BatchObject *self)
{
	/* No view is alive (each holds a reference); a dropped batch is done. */
	if (self->reader && !self->returned) {
		struct pyudaq_pending *p = pyudaq_reader_pending(self->reader, self->id);

		if (p) {
			p->obj = NULL;
			p->done = true;
		}
		pyudaq_reader_flush(self->reader);
	}
	PyMem_Free(self->frames);
	Py_XDECREF(self->reader);
	PyObject_Free(self);
}

static PyObject *Batch_release(BatchObject *self, PyObject *unused)
{
	if (self->exports) {
		PyErr_Format(PyExc_BufferError,
			     "cannot release a batch while %zd view(s) of it exist "
			     "(copy what you keep: np.array(batch))", self->exports);
		return NULL;
	}
	batch_done(self);
	Py_RETURN_NONE;
}

static PyObject *Batch_check(BatchObject *self, PyObject *unused)
{
	int ret;

	if (self->overrun)
		Py_RETURN_FALSE;
	if (self->returned || !self->reader->rd) {
		PyErr_SetString(PyExc_ValueError,
				"the batch went back to the ring: check() before releasing it");
		return NULL;
	}
	ret = udaq_frame_batch_check(self->reader->rd, &self->b);
	if (ret == -ESTALE)
		Py_RETURN_FALSE;
	if (ret)
		return pyudaq_err(ret, "udaq_frame_batch_check");
	Py_RETURN_TRUE;
}

/*
 * numpy takes the buffer first; only when that fails (a released batch) does
 * it call __array__, which must raise then rather than let numpy quietly
 * make a 0-d object array of the batch.
 */
static PyObject *Batch_array(BatchObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "dtype", "copy", NULL };
	PyObject *dtype = Py_None, *copy = Py_None, *mv, *np, *out;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "|OO:__array__", kwlist, &dtype, &copy))
		return NULL;
	mv = PyMemoryView_FromObject((PyObject *)self);
	if (!mv)
		return NULL;
	np = PyImport_ImportModule("numpy");
	if (!np) {
		Py_DECREF(mv);
		return NULL;
	}
	out = PyObject_CallMethod(np, PyObject_IsTrue(copy) == 1 ? "array" : "asarray",
				  "OO", mv, dtype);
	Py_DECREF(np);
	Py_DECREF(mv);
	return out;
}

static PyObject *Batch_enter(BatchObject *self, PyObject *unused)
{
	return Py_NewRef(self);
}

static PyObject *Batch_exit(BatchObject *self, PyObject *args)
{
	return Batch_release(self, NULL);
}

/* ---- the buffer protocol -------------------------------------------------- */

static int Batch_getbuffer(BatchObject *self, Py_buffer *view, int flags)
{
	const struct udaq_frame *f = self->frames;
	Py_ssize_t nchan = f[0].nchan, ns = f[0].nsamples;
	size_t i, n = self->b.nframes;
	bool contiguous = n == 1;

	view->obj = NULL;
	if (self->released) {
		PyErr_SetString(PyExc_BufferError,
				"the batch has been released (or the reader moved past it)");
		return -1;
	}
	if (flags & PyBUF_WRITABLE) {
		PyErr_SetString(PyExc_BufferError, "a batch is read-only (the DMA ring)");
		return -1;
	}
	if (f[0].format != UDAQ_FORMAT_I16LE) {
		PyErr_Format(PyExc_BufferError, "unknown sample format %u", f[0].format);
		return -1;
	}
	for (i = 1; i < n; i++) {
		if (f[i].nsamples != f[0].nsamples || f[i].nchan != f[0].nchan ||
		    (const char *)f[i].samples !=
		    (const char *)f[0].samples + i * self->b.frame_len) {
			PyErr_SetString(PyExc_BufferError,
					"the batch's frames differ in length: take them one by one");
			return -1;
		}
	}
	if (!contiguous && !(flags & PyBUF_STRIDES)) {
		PyErr_SetString(PyExc_BufferError,
				"a batch of several frames is strided over their headers: "
				"ask for strides (numpy does)");
		return -1;
	}
	if (contiguous) {
		self->shape[0] = ns;
		self->shape[1] = nchan;
		self->strides[0] = nchan * 2;
		self->strides[1] = 2;
	} else {
		self->shape[0] = (Py_ssize_t)n;
		self->shape[1] = ns;
		self->shape[2] = nchan;
		self->strides[0] = (Py_ssize_t)self->b.frame_len;
		self->strides[1] = nchan * 2;
		self->strides[2] = 2;
	}
	view->buf = (void *)f[0].samples;
	view->obj = Py_NewRef(self);
	view->len = (Py_ssize_t)n * ns * nchan * 2;
	view->readonly = 1;
	view->itemsize = 2;
	view->format = (flags & PyBUF_FORMAT) ? (char *)I16LE_FORMAT : NULL;
	view->ndim = contiguous ? 2 : 3;
	view->shape = (flags & PyBUF_ND) ? self->shape : NULL;
	view->strides = (flags & PyBUF_STRIDES) ? self->strides : NULL;
	view->suboffsets = NULL;
	view->internal = NULL;
	self->exports++;
	pyudaq_digitizer_view(self->reader->digitizer, +1);
	return 0;
}

static void Batch_releasebuffer(BatchObject *self, Py_buffer *view)
{
	if (--self->exports == 0 && self->released && !self->returned)
		pyudaq_reader_flush(self->reader);
	pyudaq_digitizer_view(self->reader->digitizer, -1);
}

static PyBufferProcs Batch_as_buffer = {
	.bf_getbuffer = (getbufferproc)Batch_getbuffer,
	.bf_releasebuffer = (releasebufferproc)Batch_releasebuffer,
};

/* ---- attributes ------------------------------------------------------------ */

static PyObject *Batch_get_first_sample(BatchObject *self, void *c)
{
	return PyLong_FromUnsignedLongLong(self->frames[0].first_sample);
}

static PyObject *Batch_get_nsamples(BatchObject *self, void *c)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < self->b.nframes; i++)
		n += self->frames[i].nsamples;
	return PyLong_FromUnsignedLongLong(n);
}

static PyObject *Batch_get_nchan(BatchObject *self, void *c)
{
	return PyLong_FromUnsignedLong(self->frames[0].nchan);
}

static PyObject *Batch_get_chan_mask(BatchObject *self, void *c)
{
	return PyLong_FromUnsignedLong(self->frames[0].chan_mask);
}

static PyObject *Batch_get_nframes(BatchObject *self, void *c)
{
	return PyLong_FromSize_t(self->b.nframes);
}

static PyObject *Batch_get_lost_samples(BatchObject *self, void *c)
{
	return PyLong_FromUnsignedLongLong(self->lost_samples);
}

static PyObject *Batch_get_lost_bytes(BatchObject *self, void *c)
{
	return PyLong_FromUnsignedLongLong(self->b.lost_bytes);
}

static PyObject *Batch_get_pos(BatchObject *self, void *c)
{
	return PyLong_FromUnsignedLongLong(self->b.pos);
}

static PyObject *Batch_get_timestamp_ns(BatchObject *self, void *c)
{
	return PyLong_FromUnsignedLongLong(self->frames[0].timestamp_ns);
}

static PyObject *Batch_get_seq(BatchObject *self, void *c)
{
	return PyLong_FromUnsignedLongLong(self->frames[0].seq);
}

static PyObject *Batch_get_timestamps(BatchObject *self, void *c)
{
	PyObject *t = PyTuple_New((Py_ssize_t)self->b.nframes);
	size_t i;

	if (!t)
		return NULL;
	for (i = 0; i < self->b.nframes; i++) {
		PyObject *v = PyLong_FromUnsignedLongLong(self->frames[i].timestamp_ns);

		if (!v) {
			Py_DECREF(t);
			return NULL;
		}
		PyTuple_SET_ITEM(t, (Py_ssize_t)i, v);
	}
	return t;
}

static PyObject *Batch_get_flags(BatchObject *self, void *c)
{
	unsigned int fl = 0;
	size_t i;

	for (i = 0; i < self->b.nframes; i++)
		fl |= self->frames[i].flags;
	return PyLong_FromUnsignedLong(fl);
}

static PyObject *Batch_get_address(BatchObject *self, void *c)
{
	return PyLong_FromVoidPtr((void *)self->frames[0].samples);
}

static PyObject *Batch_get_released(BatchObject *self, void *c)
{
	return PyBool_FromLong(self->released);
}

static PyObject *Batch_repr(BatchObject *self)
{
	return PyUnicode_FromFormat("<uio_daq.Batch first_sample=%llu frames=%zu lost_samples=%llu%s>",
				    (unsigned long long)self->frames[0].first_sample,
				    self->b.nframes, (unsigned long long)self->lost_samples,
				    self->released ? " released" : "");
}

static PyMethodDef Batch_methods[] = {
	{ "release", (PyCFunction)Batch_release, METH_NOARGS,
	  "release()\n--\n\nHand the frames back to the ring (once every older batch of "
	  "the reader is back too). BufferError while a view (np.asarray(batch), "
	  "memoryview) of it is alive. Releasing twice is a no-op." },
	{ "check", (PyCFunction)Batch_check, METH_NOARGS,
	  "check()\n--\n\nAfter using the samples of a lossy reader's batch: True if the "
	  "device has not overwritten them meanwhile, False if what was read may be "
	  "torn (discard it). Readers the device waits for always get True." },
	{ "__array__", (PyCFunction)(void (*)(void))Batch_array, METH_VARARGS | METH_KEYWORDS,
	  "__array__(dtype=None, copy=None)\n--\n\nThe samples as a numpy array (a view "
	  "unless copy or a dtype conversion asks otherwise); BufferError once released." },
	{ "__enter__", (PyCFunction)Batch_enter, METH_NOARGS, "Return the batch." },
	{ "__exit__", (PyCFunction)Batch_exit, METH_VARARGS, "Release the batch." },
	{ NULL }
};

static PyGetSetDef Batch_getset[] = {
	{ "first_sample", (getter)Batch_get_first_sample, NULL,
	  "Device sample index of the first sample.", NULL },
	{ "nsamples", (getter)Batch_get_nsamples, NULL, "Samples per channel in the batch.", NULL },
	{ "nchan", (getter)Batch_get_nchan, NULL, "Channels per sample.", NULL },
	{ "chan_mask", (getter)Batch_get_chan_mask, NULL, "The channels, as a bit mask.", NULL },
	{ "nframes", (getter)Batch_get_nframes, NULL, "Frames in the batch.", NULL },
	{ "lost_samples", (getter)Batch_get_lost_samples, NULL,
	  "Device samples per channel missing just before this batch (dropped by the "
	  "device or overrun in the ring): first_sample minus the end of the previous "
	  "batch of this reader.", NULL },
	{ "lost_bytes", (getter)Batch_get_lost_bytes, NULL,
	  "Ring bytes this reader lost just before the batch.", NULL },
	{ "pos", (getter)Batch_get_pos, NULL, "Stream position (bytes) of the first frame.", NULL },
	{ "timestamp_ns", (getter)Batch_get_timestamp_ns, NULL,
	  "Device time (ns since start) of the first frame.", NULL },
	{ "timestamps", (getter)Batch_get_timestamps, NULL,
	  "Device time (ns since start) of every frame.", NULL },
	{ "seq", (getter)Batch_get_seq, NULL, "Sequence number of the first frame.", NULL },
	{ "flags", (getter)Batch_get_flags, NULL,
	  "The frames' flags ORed (FLAG_GAP, FLAG_TEST, FLAG_LAST).", NULL },
	{ "address", (getter)Batch_get_address, NULL,
	  "Address of the first sample in the ring mapping.", NULL },
	{ "released", (getter)Batch_get_released, NULL,
	  "True once released, or left behind by the reader's next batch: no new view "
	  "can be taken.", NULL },
	{ NULL }
};

PyTypeObject Batch_Type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "uio_daq._uio_daq.Batch",
	.tp_doc = "Whole frames of one Reader, in the ring. np.asarray(batch) is a read-only "
		  "int16 array over the DMA memory, no copy: (samples, channels) for one "
		  "frame, (frames, samples, channels) for several. Release it (release(), "
		  "a with block, or dropping it) once done; releasing while a view is "
		  "alive raises BufferError. Asking the reader for the next batch leaves "
		  "this one behind: it goes back to the ring once its last view dies "
		  "(so `x = np.asarray(batch)` in a for loop is fine), and no new view of "
		  "it can be taken.",
	.tp_basicsize = sizeof(BatchObject),
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_dealloc = (destructor)Batch_dealloc,
	.tp_repr = (reprfunc)Batch_repr,
	.tp_as_buffer = &Batch_as_buffer,
	.tp_methods = Batch_methods,
	.tp_getset = Batch_getset,
};
