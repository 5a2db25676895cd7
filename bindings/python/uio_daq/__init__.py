# SPDX-License-Identifier: LGPL-2.1-or-later
"""uio_daq: Python access to uio-daq devices, with no copy of the samples.

The DMA ring of a card (or of the simulated refdaq) is mapped into the
process; a :class:`Batch` of frames exposes the buffer protocol, so
``np.asarray(batch)`` is a read-only int16 array of shape
(samples, channels) over the very DMA memory.

    import numpy as np
    import uio_daq

    with uio_daq.Device("sim:ring=16M") as dev, uio_daq.Digitizer(dev) as dg:
        dg.configure(sample_rate=1_000_000, channels=[0, 1], test_pattern=True)
        with uio_daq.Reader(dg) as rd:
            dg.start()
            for batch in rd:                  # leaves the previous batch behind
                x = np.asarray(batch)         # (samples, 2) int16, no copy
                print(batch.first_sample, batch.lost_samples, x.mean(axis=0))
                if batch.first_sample > 10_000_000:
                    dg.stop()                 # iteration ends once drained

A batch goes back to the ring once released and no view of it is alive;
releasing it while a view lives raises BufferError (see help(Batch)).

Modules: :mod:`uio_daq.stream` (daqd's network stream),
:mod:`uio_daq.control` (daqd's control socket), :mod:`uio_daq.sigmf`
(daqd's recordings). docs/python.md has the whole story.
"""

import numpy as _np

import errno as _errno

from ._uio_daq import (  # noqa: F401  (the public names)
    FLAG_GAP,
    FLAG_LAST,
    FLAG_TEST,
    Batch,
    Device,
    Digitizer,
    Reader,
    library_version,
)
from ._uio_daq import list_devices as _list_devices

__all__ = [
    "Batch", "Device", "Digitizer", "Reader", "list_devices", "library_version",
    "test_pattern", "FLAG_GAP", "FLAG_LAST", "FLAG_TEST",
]

def list_devices(*, sysfs_root=None, dev_root=None):
    """The UIO devices found, as `lsdaq --json` lists them under "devices".

    A list of dicts: index, devname, node, name, version, pci (None, or
    address, id, vendor, device, vendor_name, device_name), maps (index,
    name, addr, size, offset) and error (None, or code, errno and message
    for an entry whose sysfs files are missing or malformed). Empty when no
    UIO support is loaded. The roots default to $UIO_DAQ_SYSFS_ROOT or
    /sys and $UIO_DAQ_DEV_ROOT or /dev.
    """
    devs = _list_devices(sysfs_root=sysfs_root, dev_root=dev_root)
    for d in devs:
        e = d["error"]
        if e is not None:
            d["error"] = {"code": _errno.errorcode.get(e["errno"], str(e["errno"])), **e}
    return devs


_TEST_MULT = _np.uint64(0x9E3779B97F4A7C15)


def test_pattern(first_sample, nsamples, channels):
    """The device test pattern (uio_daq/frame.h: udaq_test_sample()).

    Returns an int16 array of shape (nsamples, len(channels)): the sample of
    device channel c at device sample index n is the top 16 bits of
    n * 0x9E3779B97F4A7C15 (mod 2**64), XORed with c.
    """
    if nsamples < 0:
        raise ValueError("nsamples must not be negative")
    n = _np.arange(first_sample, first_sample + nsamples, dtype=_np.uint64)
    with _np.errstate(over="ignore"):
        top = ((n * _TEST_MULT) >> _np.uint64(48)).astype(_np.uint16)
    chans = _np.asarray(list(channels), dtype=_np.uint16)
    return (top[:, None] ^ chans[None, :]).view(_np.int16)


test_pattern.__test__ = False  # not a pytest test
