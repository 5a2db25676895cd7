/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The _uio_daq extension module: its types, functions and constants. */
#include "pyudaq.h"

#include <uio_daq/frame.h>

static PyObject *mod_version(PyObject *mod, PyObject *unused)
{
	return PyUnicode_FromString(udaq_version());
}

static PyMethodDef module_methods[] = {
	{ "list_devices", (PyCFunction)(void (*)(void))pyudaq_list_devices,
	  METH_VARARGS | METH_KEYWORDS,
	  "list_devices(*, sysfs_root=None, dev_root=None)\n--\n\n"
	  "The UIO devices found (what `lsdaq --json` shows under 'devices'): a list "
	  "of dicts with index, devname, node, name, version, pci (None or a dict "
	  "with address, id, vendor, device, vendor_name, device_name), maps (index, "
	  "name, addr, size, offset) and error (None or errno and message for a "
	  "broken entry). Empty when no UIO support is loaded." },
	{ "library_version", mod_version, METH_NOARGS,
	  "library_version()\n--\n\nThe version of libuio_daq underneath." },
	{ NULL }
};

static struct PyModuleDef module_def = {
	PyModuleDef_HEAD_INIT,
	.m_name = "uio_daq._uio_daq",
	.m_doc = "The C half of uio_daq: libuio_daq's devices, digitizers, ring readers "
		 "and frame batches, with the buffer protocol over the DMA ring. "
		 "Use it through the uio_daq package.",
	.m_size = -1,
	.m_methods = module_methods,
};

static int add_type(PyObject *m, PyTypeObject *t, const char *name)
{
	if (PyType_Ready(t) < 0)
		return -1;
	return PyModule_AddObjectRef(m, name, (PyObject *)t);
}

PyMODINIT_FUNC PyInit__uio_daq(void);
PyMODINIT_FUNC PyInit__uio_daq(void)
{
	PyObject *m = PyModule_Create(&module_def);

	if (!m)
		return NULL;
	if (add_type(m, &Device_Type, "Device") ||
	    add_type(m, &Digitizer_Type, "Digitizer") ||
	    add_type(m, &Reader_Type, "Reader") ||
	    add_type(m, &Batch_Type, "Batch") ||
	    add_type(m, &StreamClient_Type, "StreamClient") ||
	    PyModule_AddIntConstant(m, "FLAG_GAP", UDAQ_FRAME_FLAG_GAP) ||
	    PyModule_AddIntConstant(m, "FLAG_TEST", UDAQ_FRAME_FLAG_TEST) ||
	    PyModule_AddIntConstant(m, "FLAG_LAST", UDAQ_FRAME_FLAG_LAST)) {
		Py_DECREF(m);
		return NULL;
	}
	return m;
}
