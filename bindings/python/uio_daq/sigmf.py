# SPDX-License-Identifier: LGPL-2.1-or-later
"""Reading daqd's SigMF recordings (docs/sigmf.md) as memory-mapped numpy.

    from uio_daq import sigmf
    rec = sigmf.open_recording("/var/lib/daqd")       # newest acquisition
    for seg in rec.segments():
        print(seg.global_index, seg.samples.shape, seg.lost_before)

A recording is the files of one acquisition (PREFIX-ACQSTART-NNNNNN),
rotated files in order. Each capture segment of each file is a read-only
numpy memmap of shape (samples, channels) with its device sample index
(core:global_index) and the samples lost just before it (the loss
annotations).
"""

import glob
import json
import os
import re
from dataclasses import dataclass

import numpy as _np

__all__ = ["Segment", "Recording", "open_recording", "acquisitions"]

_NAME = re.compile(r"^(?P<stem>.+-(?P<acq>\d{8}T\d{6}\.\d{6}Z))-(?P<idx>\d{6})\.sigmf-meta$")


@dataclass(frozen=True)
class Segment:
    """One capture segment: *samples* (n, channels) int16, memory-mapped;
    device indexes global_index .. global_index + n - 1; *lost_before*
    device samples lost just before it (0 if none)."""
    file: str
    file_index: int
    sample_start: int
    global_index: int
    lost_before: int
    samples: _np.ndarray


class Recording:
    """The rotated files of one acquisition, in order."""

    def __init__(self, meta_paths):
        if not meta_paths:
            raise FileNotFoundError("no .sigmf-meta files given")
        self.meta_paths = list(meta_paths)
        self.metas = []
        for p in self.meta_paths:
            with open(p, encoding="utf-8") as f:
                self.metas.append(json.load(f))

    @property
    def num_channels(self):
        """Channels per sample."""
        return self.metas[0]["global"]["core:num_channels"]

    @property
    def sample_rate(self):
        """core:sample_rate, or None for a free-running acquisition."""
        return self.metas[0]["global"].get("core:sample_rate")

    @property
    def lost_samples(self):
        """Device samples lost, summed over the files."""
        return sum(m["global"].get("daqd:lost_samples", 0) for m in self.metas)

    def segments(self):
        """Every capture segment of every file, in order (a generator)."""
        for path, meta in zip(self.meta_paths, self.metas):
            yield from _file_segments(path, meta)


def _file_segments(meta_path, meta):
    g = meta["global"]
    if g.get("core:datatype") != "ri16_le":
        raise ValueError(f"{meta_path}: datatype {g.get('core:datatype')!r}, want ri16_le")
    nch = g["core:num_channels"]
    count = g["daqd:sample_count"]
    data_path = meta_path[: -len(".sigmf-meta")] + ".sigmf-data"
    have = os.path.getsize(data_path) // (2 * nch)
    if have < count:
        raise ValueError(f"{data_path}: holds {have} samples, metadata says {count}")
    lost_at = {}
    for a in meta.get("annotations", []):
        if "daqd:lost_samples" in a:
            lost_at[a["core:sample_start"]] = lost_at.get(a["core:sample_start"], 0) + \
                a["daqd:lost_samples"]
    caps = meta.get("captures", [])
    whole = None
    if count:
        whole = _np.memmap(data_path, dtype="<i2", mode="r", shape=(count, nch))
    for i, c in enumerate(caps):
        start = c["core:sample_start"]
        end = caps[i + 1]["core:sample_start"] if i + 1 < len(caps) else count
        if end <= start:
            continue    # an open file's empty last capture
        yield Segment(data_path, g.get("daqd:file_index", 0), start,
                      c["core:global_index"], lost_at.get(start, 0), whole[start:end])


def acquisitions(directory, prefix="daqd"):
    """The acquisitions recorded in *directory*: a sorted list of stems
    'PREFIX-ACQSTART' (oldest first)."""
    found = set()
    for p in glob.glob(os.path.join(glob.escape(directory), glob.escape(prefix) + "-*.sigmf-meta")):
        m = _NAME.match(os.path.basename(p))
        if m:
            found.add(m.group("stem"))
    return sorted(found)


def open_recording(directory, acquisition=None, prefix="daqd"):
    """Open one acquisition's files in *directory*: the stem 'PREFIX-ACQSTART'
    given, or the newest."""
    acqs = acquisitions(directory, prefix)
    if not acqs:
        raise FileNotFoundError(f"no {prefix}-*.sigmf-meta recording in {directory}")
    stem = acquisition if acquisition is not None else acqs[-1]
    if stem not in acqs:
        raise FileNotFoundError(f"no acquisition {stem!r} in {directory}")
    paths = sorted(glob.glob(os.path.join(glob.escape(directory),
                                          glob.escape(os.path.basename(stem)) +
                                          "-[0-9][0-9][0-9][0-9][0-9][0-9].sigmf-meta")))
    return Recording(paths)
