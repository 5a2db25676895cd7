# SPDX-License-Identifier: LGPL-2.1-or-later
"""Bad arguments raise the right exception with a clear message, never crash."""
import pytest

import uio_daq


@pytest.mark.parametrize("spec, exc, msg", [
    ("sim:ring=60K", ValueError, "ring=60K"),
    ("sim:bogus=1", ValueError, "bogus"),
    ("sim:channels=99", ValueError, "channels"),
    ("uio999", FileNotFoundError, "uio999"),
    ("no-such-device-name", FileNotFoundError, "no-such-device-name"),
])
def test_bad_specs(spec, exc, msg):
    with pytest.raises(exc, match=msg):
        uio_daq.Device(spec)


def test_wrong_types():
    with pytest.raises(TypeError):
        uio_daq.Device(42)
    with pytest.raises(TypeError):
        uio_daq.Device()
    with pytest.raises(TypeError):
        uio_daq.Digitizer("sim")
    with pytest.raises(TypeError):
        uio_daq.Reader(None)
    with pytest.raises(ValueError, match="absolute"):
        uio_daq.Device("sim", sysfs_root="relative/path")
    with pytest.raises(ValueError, match="absolute"):
        uio_daq.list_devices(dev_root="dev")


@pytest.mark.parametrize("cfg, exc, msg", [
    (dict(sample_rate=-1), ValueError, "sample_rate must not be negative"),
    (dict(sample_rate=2**40), ValueError, "sample_rate must be at most"),
    (dict(sample_rate="fast"), TypeError, "sample_rate must be an int"),
    (dict(sample_rate=5_000_000), ValueError, "bad configuration"),
    (dict(channels=[0, 40]), ValueError, "channel number must be at most 31"),
    (dict(channels=5), TypeError, "sequence"),
    (dict(channels=[]), ValueError, "bad configuration"),
    (dict(channels=[0], chan_mask=1), TypeError, "not both"),
    (dict(policy="sometimes"), ValueError, "'stop' or 'overwrite'"),
    (dict(policy=1), TypeError, "'stop' or 'overwrite'"),
    (dict(frame_samples=1 << 30), ValueError, "bad configuration"),
    (dict(nonsense=1), TypeError, "nonsense"),
])
def test_bad_configuration(sim, cfg, exc, msg):
    dev, dg = sim()
    with pytest.raises(exc, match=msg):
        dg.configure(**cfg)


def test_bad_reader_and_wait_arguments(sim):
    dev, dg = sim(test_pattern=True, freerun=True)
    with pytest.raises(ValueError, match="max_frames must be at least 1"):
        uio_daq.Reader(dg, max_frames=0)
    with pytest.raises(ValueError, match="max_frames must be at most"):
        uio_daq.Reader(dg, max_frames=10**6)
    with pytest.raises(TypeError, match="max_lag must be an int"):
        uio_daq.Reader(dg, max_lag=1.5)
    with pytest.raises(ValueError, match="timeout"):
        dg.wait(timeout=-1)
    with pytest.raises(TypeError, match="timeout"):
        dg.wait(timeout="soon")
    with uio_daq.Reader(dg) as rd:
        with pytest.raises(ValueError, match="timeout"):
            rd.next_batch(timeout=-0.5)
        with pytest.raises(TypeError, match="timeout"):
            rd.next_batch(timeout=[])


def test_batch_types_cannot_be_made_directly():
    with pytest.raises(TypeError):
        uio_daq.Batch()


def test_stream_bad_addresses():
    from uio_daq import stream
    with pytest.raises(ValueError):
        stream.connect("not an address")
    with pytest.raises(ValueError, match="channel numbers"):
        stream.connect("unix:/nonexistent", channels=[33])
    with pytest.raises(ValueError, match="decimation"):
        stream.connect("unix:/nonexistent", decimation=0)
    with pytest.raises(OSError):
        stream.connect("unix:/nonexistent/socket", timeout=2)


def test_sigmf_missing(tmp_path):
    from uio_daq import sigmf
    with pytest.raises(FileNotFoundError, match="no daqd"):
        sigmf.open_recording(str(tmp_path))


def test_control_missing(tmp_path):
    from uio_daq.control import Control
    with pytest.raises(OSError):
        Control(str(tmp_path / "none.sock"))
    with pytest.raises(ValueError):
        Control("")
