/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Turning the library's negative errnos and Python ints into each other. */
#include "pyudaq.h"

#include <errno.h>
#include <string.h>

PyObject *pyudaq_err(int neg_errno, const char *what)
{
	int e = neg_errno < 0 ? -neg_errno : EIO;
	PyObject *exc;

	/* OSError(errno, text) picks the subclass (FileNotFoundError, ...). */
	exc = PyObject_CallFunction(PyExc_OSError, "iN", e,
				    PyUnicode_FromFormat("%s: %s", what, strerror(e)));
	if (!exc)
		return NULL;
	PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
	Py_DECREF(exc);
	return NULL;
}

int pyudaq_u64(PyObject *o, const char *name, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	PyObject *zero;
	int neg;

	if (PyBool_Check(o) || !PyLong_Check(o)) {
		PyErr_Format(PyExc_TypeError, "%s must be an int, not %.100s",
			     name, Py_TYPE(o)->tp_name);
		return -1;
	}
	zero = PyLong_FromLong(0);
	if (!zero)
		return -1;
	neg = PyObject_RichCompareBool(o, zero, Py_LT);
	Py_DECREF(zero);
	if (neg < 0)
		return -1;
	if (neg) {
		PyErr_Format(PyExc_ValueError, "%s must not be negative", name);
		return -1;
	}
	v = PyLong_AsUnsignedLongLong(o);
	if (v == (unsigned long long)-1 && PyErr_Occurred()) {
		PyErr_Clear();
		v = ~0ull;
	}
	if (v > max) {
		PyErr_Format(PyExc_ValueError, "%s must be at most %llu", name,
			     (unsigned long long)max);
		return -1;
	}
	*out = v;
	return 0;
}
