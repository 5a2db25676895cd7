# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Python bindings against the C library on the same simulator.

(1) Rate: a Python consumer that sums every sample of every batch with
numpy (np.asarray(batch), each frame summed in int32, then the frames)
against bench_sum, the same consumer in C;
freerun, stop policy, lossless reader, so the rate is what the consumer
takes. Alternating rounds, the median. Target: Python >= 0.9 x C.
(2) Per-batch overhead of the binding: a ring full of tiny frames (16
samples, 1 channel), the device stopped, read back one frame per batch: the
time per batch in Python (next_batch alone, and with np.asarray) minus C's.
Run by `meson test --benchmark` (or directly, with BENCH_SUM and PYTHONPATH
set as bench/python/meson.build does); it reports, it does not fail.
"""
import os
import statistics
import subprocess
import sys
import time

import numpy as np

import uio_daq

SPEC = "sim:ring=16M,chunk=1M"
SECONDS = 1
ROUNDS = 5
FRAME_SAMPLES, CHANNELS, MAX_FRAMES = 8192, 8, 8
TARGET = 0.9
BENCH_SUM = os.environ["BENCH_SUM"]


def open_sim(frame_samples, channels):
    dev = uio_daq.Device(SPEC)
    dg = uio_daq.Digitizer(dev)
    dg.configure(channels=list(range(channels)), frame_samples=frame_samples,
                 test_pattern=True, freerun=True, policy="stop")
    return dev, dg


def python_rate(seconds, frame_samples, channels, max_frames):
    """MiB/s the device delivered to a numpy consumer summing every sample."""
    assert frame_samples * channels <= 65536      # a frame's sum fits int32
    total = 0
    dev, dg = open_sim(frame_samples, channels)
    with dev, dg, uio_daq.Reader(dg, max_frames=max_frames) as rd:
        dg.start()
        w0 = dg.status()["wr_ptr"]
        t0 = time.monotonic()
        for b in rd:
            # per frame in int32 (8192 x 8 samples of 16 bits cannot overflow
            # it), then the frames' sums: exact, and twice as fast in numpy
            # as a sum into int64 straight from int16
            x = np.asarray(b).reshape(b.nframes, -1)
            total += int(x.sum(axis=1, dtype=np.int32).sum(dtype=np.int64))
            x = None
            if time.monotonic() - t0 >= seconds:
                break
        t1 = time.monotonic()
        w1 = dg.status()["wr_ptr"]
        dg.stop()
        b = None
    return (w1 - w0) / (t1 - t0) / (1 << 20)


def python_overhead(frame_samples, channels, view):
    """µs per batch reading back a full ring with the device stopped: the
    binding's cost without the device in the way (@view: and np.asarray)."""
    dev, dg = open_sim(frame_samples, channels)
    with dev, dg, uio_daq.Reader(dg) as rd:
        dg.start()
        while True:     # until the device waits for the reader: the ring is full
            w0 = dg.status()["wr_ptr"]
            dg.wait(0.1)
            if dg.status()["wr_ptr"] == w0:
                break
        dg.stop()
        n = 0
        t0 = time.perf_counter()
        if view:
            for b in rd:
                np.asarray(b)
                n += 1
        else:
            for b in rd:
                n += 1
        t1 = time.perf_counter()
        b = None
    return (t1 - t0) / n * 1e6, n


def c_run(mode, limit, frame_samples, channels, max_frames):
    out = subprocess.run([BENCH_SUM, mode, str(limit), str(frame_samples), str(channels),
                          str(max_frames)], check=True, capture_output=True, text=True).stdout
    fields = dict(line.split() for line in out.splitlines())
    return float(fields["rate" if mode == "rate" else "per_batch"])


def main():
    py, c = [], []
    for _ in range(ROUNDS):
        c.append(c_run("rate", SECONDS, FRAME_SAMPLES, CHANNELS, MAX_FRAMES))
        py.append(python_rate(SECONDS, FRAME_SAMPLES, CHANNELS, MAX_FRAMES))
    c_rate, py_rate = statistics.median(c), statistics.median(py)
    ratio = py_rate / c_rate
    c_us = statistics.median(c_run("overhead", 1, 16, 1, 1) for _ in range(ROUNDS))
    py_us, n = min(python_overhead(16, 1, False) for _ in range(ROUNDS))
    py_view_us = min(python_overhead(16, 1, True) for _ in range(ROUNDS))[0]
    print(f"python bindings ({SPEC}, {CHANNELS} ch, {FRAME_SAMPLES}-sample frames, "
          f"up to {MAX_FRAMES} per batch, freerun, stop policy; median of {ROUNDS} "
          f"alternating {SECONDS} s rounds)")
    print(f"  C consumer (sum of every sample):            {c_rate:8.1f} MiB/s")
    print(f"  Python consumer (numpy sum of np.asarray):   {py_rate:8.1f} MiB/s  "
          f"ratio {ratio:.3f} (target >= {TARGET:.2f}): {'PASS' if ratio >= TARGET else 'MISS'}")
    print(f"  per batch, reading back a full ring of {n} one-frame batches (16 samples, "
          f"device stopped; best of {ROUNDS}):")
    print(f"    C peek + sum + release:                    {c_us:8.2f} us")
    print(f"    Python next_batch():                       {py_us:8.2f} us  "
          f"binding overhead {py_us - c_us:.2f} us per batch")
    print(f"    Python next_batch() + np.asarray(batch):   {py_view_us:8.2f} us  "
          f"overhead {py_view_us - c_us:.2f} us per batch")
    return 0


if __name__ == "__main__":
    sys.exit(main())
