# SPDX-License-Identifier: LGPL-2.1-or-later
"""Readers and batches: zero copy into the ring, read-only views, the
BufferError rule, iteration, multi-frame batches, lossy checks, the GIL."""
import threading
import time

import numpy as np
import pytest

import uio_daq
from conftest import verify

CH = [0, 1, 2, 3]


def mapping_of(addr):
    """The /proc/self/maps line whose range holds @addr."""
    with open("/proc/self/maps") as f:
        for line in f:
            lo, hi = (int(v, 16) for v in line.split()[0].split("-"))
            if lo <= addr < hi:
                return line.strip()
    return None


def test_zero_copy_into_the_ring_mapping(sim):
    dev, dg = sim(channels=CH, frame_samples=1024, test_pattern=True, freerun=True,
                  policy="stop")
    with uio_daq.Reader(dg) as rd:
        dg.start()
        b = rd.next_batch(timeout=10)
        x = np.asarray(b)
        assert x.dtype == np.int16 and x.shape == (1024, 4)
        assert x.__array_interface__["data"][0] == b.address
        line = mapping_of(b.address)
        # the simulator's ring is a memfd named "ring", as mapped by the library
        assert line is not None and "/memfd:ring" in line, line
        end = b.address + x.nbytes - 1
        assert mapping_of(end) is not None and "/memfd:ring" in mapping_of(end)
        y = np.asarray(b)
        assert np.shares_memory(x, y)
        verify(b, CH)
        assert not x.flags.writeable
        with pytest.raises(ValueError):
            x[0, 0] = 1
        m = memoryview(b)
        assert m.readonly and m.format in ("h", "<h") and m.shape == (1024, 4)
        assert np.asarray(m).dtype == np.dtype("<i2")
        del x, y, m
        b.release()


def test_buffer_error_while_a_view_lives(sim):
    dev, dg = sim(channels=CH, test_pattern=True, freerun=True)
    with uio_daq.Reader(dg) as rd:
        dg.start()
        b = rd.next_batch(timeout=10)
        x = np.asarray(b)
        with pytest.raises(BufferError, match="1 view"):
            b.release()
        assert not b.released
        v = x[10:20]            # a view of the view still holds the batch
        del x
        with pytest.raises(BufferError):
            b.release()
        del v
        b.release()
        assert b.released
        b.release()             # twice is a no-op
        with pytest.raises(BufferError, match="released"):
            np.asarray(b)
        with pytest.raises(BufferError, match="released"):
            memoryview(b)


def ring_mappings():
    with open("/proc/self/maps") as f:
        return sum("/memfd:ring" in line for line in f)


def test_views_outlive_closing_everything():
    """Leaving the with blocks while the loop's last array is alive frees
    the reader, digitizer and device for their user, but the ring stays
    mapped until the array dies."""
    before = ring_mappings()
    with uio_daq.Device("sim:ring=1M") as dev, uio_daq.Digitizer(dev) as dg:
        dg.configure(channels=CH, test_pattern=True, freerun=True, frame_samples=256)
        with uio_daq.Reader(dg) as rd:
            dg.start()
            for n, b in enumerate(rd):
                x = np.asarray(b)
                if n == 3:
                    break
        assert rd.closed
    assert dev.closed and dg.closed
    with pytest.raises(ValueError, match="closed"):
        dg.start()
    with pytest.raises(ValueError, match="closed"):
        rd.next_batch()
    assert ring_mappings() > before           # still mapped for x
    assert (x == uio_daq.test_pattern(3 * 256, 256, CH)).all()
    del x
    assert ring_mappings() == before          # unmapped with the last view
    b = None


def test_with_block_releases(sim):
    dev, dg = sim(channels=CH, test_pattern=True, freerun=True)
    with uio_daq.Reader(dg) as rd:
        dg.start()
        with rd.next_batch(timeout=10) as b:
            s = int(np.asarray(b).astype(np.int64).sum())
        assert b.released
        assert isinstance(s, int)
    assert rd.closed


def test_iteration_in_order_with_views_kept_across_steps(sim):
    """`for b in rd: x = np.asarray(b)` keeps the previous x alive into the
    next step: that batch is left behind and given back once x dies."""
    dev, dg = sim(channels=CH, frame_samples=512, test_pattern=True, freerun=True,
                  policy="stop")
    with uio_daq.Reader(dg) as rd:
        dg.start()
        expect = 0
        prev = None
        for n, b in enumerate(rd):
            x = np.asarray(b)
            assert b.first_sample == expect and b.lost_samples == 0
            verify(b, CH)
            if prev is not None:
                assert prev.released      # left behind, no new view
                with pytest.raises(BufferError):
                    np.asarray(prev)
            expect += b.nsamples
            prev = b
            if n == 50:
                dg.stop()
        assert rd.batches > 50
        # stopped and drained: iteration ended with every frame read
        st = dg.status()
        assert expect * dg.frame_len // 512 == st["wr_ptr"]
        del x


def test_eight_held_views_block_reading_on(sim):
    dev, dg = sim(channels=CH, frame_samples=256, test_pattern=True, freerun=True,
                  policy="stop")
    with uio_daq.Reader(dg) as rd:
        dg.start()
        held = [np.asarray(rd.next_batch(timeout=10)) for _ in range(8)]
        with pytest.raises(BufferError, match="8 earlier batches"):
            rd.next_batch(timeout=10)
        # their samples are still intact: the device waits for them (stop policy)
        first = 0
        for x in held:
            assert (x == uio_daq.test_pattern(first, 256, CH)).all()
            first += 256
        del held, x
        b = rd.next_batch(timeout=10)
        assert b.first_sample == 8 * 256


def test_multi_frame_batches_are_strided_over_headers(sim):
    dev, dg = sim(channels=[1, 3, 5], frame_samples=100, test_pattern=True, freerun=True,
                  policy="stop")
    with uio_daq.Reader(dg, max_frames=16) as rd:
        dg.start()
        total = 0
        while total < 20000:
            b = rd.next_batch(timeout=10)
            x = np.asarray(b)
            if b.nframes > 1:
                assert x.shape == (b.nframes, 100, 3)
                assert x.strides == (dg.frame_len, 6, 2)
                assert len(b.timestamps) == b.nframes
                assert list(b.timestamps) == sorted(b.timestamps)
            verify(b, [1, 3, 5])
            assert b.first_sample == total
            total += b.nsamples
            del x
        assert rd.batches < total // 100     # some batches held several frames


def test_max_payload_bounds_a_batch(sim):
    dev, dg = sim(channels=CH, frame_samples=128, test_pattern=True, freerun=True,
                  policy="stop")
    with uio_daq.Reader(dg, max_frames=64, max_payload=3 * 128 * 8) as rd:
        dg.start()
        for _ in range(20):
            b = rd.next_batch(timeout=10)
            assert 1 <= b.nframes <= 3


def test_lossy_reader_check_and_overwritten(sim):
    """A lossy reader that holds a batch while the device laps the ring is
    told: check() is False, and the next batch reports the loss."""
    dev, dg = sim("sim:ring=256K,chunk=64K", channels=CH, frame_samples=256,
                  test_pattern=True, freerun=True, policy="overwrite")
    with uio_daq.Reader(dg, lossy=True) as rd:
        dg.start()
        # (Not checked here: a free-running device may lap a 256 KiB ring
        # before the check on a busy machine.)
        b = rd.next_batch(timeout=10)
        first_end = b.first_sample + b.nsamples
        w0 = dg.status()["wr_ptr"]
        while dg.status()["wr_ptr"] - w0 < 4 * dg.caps["ring_size"]:
            dg.wait(timeout=0.1)
        assert not b.check()
        b.release()
        nb = rd.next_batch(timeout=10)
        assert nb.lost_samples > 0
        assert nb.first_sample == first_end + nb.lost_samples
        assert rd.lost_bytes > 0
        # Copy, then check: the check vouches for what was read before it.
        x = np.array(nb)
        if nb.check():
            verify(nb, CH, x)


def test_next_batch_timeout_and_end(sim):
    dev, dg = sim("sim:ring=1M", sample_rate=1000, channels=[0], frame_samples=1000,
                  test_pattern=True)
    with uio_daq.Reader(dg) as rd:
        assert rd.next_batch(timeout=0.05) is None      # not started: nothing, at once
        dg.start()
        t = time.monotonic()
        assert rd.next_batch(timeout=0.05) is None      # a frame takes 1 s at 1 kHz
        assert time.monotonic() - t >= 0.04
        dg.stop()
        left = list(rd)
        for b in left:
            assert b.first_sample % 1000 == 0
        assert rd.next_batch(timeout=1) is None


def test_the_gil_is_released_while_waiting(sim):
    dev, dg = sim("sim:ring=1M", sample_rate=2000, channels=[0], frame_samples=1000,
                  test_pattern=True)
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.002)

    with uio_daq.Reader(dg) as rd:
        th = threading.Thread(target=ticker)
        dg.start()
        th.start()
        try:
            t0 = time.monotonic()
            b = rd.next_batch(timeout=30)       # about 0.5 s of waiting
            t1 = time.monotonic()
        finally:
            stop.set()
            th.join()
        assert b is not None and b.first_sample == 0
        during = [t for t in ticks if t0 < t < t1]
        assert t1 - t0 > 0.1
        assert len(during) >= 5, (len(during), t1 - t0)


def test_one_thread_at_a_time_in_a_reader(sim):
    dev, dg = sim("sim:ring=1M", sample_rate=1000, channels=[0], frame_samples=1000,
                  test_pattern=True)
    with uio_daq.Reader(dg) as rd:
        dg.start()
        got = []
        th = threading.Thread(target=lambda: got.append(rd.next_batch(timeout=30)))
        th.start()
        try:
            deadline = time.monotonic() + 30
            while True:         # until the thread is inside, waiting
                try:
                    rd.next_batch(timeout=0)
                except RuntimeError as e:
                    assert "another thread" in str(e)
                    break
                assert time.monotonic() < deadline
                time.sleep(0.001)
            with pytest.raises(RuntimeError, match="another thread"):
                rd.close()
        finally:
            th.join()
        assert got and got[0] is not None
        got = None


def test_a_signal_interrupts_the_wait(sim):
    import signal

    class Interrupted(Exception):
        pass

    def handler(signum, frame):
        raise Interrupted

    dev, dg = sim("sim:ring=1M", sample_rate=1000, channels=[0], frame_samples=1000,
                  test_pattern=True)
    old = signal.signal(signal.SIGALRM, handler)
    try:
        with uio_daq.Reader(dg) as rd:
            dg.start()
            rd.next_batch(timeout=30)           # the first frame: 1 s at 1 kHz
            signal.setitimer(signal.ITIMER_REAL, 0.1)
            with pytest.raises(Interrupted):    # not the batch a second later
                rd.next_batch(timeout=30)       # the next: another second
            assert rd.next_batch(timeout=30) is not None    # still usable
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
