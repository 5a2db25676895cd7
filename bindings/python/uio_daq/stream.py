# SPDX-License-Identifier: GPL-2.0-or-later
"""A client for daqd's network stream (docs/stream-protocol.md).

    from uio_daq import stream
    with stream.connect("unix:/run/daqd/stream.sock", verify=True) as s:
        for ev in s:
            if isinstance(ev, stream.Block):
                use(ev.first_sample, ev.samples)      # (nsamples, nchan) int16
            elif isinstance(ev, stream.Gap):
                print(ev.nsamples, "samples lost:", ev.reason)
        print(s.verify_stats())

Built on libdaqstream's client and verifier (the C code daqcat uses): DATA
is handed out only once the server COMMITs it, so a Block never holds torn
samples, and every device sample is either in a Block or in a Gap.
"""

from dataclasses import dataclass

import numpy as _np

from ._uio_daq import StreamClient as _StreamClient

__all__ = ["connect", "Stream", "Hello", "Block", "Gap", "End"]

GAP_REASONS = {1: "client_slow", 2: "device_overflow"}
END_REASONS = {1: "stopped", 2: "shutdown", 3: "device_error"}


@dataclass(frozen=True)
class Hello:
    """A (new) acquisition: the stream's description (HELLO's fields)."""
    info: dict


@dataclass(frozen=True)
class Block:
    """Committed samples: *samples* is (nsamples, nchan) int16; sample i has
    device index first_sample + i * decimation."""
    first_sample: int
    timestamp_ns: int
    seq: int
    flags: int
    decimation: int
    samples: _np.ndarray


@dataclass(frozen=True)
class Gap:
    """Device samples [first_sample, first_sample + nsamples) that will never
    come; *reason* is 'client_slow' or 'device_overflow'."""
    first_sample: int
    nsamples: int
    reason: str


@dataclass(frozen=True)
class End:
    """The acquisition ended at *end_sample*; *reason*: 'stopped',
    'shutdown' or 'device_error'. A Hello may follow."""
    end_sample: int
    reason: str


class Stream:
    """A connection to daqd's stream; iterate it for events (Hello, Block,
    Gap, End) until the server closes the connection."""

    def __init__(self, addr, channels=None, decimation=1, timeout=0.0, verify=False):
        mask = 0
        if channels is not None:
            for c in channels:
                if not isinstance(c, int) or not 0 <= c < 32:
                    raise ValueError(f"channel numbers are 0..31, not {c!r}")
                mask |= 1 << c
            if not mask:
                raise ValueError("channels must name at least one channel")
        self._c = _StreamClient(addr, chan_mask=mask, decimation=decimation,
                                timeout=timeout, verify=verify)
        self._decimation = 1
        self.hello = None

    def next_event(self):
        """The next event, or None once the server closed the connection."""
        ev = self._c.next_event()
        kind = ev[0]
        if kind == "hello":
            self.hello = ev[1]
            self._decimation = ev[1]["decimation"]
            return Hello(ev[1])
        if kind == "data":
            _, first, ts, seq, nchan, flags, raw = ev
            samples = _np.frombuffer(raw, dtype="<i2").reshape(-1, nchan)
            return Block(first, ts, seq, flags, self._decimation, samples)
        if kind == "gap":
            return Gap(ev[1], ev[2], GAP_REASONS.get(ev[3], f"reason {ev[3]}"))
        if kind == "end":
            return End(ev[1], END_REASONS.get(ev[2], f"reason {ev[2]}"))
        return None

    def __iter__(self):
        return self

    def __next__(self):
        ev = self.next_event()
        if ev is None:
            raise StopIteration
        return ev

    def verify_stats(self):
        """With verify=True: the verifier's counters (samples, gaps, lost
        samples by reason, bad_samples, bad_sequence, errors, first_error),
        as ``daqcat --verify`` reports them; None before the first Hello."""
        return self._c.verify_stats()

    @property
    def bytes_received(self):
        """Bytes received so far."""
        return self._c.bytes_received

    def close(self):
        """Disconnect."""
        self._c.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def connect(addr, channels=None, decimation=1, timeout=0.0, verify=False):
    """Connect to daqd's stream at *addr* ('HOST:PORT', '[V6]:PORT', ':PORT'
    or 'unix:PATH'), asking for *channels* (device channel numbers; None:
    all) and one sample in *decimation*. *timeout* > 0 makes silence that
    long a TimeoutError. *verify* checks every sample against the test
    pattern and the accounting of sample indexes (verify_stats())."""
    return Stream(addr, channels, decimation, timeout, verify)
