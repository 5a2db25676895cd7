/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* uio_daq.Device (a context and an open device) and list_devices(). */
#include "pyudaq.h"

#include <errno.h>
#include <string.h>

static int set_roots(struct udaq_ctx *ctx, const char *sysfs_root,
		     const char *dev_root)
{
	int ret;

	if (sysfs_root && (ret = udaq_ctx_set_sysfs_root(ctx, sysfs_root))) {
		if (ret == -EINVAL)
			PyErr_Format(PyExc_ValueError,
				     "sysfs_root must be an absolute path, not '%s'",
				     sysfs_root);
		else
			pyudaq_err(ret, "udaq_ctx_set_sysfs_root");
		return -1;
	}
	if (dev_root && (ret = udaq_ctx_set_dev_root(ctx, dev_root))) {
		if (ret == -EINVAL)
			PyErr_Format(PyExc_ValueError,
				     "dev_root must be an absolute path, not '%s'",
				     dev_root);
		else
			pyudaq_err(ret, "udaq_ctx_set_dev_root");
		return -1;
	}
	return 0;
}

static struct udaq_ctx *new_ctx(const char *sysfs_root, const char *dev_root)
{
	struct udaq_ctx *ctx;
	int ret = udaq_ctx_new(&ctx);

	if (ret) {
		if (ret == -EINVAL)
			PyErr_SetString(PyExc_ValueError,
					"UIO_DAQ_SYSFS_ROOT / UIO_DAQ_DEV_ROOT must be absolute paths");
		else
			pyudaq_err(ret, "udaq_ctx_new");
		return NULL;
	}
	if (set_roots(ctx, sysfs_root, dev_root)) {
		udaq_ctx_free(ctx);
		return NULL;
	}
	return ctx;
}

static int Device_init(DeviceObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "spec", "sysfs_root", "dev_root", NULL };
	const char *spec, *sysfs_root = NULL, *dev_root = NULL;
	int ret;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "s|$zz:Device", kwlist,
					 &spec, &sysfs_root, &dev_root))
		return -1;
	if (self->dev || self->closing) {
		PyErr_SetString(PyExc_RuntimeError, "Device is already open");
		return -1;
	}
	if (!self->ctx && !(self->ctx = new_ctx(sysfs_root, dev_root)))
		return -1;
	Py_BEGIN_ALLOW_THREADS
	ret = udaq_dev_open(self->ctx, spec, &self->dev);
	Py_END_ALLOW_THREADS
	if (ret) {
		char msg[256];

		self->dev = NULL;
		if (ret == -EINVAL && udaq_sim_spec_options(spec) &&
		    udaq_sim_options_check(spec, msg, sizeof(msg)) < 0)
			PyErr_Format(PyExc_ValueError, "bad simulator spec '%s': %s",
				     spec, msg);
		else if (ret == -EINVAL)
			PyErr_Format(PyExc_ValueError, "malformed device spec '%s'", spec);
		else if (ret == -ENODEV)
			PyErr_Format(PyExc_FileNotFoundError,
				     "no UIO device matches '%s' (see uio_daq.list_devices())",
				     spec);
		else {
			char what[300];

			PyOS_snprintf(what, sizeof(what), "opening device '%s'", spec);
			pyudaq_err(ret, what);
		}
		return -1;
	}
	Py_XSETREF(self->spec, PyUnicode_FromString(spec));
	return self->spec ? 0 : -1;
}

static void device_close(DeviceObject *self)
{
	udaq_dev_close(self->dev);
	self->dev = NULL;
	udaq_ctx_free(self->ctx);
	self->ctx = NULL;
}

void pyudaq_device_view(DeviceObject *dev, int delta)
{
	dev->views += delta;
	if (dev->views == 0 && dev->closing && !dev->users)
		device_close(dev);
}

static void Device_dealloc(DeviceObject *self)
{
	/* Digitizers (and so views) hold a reference: none is left now. */
	device_close(self);
	Py_XDECREF(self->spec);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

static int device_ok(DeviceObject *self)
{
	if (!self->dev || self->closing) {
		PyErr_SetString(PyExc_ValueError, "I/O operation on a closed Device");
		return 0;
	}
	return 1;
}

static PyObject *Device_close(DeviceObject *self, PyObject *unused)
{
	if (self->users) {
		PyErr_Format(PyExc_RuntimeError,
			     "cannot close a Device while %zd Digitizer(s) of it are open",
			     self->users);
		return NULL;
	}
	/* Views of batches outlive it: their maps go when the last one does. */
	self->closing = true;
	if (!self->views)
		device_close(self);
	Py_RETURN_NONE;
}

static PyObject *Device_enter(DeviceObject *self, PyObject *unused)
{
	if (!device_ok(self))
		return NULL;
	return Py_NewRef(self);
}

static PyObject *Device_exit(DeviceObject *self, PyObject *args)
{
	return Device_close(self, NULL);
}

static PyObject *str_or_none(const char *s)
{
	if (!s)
		Py_RETURN_NONE;
	return PyUnicode_FromString(s);
}

static PyObject *Device_get_name(DeviceObject *self, void *c)
{
	return device_ok(self) ? str_or_none(udaq_dev_name(self->dev)) : NULL;
}

static PyObject *Device_get_devname(DeviceObject *self, void *c)
{
	return device_ok(self) ? str_or_none(udaq_dev_devname(self->dev)) : NULL;
}

static PyObject *Device_get_is_sim(DeviceObject *self, void *c)
{
	return device_ok(self) ? PyBool_FromLong(udaq_dev_is_sim(self->dev)) : NULL;
}

static PyObject *Device_get_pci_addr(DeviceObject *self, void *c)
{
	return device_ok(self) ? str_or_none(udaq_dev_pci_addr(self->dev)) : NULL;
}

static PyObject *Device_get_pci_id(DeviceObject *self, void *c)
{
	if (!device_ok(self))
		return NULL;
	return Py_BuildValue("(HH)", udaq_dev_pci_vendor(self->dev),
			     udaq_dev_pci_device(self->dev));
}

static PyObject *Device_get_num_maps(DeviceObject *self, void *c)
{
	return device_ok(self) ? PyLong_FromSize_t(udaq_dev_num_maps(self->dev)) : NULL;
}

static PyObject *Device_get_closed(DeviceObject *self, void *c)
{
	return PyBool_FromLong(!self->dev || self->closing);
}

static PyObject *Device_repr(DeviceObject *self)
{
	if (!self->dev || self->closing)
		return PyUnicode_FromString("<uio_daq.Device closed>");
	return PyUnicode_FromFormat("<uio_daq.Device %R name=%s devname=%s>",
				    self->spec, udaq_dev_name(self->dev),
				    udaq_dev_devname(self->dev));
}

static PyMethodDef Device_methods[] = {
	{ "close", (PyCFunction)Device_close, METH_NOARGS,
	  "close()\n--\n\nClose the device (its digitizers must be closed first). "
	  "Arrays still viewing a batch keep the ring mapped until they die. "
	  "Closing twice is a no-op." },
	{ "__enter__", (PyCFunction)Device_enter, METH_NOARGS, "Return the device." },
	{ "__exit__", (PyCFunction)Device_exit, METH_VARARGS, "Close the device." },
	{ NULL }
};

static PyGetSetDef Device_getset[] = {
	{ "name", (getter)Device_get_name, NULL,
	  "The UIO name ('refdaq', 'uio_daq', 'refdaq-sim').", NULL },
	{ "devname", (getter)Device_get_devname, NULL, "'uioN', or 'sim'.", NULL },
	{ "is_sim", (getter)Device_get_is_sim, NULL, "True for the simulated card.", NULL },
	{ "pci_addr", (getter)Device_get_pci_addr, NULL,
	  "The PCI address ('0000:03:00.0'), or None.", NULL },
	{ "pci_id", (getter)Device_get_pci_id, NULL,
	  "(vendor, device) PCI IDs, (0, 0) if not PCI.", NULL },
	{ "num_maps", (getter)Device_get_num_maps, NULL, "Number of UIO memory maps.", NULL },
	{ "closed", (getter)Device_get_closed, NULL, "True once closed.", NULL },
	{ NULL }
};

PyTypeObject Device_Type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "uio_daq._uio_daq.Device",
	.tp_doc = "Device(spec, *, sysfs_root=None, dev_root=None)\n--\n\n"
		  "Open a device by the specs udaq_dev_open() takes: '/dev/uioN', "
		  "'uioN', a PCI address ('0000:03:00.0' or '03:00.0'), a UIO name, "
		  "or 'sim' / 'sim:ring=16M,chunk=1M,channels=8,maxrate=1M' for the "
		  "simulated refdaq.\n\nRaises ValueError for a malformed spec (naming "
		  "the bad simulator option), FileNotFoundError if nothing matches, "
		  "OSError otherwise. A context manager: leaving the block closes it.",
	.tp_basicsize = sizeof(DeviceObject),
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_new = PyType_GenericNew,
	.tp_init = (initproc)Device_init,
	.tp_dealloc = (destructor)Device_dealloc,
	.tp_repr = (reprfunc)Device_repr,
	.tp_methods = Device_methods,
	.tp_getset = Device_getset,
};

/* ---- list_devices() ---------------------------------------------------- */

static PyObject *info_dict(const struct udaq_info *info, const char *dev_root)
{
	PyObject *maps, *pci, *err;
	size_t i;

	maps = PyList_New(0);
	if (!maps)
		return NULL;
	for (i = 0; i < udaq_info_num_maps(info); i++) {
		PyObject *m = Py_BuildValue("{s:n,s:s,s:K,s:K,s:K}",
			"index", (Py_ssize_t)i, "name", udaq_info_map_name(info, i),
			"addr", (unsigned long long)udaq_info_map_addr(info, i),
			"size", (unsigned long long)udaq_info_map_size(info, i),
			"offset", (unsigned long long)udaq_info_map_offset(info, i));

		if (!m || PyList_Append(maps, m)) {
			Py_XDECREF(m);
			Py_DECREF(maps);
			return NULL;
		}
		Py_DECREF(m);
	}
	if (udaq_info_is_pci(info)) {
		char id[16];

		PyOS_snprintf(id, sizeof(id), "%04x:%04x", udaq_info_pci_vendor(info),
			      udaq_info_pci_device(info));
		pci = Py_BuildValue("{s:s,s:s,s:H,s:H,s:z,s:z}",
			"address", udaq_info_pci_addr(info), "id", id,
			"vendor", udaq_info_pci_vendor(info),
			"device", udaq_info_pci_device(info),
			"vendor_name", udaq_info_pci_vendor_name(info),
			"device_name", udaq_info_pci_device_name(info));
	} else {
		pci = Py_NewRef(Py_None);
	}
	if (udaq_info_error(info))
		err = Py_BuildValue("{s:i,s:z}", "errno", -udaq_info_error(info),
				    "message", udaq_info_error_msg(info));
	else
		err = Py_NewRef(Py_None);
	if (!pci || !err) {
		Py_XDECREF(pci);
		Py_XDECREF(err);
		Py_DECREF(maps);
		return NULL;
	}
	return Py_BuildValue("{s:I,s:s,s:N,s:s,s:s,s:N,s:N,s:N}",
		"index", udaq_info_index(info),
		"devname", udaq_info_devname(info),
		"node", PyUnicode_FromFormat("%s/%s", strcmp(dev_root, "/") ? dev_root : "",
					     udaq_info_devname(info)),
		"name", udaq_info_name(info), "version", udaq_info_version(info),
		"pci", pci, "maps", maps, "error", err);
}

PyObject *pyudaq_list_devices(PyObject *mod, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "sysfs_root", "dev_root", NULL };
	const char *sysfs_root = NULL, *dev_root = NULL;
	struct udaq_list *list = NULL;
	struct udaq_ctx *ctx;
	PyObject *out = NULL;
	size_t i;
	int ret;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "|$zz:list_devices", kwlist,
					 &sysfs_root, &dev_root))
		return NULL;
	if (!(ctx = new_ctx(sysfs_root, dev_root)))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	ret = udaq_enumerate(ctx, &list);
	Py_END_ALLOW_THREADS
	if (ret == -ENOENT) {	/* no UIO support loaded: nothing to list */
		out = PyList_New(0);
		goto out;
	}
	if (ret) {
		pyudaq_err(ret, "udaq_enumerate");
		goto out;
	}
	if (!(out = PyList_New(0)))
		goto out;
	for (i = 0; i < udaq_list_count(list); i++) {
		PyObject *d = info_dict(udaq_list_get(list, i), udaq_ctx_dev_root(ctx));

		if (!d || PyList_Append(out, d)) {
			Py_XDECREF(d);
			Py_CLEAR(out);
			break;
		}
		Py_DECREF(d);
	}
out:
	udaq_list_free(list);
	udaq_ctx_free(ctx);
	return out;
}
