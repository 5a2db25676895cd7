#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Verify daqd SigMF recordings of the refdaq test pattern, sample by sample.

Checks, for every recording in a directory (in file-name order, which must
be time order):
  - the .sigmf-meta is JSON valid against the SigMF schema subset;
  - the .sigmf-data holds at least the samples the metadata describes
    (exactly that many once the file is complete);
  - every capture segment's samples equal the test pattern at its
    core:global_index onwards;
  - every jump in global index (inside a file and from one file to the
    next) carries an annotation with exactly the number of samples lost,
    and there is no annotation without a jump.

Usage: verify_sigmf.py DIR [--channels N] [--samples N] [--lost N]
                           [--allow-incomplete] [--min-gaps N]
Prints a summary; exits 1 with the reason on the first mismatch.
"""
import argparse
import glob
import json
import os
import sys

import jsonschema
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MULT = np.uint64(0x9E3779B97F4A7C15)


class VerifyError(Exception):
    pass


def pattern(first, count, nchan, step=1):
    """The test pattern: top 16 bits of n * MULT, XOR the channel number,
    for device samples first, first + step, ... (step: a decimation)."""
    n = np.arange(count, dtype=np.uint64) * np.uint64(step) + np.uint64(first)
    with np.errstate(over='ignore'):
        v = ((n * MULT) >> np.uint64(48)).astype(np.uint16)
    chans = np.arange(nchan, dtype=np.uint16)
    return (v[:, None] ^ chans[None, :]).view(np.int16)


def load_schema():
    with open(os.path.join(HERE, 'sigmf-schema-subset.json')) as f:
        return json.load(f)


def verify(directory, channels=None, allow_incomplete=False, schema=None, late_start=False):
    """Return a dict of totals; raise VerifyError on any mismatch."""
    schema = schema or load_schema()
    metas = sorted(glob.glob(os.path.join(directory, '*.sigmf-meta')))
    if not metas:
        raise VerifyError(f'no .sigmf-meta in {directory}')
    leftovers = glob.glob(os.path.join(directory, '*.tmp'))
    totals = {'cut_short': 0, 'files': 0, 'samples': 0, 'lost': 0, 'gaps': 0, 'segments': 0,
              'incomplete': 0, 'acquisitions': set()}
    expect_next = {}   # acquisition -> device index expected next
    for meta_path in metas:
        name = os.path.basename(meta_path)
        meta = load_meta(meta_path, schema)
        g = meta['global']
        nchan = g.get('core:num_channels', 1)
        if channels is not None and nchan != channels:
            raise VerifyError(f'{name}: {nchan} channels, expected {channels}')
        count = g['daqd:sample_count']
        complete = g['daqd:complete']
        # Cut short (a full disk): closed, exact, never "complete", says why.
        cut_short = 'daqd:stop_reason' in g
        if cut_short and complete:
            raise VerifyError(f'{name}: complete, yet stopped: {g["daqd:stop_reason"]}')
        closed = complete or cut_short
        acq = g['daqd:acquisition']
        data_path = meta_path[:-len('.sigmf-meta')] + '.sigmf-data'
        size = os.path.getsize(data_path)
        if size < count * nchan * 2:
            raise VerifyError(f'{name}: data has {size} bytes, metadata describes '
                              f'{count} samples ({count * nchan * 2} bytes)')
        if closed and size != count * nchan * 2:
            raise VerifyError(f'{name}: closed, but data has {size} bytes for '
                              f'{count} samples')
        if cut_short:
            totals['cut_short'] += 1
        elif not complete:
            if not allow_incomplete:
                raise VerifyError(f'{name}: not complete (daqd:complete false)')
            totals['incomplete'] += 1
        data = np.fromfile(data_path, dtype='<i2', count=count * nchan).reshape(-1, nchan)
        caps = meta['captures']
        starts = [c['core:sample_start'] for c in caps]
        if starts != sorted(starts) or not caps or starts[0] != 0:
            raise VerifyError(f'{name}: captures not sorted from sample 0: {starts}')
        ann = {}
        for a in meta['annotations']:
            if 'daqd:lost_samples' in a:
                if a['core:sample_start'] in ann:
                    raise VerifyError(f'{name}: two loss annotations at {a["core:sample_start"]}')
                ann[a['core:sample_start']] = a['daqd:lost_samples']
        seen_ann = set()
        for i, c in enumerate(caps):
            start = c['core:sample_start']
            end = caps[i + 1]['core:sample_start'] if i + 1 < len(caps) else count
            gidx = c['core:global_index']
            # A file still being written stores the capture a jump begins
            # before its samples: empty, last, and only there.
            empty_ok = not complete and i + 1 == len(caps)
            if end < start or (end == start and count > 0 and not empty_ok):
                raise VerifyError(f'{name}: empty capture at {start}')
            # late_start: a stream client that joined mid-acquisition
            # starts where it joined; daqd's recorder starts at 0.
            want = expect_next.get(acq, gidx if late_start else 0)
            jump = gidx - want
            if jump < 0:
                raise VerifyError(f'{name}: capture at {start} goes back to device '
                                  f'sample {gidx} (expected >= {want})')
            got = ann.get(start, 0)
            if jump != got:
                raise VerifyError(f'{name}: capture at {start}: device index jumps by '
                                  f'{jump} samples but the annotation says {got} lost')
            if start in ann:
                seen_ann.add(start)
            if jump:
                totals['gaps'] += 1
                totals['lost'] += jump
            # Decimated: indices are in file samples, one per @dec of the
            # device's, and each capture names its device index as well.
            dec = g.get('daqd:decimation', 1)
            if dec > 1 and c.get('daqd:device_index') != gidx * dec:
                raise VerifyError(f'{name}: capture at {start}: global index {gidx} '
                                  f'is not device index {c.get("daqd:device_index")} / {dec}')
            exp = pattern(gidx * dec, end - start, nchan, dec)
            bad = np.nonzero((data[start:end] != exp).any(axis=1))[0]
            if bad.size:
                k = int(bad[0])
                raise VerifyError(f'{name}: sample {start + k} (device index {gidx + k}) '
                                  f'is {data[start + k].tolist()}, test pattern says '
                                  f'{exp[k].tolist()}')
            expect_next[acq] = gidx + (end - start)
            totals['segments'] += 1
        extra = set(ann) - seen_ann
        if extra:
            raise VerifyError(f'{name}: loss annotations without a capture jump at {sorted(extra)}')
        if g.get('daqd:lost_samples', 0) != sum(ann.values()):
            raise VerifyError(f'{name}: daqd:lost_samples {g.get("daqd:lost_samples")} '
                              f'!= sum of annotations {sum(ann.values())}')
        trailing = g.get('daqd:trailing_lost_samples', 0)
        if trailing:
            if not closed:
                raise VerifyError(f'{name}: trailing loss in a file still open')
            totals['lost'] += trailing
            totals['gaps'] += 1
            expect_next[acq] += trailing
        # Every recording a test verifies also reads as the SigMF text
        # says (what the official library does), each sample at the
        # device index its capture gives it.
        spec_check_pattern(meta_path, schema)
        totals['files'] += 1
        totals['samples'] += count
        totals['acquisitions'].add(acq)
    totals['acquisitions'] = len(totals['acquisitions'])
    totals['leftover_tmp'] = len(leftovers)
    return totals


def load_meta(meta_path, schema):
    """The metadata, valid JSON and valid SigMF (@schema), of 16-bit samples."""
    name = os.path.basename(meta_path)
    with open(meta_path) as f:
        try:
            meta = json.load(f)
        except json.JSONDecodeError as e:
            raise VerifyError(f'{name}: not JSON: {e}')
    try:
        jsonschema.validate(meta, schema)
    except jsonschema.ValidationError as e:
        raise VerifyError(f'{name}: not valid SigMF: {e.message}')
    if meta['global']['core:datatype'] != 'ri16_le':
        raise VerifyError(f'{name}: datatype {meta["global"]["core:datatype"]}')
    return meta


def spec_read(meta_path, schema=None):
    """Read a recording as a reader that knows only the SigMF text does (the
    official library among them): the sample count from the data file's
    size and the datatype, each capture running to the next one's start and
    the last to the end of the data, annotations inside the data. Returns
    (metadata, samples as an (n, channels) int16 array); VerifyError where
    such a reader fails ("cannot reshape": a torn last sample)."""
    name = os.path.basename(meta_path)
    meta = load_meta(meta_path, schema or load_schema())
    g = meta['global']
    nchan = g.get('core:num_channels', 1)
    data_path = meta_path[:-len('.sigmf-meta')] + '.sigmf-data'
    size = os.path.getsize(data_path)
    if size == 0 or size % (2 * nchan):
        raise VerifyError(f'{name}: {size} data bytes are not whole {2 * nchan}-byte samples')
    n = size // (2 * nchan)
    starts = [c['core:sample_start'] for c in meta['captures']]
    if not starts or starts[0] != 0 or starts != sorted(starts) or starts[-1] > n:
        raise VerifyError(f'{name}: captures {starts} do not fit {n} samples')
    for a in meta['annotations']:
        if a['core:sample_start'] + a.get('core:sample_count', 0) > n:
            raise VerifyError(f'{name}: annotation past the data: {a}')
    return meta, np.fromfile(data_path, dtype='<i2').reshape(n, nchan)


def spec_check_pattern(meta_path, schema=None):
    """spec_read(), then every sample against the test pattern at the device
    index the captures give it. Returns the number of samples."""
    meta, data = spec_read(meta_path, schema)
    caps = meta['captures']
    dec = meta['global'].get('daqd:decimation', 1)
    for i, c in enumerate(caps):
        start = c['core:sample_start']
        end = caps[i + 1]['core:sample_start'] if i + 1 < len(caps) else len(data)
        gidx = c['core:global_index']
        exp = pattern(gidx * dec, end - start, data.shape[1], dec)
        bad = np.nonzero((data[start:end] != exp).any(axis=1))[0]
        if bad.size:
            raise VerifyError(f'{os.path.basename(meta_path)}: capture {i} (global index '
                              f'{gidx}): {bad.size} of {end - start} samples are not at their '
                              f'device index (first at file sample {start + int(bad[0])})')
    return len(data)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('dir')
    ap.add_argument('--channels', type=int)
    ap.add_argument('--samples', type=int, help='exact total samples expected')
    ap.add_argument('--lost', type=int, help='exact total lost samples expected')
    ap.add_argument('--min-gaps', type=int, default=0)
    ap.add_argument('--allow-incomplete', action='store_true')
    args = ap.parse_args()
    try:
        t = verify(args.dir, args.channels, args.allow_incomplete)
        if args.samples is not None and t['samples'] != args.samples:
            raise VerifyError(f'{t["samples"]} samples recorded, expected {args.samples}')
        if args.lost is not None and t['lost'] != args.lost:
            raise VerifyError(f'{t["lost"]} samples lost, expected {args.lost}')
        if t['gaps'] < args.min_gaps:
            raise VerifyError(f'{t["gaps"]} gaps, expected at least {args.min_gaps}')
    except VerifyError as e:
        print(f'verify_sigmf: FAIL: {e}', file=sys.stderr)
        return 1
    print('verify_sigmf: OK: ' + ', '.join(f'{k} {v}' for k, v in t.items()))
    return 0


if __name__ == '__main__':
    sys.exit(main())
