#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""End-to-end tests of daqd on the simulated refdaq.

Usage: test_daqd.py CASE   (run by meson test, suite 'daqd')
Environment: DAQD, DAQCTL = paths of the built programs.

Every recording is checked sample by sample against the test pattern by
verify_sigmf.py. Nothing here is skipped: a missing tool or a failed
mount is a test failure.
"""
import glob
import grp
import json
import os
import pwd
import random
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'helpers'))
import verify_sigmf  # noqa: E402
from verify_sigmf import VerifyError, verify  # noqa: E402

import numpy as np  # noqa: E402

DAQD = os.environ.get('DAQD', 'daqd')
DAQCTL = os.environ.get('DAQCTL', 'daqctl')


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def run(args, timeout=60, **kw):
    return subprocess.run([DAQD] + args, capture_output=True, text=True,
                          timeout=timeout, **kw)


def wait_for(pred, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise Fail(f'timed out after {timeout}s waiting for {what}')


class Daemon:
    """A daqd in the background with a control socket in @tmp."""

    def __init__(self, tmp, args, stdout=subprocess.DEVNULL):
        self.sock = os.path.join(tmp, 'daqd.sock')
        self.err_path = os.path.join(tmp, 'daqd.stderr')
        self.err = open(self.err_path, 'w')
        self.proc = subprocess.Popen([DAQD, '--socket', self.sock, '--quiet'] + args,
                                     stdout=stdout, stderr=self.err)
        wait_for(lambda: self.proc.poll() is not None or os.path.exists(self.sock),
                 10, 'the control socket')
        if self.proc.poll() is not None:
            raise Fail(f'daqd exited with {self.proc.returncode}: {self.stderr()}')

    def stderr(self):
        with open(self.err_path) as f:
            return f.read()

    def ctl(self, *args):
        p = subprocess.run([DAQCTL, '-s', self.sock, '-j'] + list(args),
                           capture_output=True, text=True, timeout=10)
        try:
            reply = json.loads(p.stdout) if p.stdout.strip() else None
        except json.JSONDecodeError:
            raise Fail(f'daqctl printed non-JSON: {p.stdout!r}')
        return p.returncode, reply

    def request(self, cmd):
        rc, reply = self.ctl(cmd)
        check(rc == 0 and reply and reply['ok'], f'{cmd}: rc {rc}, reply {reply}')
        return reply

    def request_raw(self, obj):
        rc, reply = self.ctl('--raw', json.dumps(obj))
        check(reply is not None, f'{obj}: no reply (rc {rc})')
        return reply

    def sink(self, name):
        for s in self.request('stats')['sinks']:
            if s['name'] == name:
                return s
        raise Fail(f'no sink {name}')

    def stop(self, sig=signal.SIGTERM, timeout=20):
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise Fail(f'daqd did not stop within {timeout}s after {sig}')
        self.err.close()
        return rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.err.close()


def verify_ok(d, **kw):
    try:
        return verify(d, **kw)
    except VerifyError as e:
        raise Fail(f'recording in {d} does not verify: {e}')


def summary_lost(stderr):
    for line in stderr.splitlines():
        if 'summary:' in line and 'samples/channel' in line:
            return int(line.split(' samples lost')[0].rsplit(' ', 1)[1])
    raise Fail(f'no summary in: {stderr}')


def summary_sink(stderr, name):
    """(samples delivered, samples lost) from sink @name's summary line."""
    m = re.search(rf'summary: sink {name} \S+: (\d+) samples, .* (\d+) samples lost in', stderr)
    if not m:
        raise Fail(f'no summary of sink {name} in: {stderr}')
    return int(m.group(1)), int(m.group(2))


# ---- cases --------------------------------------------------------------


def case_verifier(tmp):
    """The verifier itself must catch a wrong sample and a wrong loss count."""
    rec = os.path.join(tmp, 'rec')
    os.mkdir(rec)
    p = run(['--test-pattern', '--rate', '200000', '--channels', '2', '--duration', '0.5',
             '--output', rec, '--socket', '', '--quiet'])
    check(p.returncode == 0, f'daqd failed: {p.stderr}')
    t = verify_ok(rec, channels=2)
    check(t['samples'] == 100000, f'{t["samples"]} samples, expected 100000')

    bad = os.path.join(tmp, 'bad')
    shutil.copytree(rec, bad)
    data = glob.glob(os.path.join(bad, '*.sigmf-data'))[0]
    with open(data, 'r+b') as f:
        f.seek(4 * 777)
        v = f.read(2)
        f.seek(4 * 777)
        f.write(bytes([v[0] ^ 1, v[1]]))
    try:
        verify(bad)
        raise Fail('verifier accepted a flipped bit')
    except VerifyError as e:
        check('sample 777 ' in str(e), f'wrong complaint: {e}')

    # A fake gap: a second capture that jumps without an annotation.
    shutil.rmtree(bad)
    shutil.copytree(rec, bad)
    meta = glob.glob(os.path.join(bad, '*.sigmf-meta'))[0]
    with open(meta) as f:
        m = json.load(f)
    m['captures'].append({'core:sample_start': 50000, 'core:global_index': 50010})
    with open(meta, 'w') as f:
        json.dump(m, f)
    try:
        verify(bad)
        raise Fail('verifier accepted an unannotated jump')
    except VerifyError as e:
        check('jumps by 10' in str(e), f'wrong complaint: {e}')

    # Not SigMF: a capture without core:sample_start.
    m['captures'] = [{'core:global_index': 0}]
    with open(meta, 'w') as f:
        json.dump(m, f)
    try:
        verify(bad)
        raise Fail('verifier accepted invalid SigMF')
    except VerifyError as e:
        check('not valid SigMF' in str(e), f'wrong complaint: {e}')


def case_record(tmp):
    """Exact durations, several channel counts, metadata contents."""
    # (8 channels in the smallest ring: the frame shrinks so that four fit;
    # at 4 kS/s the 64 KiB ring holds a second, so a loaded machine (ASan,
    # two busy cores) loses nothing; at 20 kS/s it lost samples there.)
    for chans, rate, dur, ring in ((4, 1000000, 2, '16M'), (3, 100000, 0.5, '16M'),
                                   (1, 48000, 0.25, '1M'), (8, 4000, 0.5, '64K')):
        rec = os.path.join(tmp, f'rec{chans}')
        if chans == 1:
            # A directory that does not exist yet is made, parents included.
            rec = os.path.join(tmp, 'new', 'nested', 'rec1')
        else:
            os.mkdir(rec)
        t0 = time.time()
        p = run(['--device', 'sim', '--test-pattern', '--rate', str(rate), '--channels',
                 str(chans), '--duration', str(dur), '--ring-size', ring,
                 '--output', rec, '--socket', ''])
        check(p.returncode == 0, f'daqd failed ({p.returncode}): {p.stderr}')
        check('summary:' in p.stderr, f'no summary: {p.stderr}')
        t = verify_ok(rec, channels=chans)
        want = int(rate * dur)
        check(t['samples'] == want, f'{t["samples"]} samples, expected {want}')
        check(t['lost'] == 0 and t['files'] == 1, f'unexpected {t}')
        meta = glob.glob(os.path.join(rec, '*.sigmf-meta'))[0]
        with open(meta) as f:
            g = json.load(f)
        gl = g['global']
        check(gl['core:sample_rate'] == rate, f'sample_rate {gl["core:sample_rate"]}')
        check(gl['core:num_channels'] == chans, 'num_channels')
        check(gl['core:recorder'].startswith('daqd '), 'recorder')
        check('refdaq' in gl['core:hw'], f'hw {gl["core:hw"]}')
        when = g['captures'][0]['core:datetime']
        ts = time.mktime(time.strptime(when[:19], '%Y-%m-%dT%H:%M:%S')) - time.timezone
        check(abs(ts - t0) < 5, f'datetime {when} is not now')
        # numpy loads the data directly.
        data = np.fromfile(meta.replace('-meta', '-data'), dtype='<i2').reshape(-1, chans)
        check(data.shape == (want, chans), f'shape {data.shape}')
    # An output path under a regular file cannot be made: a clear error.
    blocker = os.path.join(tmp, 'plainfile')
    open(blocker, 'w').close()
    p = run(['--device', 'sim', '--duration', '0.1', '--output', os.path.join(blocker, 'x'),
             '--socket', ''])
    check(p.returncode != 0 and 'Not a directory' in p.stderr and blocker in p.stderr,
          f'output under a file: rc {p.returncode}, {p.stderr}')


def case_stdout(tmp):
    """Raw samples on a pipe, exact count; a closed pipe ends daqd cleanly."""
    p = subprocess.run([DAQD, '--stdout', '--test-pattern', '--channels', '2', '--rate',
                        '500000', '--duration', '1', '--socket', '', '--quiet'],
                       capture_output=True, timeout=60)
    check(p.returncode == 0, f'daqd failed: {p.stderr}')
    check(len(p.stdout) == 500000 * 2 * 2, f'{len(p.stdout)} bytes on stdout')
    data = np.frombuffer(p.stdout, dtype='<i2').reshape(-1, 2)
    check((data == verify_sigmf.pattern(0, 500000, 2)).all(), 'stdout samples differ')

    start = time.monotonic()
    p = subprocess.run(f'"{DAQD}" --stdout --test-pattern --rate 1M --socket "" --quiet '
                       '| head -c 100000 | wc -c', shell=True, capture_output=True,
                       text=True, timeout=30)
    check(p.stdout.strip() == '100000', f'head got {p.stdout!r}: {p.stderr}')
    check(time.monotonic() - start < 10, 'daqd did not notice the closed pipe')
    check('pipe was closed' in p.stderr, f'no message about the pipe: {p.stderr}')

    # A reader that never reads must not hold up a stop for ever.
    err = os.path.join(tmp, 'stuck.stderr')
    with open(err, 'w') as ef:
        d = subprocess.Popen([DAQD, '--stdout', '--test-pattern', '--rate', '1M',
                              '--socket', '', '--quiet'], stdout=subprocess.PIPE, stderr=ef)
        time.sleep(1)
        start = time.monotonic()
        d.send_signal(signal.SIGTERM)
        try:
            rc = d.wait(15)
        except subprocess.TimeoutExpired:
            d.kill()
            raise Fail('daqd hung on a stdout reader that does not read')
        d.stdout.close()
    took = time.monotonic() - start
    with open(err) as ef:
        text = ef.read()
    check(took < 10 and rc == 1 and 'stopped reading' in text,
          f'stuck reader: rc {rc} after {took:.1f}s: {text}')


def case_rotate(tmp):
    """Rotation by size (exact file sizes) and by time; names sort in time order."""
    rec = os.path.join(tmp, 'size')
    os.mkdir(rec)
    p = run(['--test-pattern', '--rate', '200000', '--channels', '4', '--duration', '1',
             '--rotate-size', '100000', '--output', rec, '--socket', '', '--quiet'])
    check(p.returncode == 0, f'daqd failed: {p.stderr}')
    t = verify_ok(rec, channels=4)
    check(t['samples'] == 200000 and t['files'] == 16, f'unexpected {t}')
    datas = sorted(glob.glob(os.path.join(rec, '*.sigmf-data')))
    sizes = [os.path.getsize(f) for f in datas]
    check(sizes == [100000] * 16, f'file sizes {sizes}')
    # File-name order is time order: the verifier checked global indices
    # increase in that order; check the datetimes too.
    times = []
    for f in datas:
        with open(f.replace('-data', '-meta')) as m:
            times.append(json.load(m)['captures'][0]['core:datetime'])
    check(times == sorted(times), f'datetimes not in name order: {times}')

    rec = os.path.join(tmp, 'time')
    os.mkdir(rec)
    p = run(['--test-pattern', '--rate', '100000', '--channels', '1', '--duration', '1.3',
             '--rotate-time', '0.3', '--output', rec, '--socket', '', '--quiet'])
    check(p.returncode == 0, f'daqd failed: {p.stderr}')
    t = verify_ok(rec, channels=1)
    check(t['samples'] == 130000, f'unexpected {t}')
    check(4 <= t['files'] <= 6, f'{t["files"]} files for 1.3 s at 0.3 s per file')


def case_overflow(tmp):
    """A stalled lossless consumer: the device drops, the recording shows it exactly."""
    rec = os.path.join(tmp, 'rec')
    os.mkdir(rec)
    err = os.path.join(tmp, 'stderr')
    # The stdout sink blocks on a pipe nobody reads for 1.5 s; with the stop
    # policy the device waits for the slowest lossless reader and drops.
    p = subprocess.run(f'"{DAQD}" --test-pattern --rate 1000000 --channels 2 '
                       f'--ring-size 256K --duration 3 --output "{rec}" --stdout '
                       f'--socket "" --quiet 2>"{err}" | (sleep 1.5; cat >/dev/null)',
                       shell=True, timeout=60)
    with open(err) as f:
        stderr = f.read()
    check(p.returncode == 0, f'pipeline failed: {stderr}')
    t = verify_ok(rec, channels=2)
    check(t['gaps'] >= 1 and t['lost'] > 0, f'no overflow recorded: {t}')
    # Exact: what the recording shows lost is what the device counted, and
    # together with the recorded samples it is the whole duration.
    dev_lost = summary_lost(stderr)
    check(t['lost'] == dev_lost, f'recording shows {t["lost"]} lost, device {dev_lost}')
    check(t['samples'] + t['lost'] == 3000000,
          f'{t["samples"]} recorded + {t["lost"]} lost != 3000000')
    metas = glob.glob(os.path.join(rec, '*.sigmf-meta'))
    with open(metas[0]) as f:
        m = json.load(f)
    check(len(m['captures']) >= 2 and m['annotations'], 'no segment or annotation')
    check('lost' in m['annotations'][0]['core:comment'], 'annotation without comment')

    # Stalled until after the end: the loss has no later segment to show
    # it, so the last file states it as daqd:trailing_lost_samples.
    rec = os.path.join(tmp, 'trailing')
    os.mkdir(rec)
    p = subprocess.run(f'"{DAQD}" --test-pattern --rate 1000000 --channels 2 '
                       f'--ring-size 256K --duration 1 --output "{rec}" --stdout '
                       f'--socket "" --quiet 2>"{err}" | (sleep 2; cat >/dev/null)',
                       shell=True, timeout=60)
    with open(err) as f:
        stderr = f.read()
    check(p.returncode == 0, f'pipeline failed: {stderr}')
    t = verify_ok(rec, channels=2)
    with open(glob.glob(os.path.join(rec, '*.sigmf-meta'))[0]) as f:
        trailing = json.load(f)['global'].get('daqd:trailing_lost_samples', 0)
    check(trailing > 0, f'no trailing loss recorded: {t}')
    check(t['samples'] + t['lost'] == 1000000,
          f'{t["samples"]} recorded + {t["lost"]} lost != 1000000')
    # Every sink accounts for the device's end alike: the stdout sink, whose
    # stalled reader caused the loss, counts what it never delivered too.
    for name in ('sigmf', 'stdout'):
        got, lost = summary_sink(stderr, name)
        check(got + lost == 1000000, f'sink {name}: {got} delivered + {lost} lost != 1000000')


def case_overwrite(tmp):
    """Overwrite policy: the recorder is overrun; it must never keep torn data."""
    rec = os.path.join(tmp, 'rec')
    os.mkdir(rec)
    # Free-running into a 64K ring: the device laps the recorder again and
    # again; every batch is copied and checked before it is kept.
    p = run(['--freerun', '--test-pattern', '--channels', '2', '--policy', 'overwrite',
             '--ring-size', '64K', '--duration', '0.3', '--output', rec, '--socket', '',
             '--quiet', '--status-interval', '0'], timeout=30)
    check(p.returncode == 0, f'daqd failed: {p.stderr}')
    t = verify_ok(rec, channels=2)
    check(t['gaps'] >= 1 and t['samples'] > 0, f'the recorder was never overrun: {t}')
    produced = int(re.search(r'summary: [0-9.]+ s, (\d+) samples/channel', p.stderr).group(1))
    check(t['samples'] + t['lost'] == produced,
          f'{t["samples"]} recorded + {t["lost"]} lost != {produced} produced')


def case_faults(tmp):
    """Forced overflow: exact segments and annotations; DMA error and removal end daqd."""
    rec = os.path.join(tmp, 'overflow')
    os.mkdir(rec)
    d = Daemon(tmp, ['--test-pattern', '--rate', '200000', '--channels', '3',
                     '--frame-samples', '1000', '--output', rec])
    try:
        wait_for(lambda: d.sink('sigmf')['samples'] > 0, 5, 'samples')
        for _ in range(5):
            r = d.request_raw({'cmd': 'sim-fault', 'fault': 'overflow'})
            check(r['ok'], f'sim-fault: {r}')
            time.sleep(0.1)
        r = d.request_raw({'cmd': 'sim-fault', 'fault': 'frobnicate'})
        check(not r['ok'] and 'unknown fault' in r['error'], f'bad fault: {r}')
        r = d.request_raw({'cmd': 'sim-fault'})
        check(not r['ok'] and '"fault"' in r['error'], f'no fault: {r}')
        time.sleep(0.2)
        dev_lost = d.request('stats')['acquisition']['lost_samples']
        rc = d.stop()
    finally:
        d.kill()
    check(rc == 0, f'exit {rc}: {d.stderr()}')
    t = verify_ok(rec, channels=3)
    # Each forced overflow drops exactly one frame of 1000 samples.
    check(t['gaps'] == 5 and t['lost'] == 5000 and dev_lost == 5000,
          f'5 dropped frames should be 5 gaps of 1000: {t}, device {dev_lost}')

    for fault, needle in (('dma', 'DMA error'), ('gone', 'gone')):
        rec = os.path.join(tmp, fault)
        os.mkdir(rec)
        d = Daemon(tmp, ['--test-pattern', '--rate', '200000', '--output', rec])
        try:
            wait_for(lambda: d.sink('sigmf')['samples'] > 0, 5, 'samples')
            d.request_raw({'cmd': 'sim-fault', 'fault': fault})
            rc = d.proc.wait(10)
        except subprocess.TimeoutExpired:
            raise Fail(f'daqd kept running after a {fault} fault')
        finally:
            d.kill()
        check(rc == 1 and needle in d.stderr(), f'{fault}: exit {rc}: {d.stderr()}')
        t = verify_ok(rec)
        check(t['samples'] > 0 and t['incomplete'] == 0, f'{fault}: {t}')


def case_sigkill(tmp):
    """SIGKILL at arbitrary moments: finished files complete, the open one readable."""
    for i, delay in enumerate((0.35, 0.8, 1.7)):
        rec = os.path.join(tmp, f'rec{i}')
        os.mkdir(rec)
        d = Daemon(tmp, ['--test-pattern', '--rate', '1000000', '--channels', '4',
                         '--rotate-size', '2M', '--flush-interval', '0.1',
                         '--output', rec])
        time.sleep(delay)
        d.proc.send_signal(signal.SIGKILL)
        d.proc.wait()
        d.err.close()
        os.unlink(d.sock)   # a killed daqd cannot remove it
        t = verify_ok(rec, channels=4, allow_incomplete=True)
        check(t['incomplete'] <= 1, f'{t["incomplete"]} incomplete files: {t}')
        check(t['samples'] > 0, f'nothing described after {delay}s: {t}')
        if delay > 1:
            check(t['files'] >= 2 and t['files'] - t['incomplete'] >= 1,
                  f'no finished file after {delay}s: {t}')


def case_sigkill_gaps(tmp):
    """Killed after gaps, long before the next metadata refresh: every sample
    a generic SigMF reader finds, described or not, is at its device index."""
    for chans in (3, 5):
        sb = 2 * chans
        rec = os.path.join(tmp, f'rec{chans}')
        os.mkdir(rec)
        d = Daemon(tmp, ['--test-pattern', '--rate', '200000', '--channels', str(chans),
                         '--frame-samples', '1000', '--flush-interval', '30', '--output', rec])
        try:
            wait_for(lambda: d.sink('sigmf')['samples'] > 0, 5, 'samples')
            for _ in range(3):
                check(d.request_raw({'cmd': 'sim-fault', 'fault': 'overflow'})['ok'], 'sim-fault')
                time.sleep(0.1)
            wait_for(lambda: d.sink('sigmf')['gaps'] >= 3, 5, 'the gaps recorded')
            time.sleep(0.1)
        finally:
            d.proc.send_signal(signal.SIGKILL)
            d.proc.wait()
            d.err.close()
            os.unlink(d.sock)
        meta_path = glob.glob(os.path.join(rec, '*.sigmf-meta'))[0]
        data = np.fromfile(meta_path[:-len('meta')] + 'data', dtype='<i2')
        if data.size * 2 % sb:  # a torn last sample: the next start cuts it
            os.truncate(meta_path[:-len('meta')] + 'data', data.size * 2 // sb * sb)
        try:
            n = verify_sigmf.spec_check_pattern(meta_path)
        except verify_sigmf.VerifyError as e:
            raise Fail(f'{chans} channels: {e}')
        # The kill came after the gaps: a file with none would prove nothing.
        with open(meta_path) as f:
            caps = json.load(f)['captures']
        check(len(caps) >= 2 and n > caps[-1]['core:sample_start'],
              f'{chans} channels: {len(caps)} captures, {n} samples: {caps}')


def case_sigkill_campaign(tmp):
    """32 SIGKILLs at random moments, 1, 3, 4 and 5 channels, with and without
    rotation; after the next start every file reads as the SigMF text says,
    every sample at its device index, and the recordings verify."""
    rng = random.Random(int(os.environ.get('DAQD_KILL_SEED', '0')) or None)
    seed_note = []
    kills = 0
    for chans in (1, 3, 4, 5):
        for rotate in ([], ['--rotate-size', '256K']):
            rec = os.path.join(tmp, f'rec{chans}{"r" if rotate else ""}')
            os.mkdir(rec)
            for _ in range(4):
                delay = rng.uniform(0.05, 0.8)
                seed_note.append(f'{chans}ch{"+rot" if rotate else ""}@{delay:.2f}s')
                d = Daemon(tmp, ['--test-pattern', '--rate', '1000000', '--channels',
                                 str(chans), '--flush-interval', str(rng.choice((0.05, 0.3, 1))),
                                 '--output', rec] + rotate)
                time.sleep(delay)
                d.proc.send_signal(signal.SIGKILL)
                d.proc.wait()
                d.err.close()
                os.unlink(d.sock)
                kills += 1
            # The next start repairs what the kills left (a torn sample).
            p = run(['--test-pattern', '--rate', '100000', '--channels', str(chans),
                     '--duration', '0.05', '--output', rec, '--socket', '', '--quiet'] + rotate)
            check(p.returncode == 0, f'restart in {rec}: {p.stderr}')
            runs = {}
            for path in glob.glob(os.path.join(rec, '*.sigmf-*')):
                check(not path.endswith('.tmp'), f'left over: {path}')
                runs.setdefault(os.path.basename(path).split('.sigmf-')[0].rsplit('-', 1)[0],
                                []).append(path)
            for k, (acq, paths) in enumerate(sorted(runs.items())):
                metas = [x for x in paths if x.endswith('.sigmf-meta')]
                check(len(metas) * 2 == len(paths), f'{acq}: data without metadata: {paths}')
                for m in metas:
                    try:
                        verify_sigmf.spec_check_pattern(m)
                    except verify_sigmf.VerifyError as e:
                        raise Fail(f'after kills {seed_note}: {e}')
                one = os.path.join(tmp, f'acq-{chans}{len(rotate)}-{k}')
                os.mkdir(one)
                for path in paths:
                    shutil.copy(path, one)
                verify_ok(one, channels=chans, allow_incomplete=True)
    check(kills >= 30, f'only {kills} kills')


def case_recover(tmp):
    """What a SIGKILL leaves is made readable by the next start: torn samples cut off."""
    for chans in (3, 5):            # 6 and 10 bytes a sample: neither divides a page
        sb = 2 * chans
        rec = os.path.join(tmp, f'rec{chans}')
        os.mkdir(rec)
        for i, delay in enumerate((0.3, 0.9)):
            d = Daemon(tmp, ['--test-pattern', '--rate', '1000000', '--channels', str(chans),
                             '--flush-interval', '0.1', '--output', rec] +
                       (['--rotate-size', '1M'] if i else []))
            time.sleep(delay)
            d.proc.send_signal(signal.SIGKILL)
            d.proc.wait()
            d.err.close()
            os.unlink(d.sock)
        # The kernel cuts a write at a page boundary when the kill lands in
        # it; too rare to wait for, so make the newest file end as it would.
        data = sorted(d for d in glob.glob(os.path.join(rec, '*.sigmf-data'))
                      if os.path.getsize(d) >= sb)
        check(data, f'{chans} channels: no recording')
        # A kill may already have torn it; appending then could complete
        # the sample again, so only tear a file that ends whole.
        if os.path.getsize(data[-1]) % sb == 0:
            with open(data[-1], 'ab') as f:
                f.write(b'\x01' * (sb // 2 + 1))
        # ... and what a kill between creating a file and its metadata leaves.
        orphan = data[-1][:-len('.sigmf-data')] + '9.sigmf-data'
        open(orphan, 'wb').close()
        stale = data[0][:-len('.sigmf-data')] + '.sigmf-meta.tmp'
        with open(stale, 'w') as f:
            f.write('{"half": ')
        p = run(['--test-pattern', '--rate', '100000', '--channels', str(chans),
                 '--duration', '0.2', '--output', rec, '--socket', ''])
        check(p.returncode == 0, f'restart: exit {p.returncode}: {p.stderr}')
        check(p.stderr.count('recovered ') >= 3 and 'torn sample' in p.stderr,
              f'{chans} channels: repairs not reported: {p.stderr}')
        check(not os.path.exists(orphan) and not os.path.exists(stale),
              f'{chans} channels: orphan or stale metadata left')
        # What a reader that follows the spec computes: samples from the
        # size and the datatype; every file whole, every sample in place.
        for path in glob.glob(os.path.join(rec, '*.sigmf-data')):
            size = os.path.getsize(path)
            check(size % sb == 0, f'{path}: {size} bytes is not whole {sb}-byte samples')
        # One acquisition at a time (the verifier follows one device's indices).
        runs = {}
        for path in glob.glob(os.path.join(rec, '*.sigmf-*')):
            runs.setdefault(os.path.basename(path).split('.sigmf-')[0].rsplit('-', 1)[0], []).append(path)
        # Two killed runs and the restart; under load the first kill may
        # come before its first file.
        check(len(runs) >= 2, f'{chans} channels: {sorted(runs)}, expected 2 or 3 acquisitions')
        for k, (acq, paths) in enumerate(sorted(runs.items())):
            one = os.path.join(tmp, f'acq{chans}-{k}')
            os.mkdir(one)
            for path in paths:
                shutil.copy(path, one)
            t = verify_ok(one, channels=chans, allow_incomplete=True)
            check(t['samples'] > 0, f'{chans} channels, {acq}: {t}')


def case_diskfull(tmp):
    """A full disk stops the recorder with a clear error; the rest carries on."""
    mnt = os.path.join(tmp, 'small')
    os.mkdir(mnt)
    p = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=3M', 'daqd-test', mnt],
                       capture_output=True, text=True)
    check(p.returncode == 0, f'cannot mount a small tmpfs (needs root): {p.stderr}')
    try:
        out = open(os.path.join(tmp, 'stdout.raw'), 'wb')
        d = Daemon(tmp, ['--test-pattern', '--rate', '1000000', '--channels', '4',
                         '--flush-interval', '0.1', '--output', mnt, '--stdout'],
                   stdout=out)
        try:
            wait_for(lambda: d.sink('sigmf')['state'] == 'failed', 20,
                     'the recorder to fail on the full disk')
            s = d.request('stats')
            rec = [x for x in s['sinks'] if x['name'] == 'sigmf'][0]
            check('No space left on device' in rec['error'], f'error: {rec["error"]}')
            check(s['acquisition']['state'] == 'running', f'acquisition {s["acquisition"]}')
            before = d.sink('stdout')
            time.sleep(0.5)
            after = d.sink('stdout')
            check(after['state'] == 'running' and after['bytes'] > before['bytes'],
                  f'stdout sink stalled: {before} -> {after}')
            check(after['lost_samples'] == 0, f'stdout lost samples: {after}')
            rc = d.stop()
        finally:
            d.kill()
            out.close()
        stderr = d.stderr()
        check(rc == 1, f'exit status {rc} after a failed recording')
        check('No space left on device' in stderr, f'no clear error: {stderr}')
        # Nothing written is lost: the closed file describes every sample
        # the recorder wrote before the disk filled up ...
        t = verify_ok(mnt, channels=4)
        check(t['samples'] > 0 and t['samples'] == rec['samples'] and t['cut_short'] == 1,
              f'file has {t["samples"]} samples, recorder wrote {rec["samples"]}')
        # ... and says it was cut short, why, and by how many samples: all
        # the device produced after it, as the stdout sink's count shows.
        with open(glob.glob(os.path.join(mnt, '*.sigmf-meta'))[-1]) as f:
            g = json.load(f)['global']
        check(g['daqd:complete'] is False and
              'No space left on device' in g.get('daqd:stop_reason', ''),
              f'a cut-short file claims: {g}')
        out_got, out_lost = summary_sink(stderr, 'stdout')
        rec_got, rec_lost = summary_sink(stderr, 'sigmf')
        check(rec_lost == g.get('daqd:trailing_lost_samples') and
              rec_got + rec_lost == out_got + out_lost,
              f'recorder {rec_got} + {rec_lost} lost (file: '
              f'{g.get("daqd:trailing_lost_samples")}), stdout {out_got} + {out_lost}')

        # Full before a file opens (as at a rotation): no data file is left
        # without its metadata, and the error says why.
        for f in os.listdir(mnt):
            os.unlink(os.path.join(mnt, f))
        with open(os.path.join(mnt, 'filler'), 'wb') as f:
            try:
                while True:
                    f.write(b'\0' * 65536)
                    f.flush()
            except OSError:
                pass
        p = run(['--test-pattern', '--rate', '100000', '--channels', '2', '--duration', '0.5',
                 '--output', mnt, '--socket', '', '--quiet'], timeout=30)
        check(p.returncode == 1 and 'No space left on device' in p.stderr,
              f'recording into a full disk: rc {p.returncode}, {p.stderr}')
        left = sorted(f for f in os.listdir(mnt) if f != 'filler')
        check(left == [], f'files left on the full disk: {left}')
    finally:
        subprocess.run(['umount', mnt])


def case_badconfig(tmp):
    """Bad flags and files: exit 2, message names key/flag, value and allowance."""
    conf = os.path.join(tmp, 'daqd.conf')
    cases = [
        (['--rate', 'fast'], ['--rate', "'fast'", 'whole number']),
        (['--channels', '0'], ['--channels', "'0'", '1..32']),
        (['--ring-size', '65537'], ['--ring-size', 'multiple of 4096']),
        (['--policy', 'drop'], ['--policy', "'drop'", 'overwrite']),
        (['--duration', '-1'], ['--duration', "'-1'"]),
        (['--bogus'], ['--bogus', 'unknown flag']),
        (['--rate'], ['--rate', 'needs a value']),
        (['extra'], ["'extra'"]),
        ([], ['--output', '--stdout']),
        (['--config', '/nonexistent.conf', '--stdout'], ['/nonexistent.conf']),
        (['--device', 'sim:ring=5', '--stdout'], ['ring=5']),
        (['--user', 'no-such-user-xyz', '--stdout'], ['no-such-user-xyz', 'no such user']),
        # A malformed device spec is a bad value like any other.
        (['--device', 'no/such/name', '--stdout'], ["'no/such/name'", 'malformed']),
        (['--device', 'uio\x01', '--stdout'], ['malformed']),
        (['--rate', '0x10', '--stdout'], ['--rate', "'0x10'", 'decimal']),
        (['--freerun', '--rate', '1000', '--stdout'], ['freerun', 'rate 1000']),
        (['--listen', '0'], ['--listen', 'port 0']),
        # Nothing can be created there (even as root): refused before the device.
        (['--device', 'sim', '--output', '/proc/sys'], ['/proc/sys', 'cannot create files there']),
    ]
    for args, needles in cases:
        # A bad value is reported before the (also bad) device is touched.
        p = run(['--device', 'sim:nonsense=1'] + args if '--device' not in args else args,
                stdin=subprocess.DEVNULL, timeout=10)
        check(p.returncode == 2, f'{args}: exit {p.returncode}, stderr {p.stderr}')
        for n in needles:
            check(n in p.stderr, f'{args}: {n!r} not in {p.stderr!r}')
        check('nonsense' not in p.stderr or args == [], f'{args}: device touched first')
    # Settings the card cannot do are bad settings too: exit 2, nothing started.
    p = run(['--device', 'sim', '--channels', '16', '--stdout'], stdin=subprocess.DEVNULL,
            timeout=10)
    check(p.returncode == 2 and 'cannot do these settings' in p.stderr and '8 channels' in p.stderr,
          f'--channels 16 on an 8-channel card: exit {p.returncode}, {p.stderr}')
    files = [
        ('[acquisition]\nrate = 12x\n', [':2:', 'rate', "'12x'"]),
        ('[output]\ndir = /tmp/x\n  prefix = run7\n', [':3:', 'indented line']),
        ('[acquisition]\nrate = 5\nrate = 6\n', [':3:', 'set twice']),
        ('[acquisition]\nchanels = 2\n', ['chanels', 'unknown key']),
        ('[output]\ndir = /tmp\n[device]\npolicy = sometimes\n', [':4:', 'policy',
                                                                    "'sometimes'"]),
        ('[nope]\nx = 1\n', ['[nope]', 'unknown section']),
        ('not ini at all\n', [':1:', 'syntax']),
    ]
    for text, needles in files:
        with open(conf, 'w') as f:
            f.write(text)
        p = run(['--config', conf, '--stdout'], stdin=subprocess.DEVNULL, timeout=10)
        check(p.returncode == 2, f'{text!r}: exit {p.returncode}')
        for n in needles + [conf]:
            check(n in p.stderr, f'{text!r}: {n!r} not in {p.stderr!r}')
    # A good file, with a flag overriding it.
    rec = os.path.join(tmp, 'rec')
    os.mkdir(rec)
    with open(conf, 'w') as f:
        f.write(f'[acquisition]\nrate = 100k\nchannels = 2\ntest_pattern = yes\n'
                f'duration = 0.2\n[output]\ndir = {rec}\n[control]\nsocket =\n')
    p = run(['--config', conf, '--channels', '3', '--quiet'])
    check(p.returncode == 0, f'good config failed: {p.stderr}')
    t = verify_ok(rec, channels=3)
    check(t['samples'] == 20000, f'unexpected {t}')
    p = run(['--help'])
    check(p.returncode == 0 and '--duration' in p.stdout, f'--help: {p.stdout}')
    p = run(['--version'])
    check(p.returncode == 0 and p.stdout.startswith('daqd '), f'--version: {p.stdout}')
    # The shipped example is valid as it stands.
    example = os.environ.get('DAQD_CONF_EXAMPLE',
                             os.path.join(HERE, '..', '..', 'data', 'daqd.conf.example'))
    p = subprocess.run([DAQD, '--config', example, '--stdout', '--duration', '0.05',
                        '--socket', '', '--quiet'], capture_output=True, timeout=20)
    check(p.returncode == 0 and len(p.stdout) > 0, f'daqd.conf.example: {p.stderr!r}')
    # A device that does not exist: a clear error, non-zero.
    p = run(['--device', '/dev/uio99', '--stdout', '--socket', ''],
            stdin=subprocess.DEVNULL, timeout=10)
    check(p.returncode != 0 and 'uio99' in p.stderr, f'missing device: {p.stderr}')


def raw_exchange(sock_path, payload, timeout=5):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock_path)
    s.sendall(payload)
    buf = b''
    try:
        while b'\n' not in buf:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    finally:
        s.close()
    return json.loads(buf.decode()) if buf.strip() else None


def case_control(tmp):
    """The control protocol: commands, bad requests, slow and greedy clients."""
    rec = os.path.join(tmp, 'rec')
    os.mkdir(rec)
    group = grp.getgrnam('daemon')
    d = Daemon(tmp, ['--test-pattern', '--rate', '100000', '--channels', '2',
                     '--output', rec, '--socket-group', 'daemon'])
    try:
        # The path appears at bind(), the group a moment later, before
        # listen(): look once daqd answers, as any client first could.
        s = d.request('status')
        st = os.stat(d.sock)
        check(stat.S_ISSOCK(st.st_mode), 'not a socket')
        check(stat.S_IMODE(st.st_mode) == 0o660, f'mode {oct(st.st_mode)}')
        check(st.st_gid == group.gr_gid, f'group {st.st_gid}')

        check(s['acquisition']['state'] == 'running', f'status {s}')
        check(s['sinks'][0]['kind'] == 'sigmf', f'sinks {s["sinks"]}')
        a = d.sink('sigmf')['bytes']
        time.sleep(0.3)
        b = d.sink('sigmf')
        check(b['bytes'] > a and 'frames' in b and 'files' in b, f'stats {b}')

        d.request('rotate')
        wait_for(lambda: len(glob.glob(os.path.join(rec, '*.sigmf-data'))) >= 2, 5,
                 'a second file after rotate')
        d.request('stop')
        check(d.request('status')['acquisition']['state'] == 'stopped', 'not stopped')
        rc, r = d.ctl('stop')
        check(rc == 1 and not r['ok'] and 'not running' in r['error'], f'stop twice: {r}')
        d.request('start')
        s = d.request('status')
        check(s['acquisition']['state'] == 'running' and s['acquisition']['id'] == 2,
              f'restart {s}')
        rc, r = d.ctl('start')
        check(rc == 1 and 'already running' in r['error'], f'start twice: {r}')

        bad = [
            (b'{\n', 'malformed'),
            (b'[1, 2]\n', 'JSON object'),
            (b'{"cmd": 5}\n', '"cmd"'),
            (b'{"nocmd": 1}\n', '"cmd"'),
            (b'{"cmd": "frobnicate"}\n', "unknown command 'frobnicate'"),
            (b'{"cmd": "status"} trailing\n', 'after the JSON'),
            (b'\xff\xfe\x00garbage\n', 'malformed'),
            (b'\n', 'malformed'),
        ]
        for payload, needle in bad:
            r = raw_exchange(d.sock, payload)
            check(r and r['ok'] is False and needle in r['error'], f'{payload!r}: {r}')
        rc, r = d.ctl('--raw', '{"cmd": "frobnicate"}')
        check(rc == 1 and r['ok'] is False, f'daqctl raw: {r}')
        p = subprocess.run([DAQCTL, '-s', os.path.join(tmp, 'nothing.sock'), 'status'],
                           capture_output=True, text=True, timeout=10)
        check(p.returncode == 2 and 'cannot connect' in p.stderr, f'daqctl no daqd: {p.stderr}')
        p = subprocess.run([DAQCTL], capture_output=True, text=True, timeout=10)
        check(p.returncode == 2 and 'Usage' in p.stderr, f'daqctl usage: {p.stderr}')

        # Oversized: an error, then the connection is closed.
        r = raw_exchange(d.sock, b'{"cmd": "' + b'x' * 6000)
        check(r and 'too long' in r['error'], f'oversized: {r}')

        # Slow: half a request; others are served meanwhile; then a timeout.
        slow = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        slow.connect(d.sock)
        slow.sendall(b'{"cmd": ')
        t0 = time.monotonic()
        d.request('status')
        check(time.monotonic() - t0 < 1.5, 'a slow client delayed another')
        slow.settimeout(6)
        buf = slow.recv(4096)
        check(b'timed out' in buf, f'slow client got {buf!r}')
        check(slow.recv(4096) == b'', 'slow client not disconnected')
        slow.close()

        # Greedy: more connections than slots.
        conns = []
        for _ in range(20):
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.connect(d.sock)
            conns.append(c)
        time.sleep(0.6)
        refused = 0
        for c in conns:
            c.settimeout(0.2)
            try:
                if b'too many' in c.recv(4096):
                    refused += 1
            except socket.timeout:
                pass
        check(refused >= 4, f'{refused} of 20 connections refused')
        for c in conns:
            c.close()
        time.sleep(0.3)
        d.request('status')
        check(d.proc.poll() is None, 'daqd died')
        rc = d.stop()
        check(rc == 0, f'exit {rc}: {d.stderr()}')
    finally:
        d.kill()
    t = verify_ok(rec, channels=2)
    check(t['acquisitions'] == 2 and t['files'] >= 3, f'unexpected {t}')


def case_signals(tmp):
    """SIGHUP rotates, SIGINT/SIGTERM stop with complete metadata; privileges drop."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        rec = os.path.join(tmp, f'rec{sig}')
        os.mkdir(rec)
        d = Daemon(tmp, ['--test-pattern', '--rate', '100000', '--channels', '2',
                         '--output', rec])
        try:
            wait_for(lambda: d.sink('sigmf')['samples'] > 0, 5, 'samples')
            d.proc.send_signal(signal.SIGHUP)
            wait_for(lambda: d.sink('sigmf')['files'] >= 2, 5, 'rotation on SIGHUP')
            time.sleep(0.2)
            rc = d.stop(sig)
        finally:
            d.kill()
        check(rc == 0, f'exit {rc} after {sig}: {d.stderr()}')
        t = verify_ok(rec, channels=2)
        check(t['files'] >= 2 and t['incomplete'] == 0, f'unexpected {t}')
        check(not os.path.exists(d.sock), 'socket left behind')

    # Dropping root: files are created by the unprivileged user.
    nobody = pwd.getpwnam('nobody')
    rec = os.path.join(tmp, 'nobody')
    os.mkdir(rec)
    os.chmod(tmp, 0o755)
    os.chmod(rec, 0o777)
    p = run(['--test-pattern', '--rate', '100000', '--duration', '0.3', '--output', rec,
             '--user', 'nobody', '--socket', '', '--quiet'])
    check(p.returncode == 0, f'daqd --user nobody failed: {p.stderr}')
    for f in glob.glob(os.path.join(rec, '*')):
        check(os.stat(f).st_uid == nobody.pw_uid, f'{f} not owned by nobody')
    verify_ok(rec)


def case_notify(tmp):
    """sd_notify: READY once running, STATUS lines, WATCHDOG pets, STOPPING."""
    path = os.path.join(tmp, 'notify')
    ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ns.bind(path)
    ns.settimeout(0.2)
    rec = os.path.join(tmp, 'rec')
    os.mkdir(rec)
    env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC='2000000')
    p = subprocess.Popen([DAQD, '--test-pattern', '--rate', '100000', '--output', rec,
                          '--socket', '', '--quiet'], env=env, stderr=subprocess.PIPE,
                         text=True)
    msgs = []
    end = time.monotonic() + 2.5
    while time.monotonic() < end:
        try:
            msgs.append(ns.recv(4096).decode())
        except socket.timeout:
            pass
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=20)
    try:
        while True:
            msgs.append(ns.recv(4096).decode())
    except socket.timeout:
        pass
    ns.close()
    text = '\n'.join(msgs)
    check(p.returncode == 0, f'exit {p.returncode}: {err}')
    check(msgs and msgs[0].startswith('READY=1'), f'first message: {msgs[:1]}')
    check('STATUS=running' in text and 'sigmf running' in text, f'no STATUS: {msgs}')
    check(text.count('WATCHDOG=1') >= 1, f'no watchdog pets: {msgs}')
    check(msgs[-1] == 'STOPPING=1', f'last message: {msgs[-1:]}')


def as_user(uid, gid, groups):
    """preexec_fn: run the child as @uid:@gid with supplementary @groups."""
    def become():
        os.setgroups(groups)
        os.setgid(gid)
        os.setuid(uid)
    return become


def can_connect(path, uid, gid, groups):
    """Can a process of @uid:@gid (+@groups) connect to the Unix socket @path?"""
    code = ('import socket, sys\n'
            's = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n'
            'try:\n    s.connect(sys.argv[1])\nexcept OSError:\n    sys.exit(1)\n')
    p = subprocess.run(['/usr/bin/python3', '-c', code, path], timeout=10,
                       preexec_fn=as_user(uid, gid, groups))
    return p.returncode == 0


def proc_status(pid):
    with open(f'/proc/{pid}/status') as f:
        return dict(line.rstrip('\n').split(':\t', 1) for line in f if ':\t' in line)


def case_privdrop(tmp):
    """--user: directories made for the user, sockets handed over and removed, no privileges left."""
    nobody = pwd.getpwnam('nobody')
    nogroup = grp.getgrgid(nobody.pw_gid).gr_gid
    stranger = (54321, 54321)        # neither nobody nor in its group
    os.chmod(tmp, 0o755)
    # The socket directory belongs to the daemon's user, as RuntimeDirectory= would.
    run_dir = os.path.join(tmp, 'run')
    os.mkdir(run_dir, 0o755)
    os.chown(run_dir, nobody.pw_uid, nogroup)
    sock = os.path.join(run_dir, 'daqd.sock')
    usock = os.path.join(run_dir, 'stream.sock')
    rec = os.path.join(tmp, 'made', 'rec')   # daqd makes it (and its parent)
    err_path = os.path.join(tmp, 'daqd.stderr')
    with open(err_path, 'w') as err:
        p = subprocess.Popen([DAQD, '--user', 'nobody', '--socket', sock, '--quiet',
                              '--test-pattern', '--rate', '100000', '--channels', '2',
                              '--output', rec, '--listen', f'unix:{usock}'],
                             stdout=subprocess.DEVNULL, stderr=err)
    try:
        def ready():
            if p.poll() is not None:
                raise Fail(f'daqd exited {p.returncode}: {open(err_path).read()}')
            return proc_status(p.pid).get('Uid', '').split()[:1] == [str(nobody.pw_uid)]
        wait_for(ready, 10, 'daqd to drop to nobody')
        st = proc_status(p.pid)
        check(int(st['CapBnd'], 16) == 0, f'capability bounding set {st["CapBnd"]}, expected 0')
        check(int(st['CapEff'], 16) == 0 and int(st['CapPrm'], 16) == 0,
              f'capabilities left: {st["CapEff"]} / {st["CapPrm"]}')
        check(st['NoNewPrivs'].strip() == '1', f'NoNewPrivs {st["NoNewPrivs"]}')
        check(st['Groups'].strip() == '', f'supplementary groups {st["Groups"]}')
        for path in (sock, usock):
            s = os.stat(path)
            check((s.st_uid, s.st_gid) == (nobody.pw_uid, nogroup) and
                  stat.S_IMODE(s.st_mode) == 0o660,
                  f'{path}: {s.st_uid}:{s.st_gid} {oct(stat.S_IMODE(s.st_mode))}, '
                  f'expected nobody:nogroup 0660')
            check(can_connect(path, stranger[0], stranger[1], [nogroup]),
                  f'{path}: a member of the daemon\'s group cannot connect')
            check(not can_connect(path, stranger[0], stranger[1], []),
                  f'{path}: a stranger can connect')
        for d in (rec, os.path.dirname(rec)):
            check(os.stat(d).st_uid == nobody.pw_uid, f'{d} was not made for nobody')
        # The first recording is written, as nobody.
        wait_for(lambda: any(os.path.getsize(f) > 0 for f in
                             glob.glob(os.path.join(rec, '*.sigmf-data'))), 10,
                 'the first recording')
        p.send_signal(signal.SIGTERM)
        rc = p.wait(20)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    stderr = open(err_path).read()
    check(rc == 0, f'exit {rc}: {stderr}')
    for path in (sock, usock):
        check(not os.path.exists(path), f'{path} left behind at exit')
    for f in glob.glob(os.path.join(rec, '*')):
        check(os.stat(f).st_uid == nobody.pw_uid, f'{f} not owned by nobody')
    verify_ok(rec, channels=2)

    # A directory nobody cannot write to: refused at start (exit 2), not at the first file.
    rootdir = os.path.join(tmp, 'rootdir')
    os.mkdir(rootdir, 0o755)
    p = run(['--user', 'nobody', '--socket', '', '--quiet', '--test-pattern',
             '--duration', '5', '--output', rootdir], timeout=20)
    check(p.returncode == 2 and rootdir in p.stderr and "'nobody'" in p.stderr and
          'recording from' not in p.stderr,
          f'--output {rootdir} (root\'s) with --user nobody: rc {p.returncode}: {p.stderr}')
    check(os.listdir(rootdir) == [], f'files left in {rootdir}: {os.listdir(rootdir)}')
    # A socket nobody could not remove at exit: refused too.
    p = run(['--user', 'nobody', '--socket', os.path.join(tmp, 'ctl.sock'), '--quiet',
             '--test-pattern', '--duration', '5', '--stdout'], timeout=20)
    check(p.returncode == 2 and 'ctl.sock' in p.stderr and 'remove it at exit' in p.stderr,
          f'control socket in root\'s directory: rc {p.returncode}: {p.stderr}')


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith('case_')}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        print(f'usage: {sys.argv[0]} {"|".join(CASES)}', file=sys.stderr)
        return 2
    tmp = tempfile.mkdtemp(prefix=f'daqd-{sys.argv[1]}-')
    try:
        CASES[sys.argv[1]](tmp)
    except Fail as e:
        print(f'FAIL: {sys.argv[1]}: {e}', file=sys.stderr)
        print(f'(files kept in {tmp})', file=sys.stderr)
        return 1
    shutil.rmtree(tmp, ignore_errors=True)
    print(f'ok: {sys.argv[1]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
