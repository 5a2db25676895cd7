#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""End-to-end tests of daqd's trigger sink (docs/triggers.md) on the
simulated refdaq's test pattern. Where each trigger must fire is computed
here from the pattern's formula alone (verify_sigmf.pattern), with a
reference model of the conditions written from the documentation; daqd's
events must be exactly those device samples, each event file must verify
sample by sample, and its pre/post counts and losses must be exact.

Usage: test_trigger.py CASE
"""
import glob
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'helpers'))
from verify_sigmf import VerifyError, pattern, verify  # noqa: E402

import test_daqd  # noqa: E402
from test_daqd import DAQD, Daemon, Fail, check, wait_for  # noqa: E402


def reference(vals, cond, level, level2, hyst):
    """Offsets in @vals (one channel, contiguous device samples, starting in
    the condition's initial state) where the condition fires."""
    lo, hi = min(level, level2), max(level, level2)
    out = []
    if cond in ('rising', 'above', 'falling', 'below'):
        armed = cond in ('above', 'below')
        up = cond in ('rising', 'above')
        for i, x in enumerate(vals):
            if armed and (x >= level if up else x <= level):
                out.append(i)
                armed = False
            if not armed and (x < level - hyst if up else x > level + hyst):
                armed = True
    elif cond == 'either':
        state = None
        for i, x in enumerate(vals):
            if (state == 'low' and x >= level) or (state == 'high' and x <= level):
                out.append(i)
                state = None
            if state is None:
                if x < level - hyst:
                    state = 'low'
                elif x > level + hyst:
                    state = 'high'
    elif cond == 'window-in':
        armed = True
        for i, x in enumerate(vals):
            if armed and lo <= x <= hi:
                out.append(i)
                armed = False
            if not armed and (x < lo - hyst or x > hi + hyst):
                armed = True
    elif cond == 'window-out':
        armed = True
        for i, x in enumerate(vals):
            if armed and (x < lo or x > hi):
                out.append(i)
                armed = False
            if not armed and lo + hyst <= x <= hi - hyst:
                armed = True
    return out


def expected_events(segments, nchan, trig):
    """Device samples where @trig must give events, over @segments
    [(first, count)] of existing samples (the condition starts over after
    each gap), with its hold-off."""
    fires = []
    for first, count in segments:
        vals = pattern(first, count, nchan)[:, trig['channel']].astype(int).tolist()
        fires += [first + i for i in reference(vals, trig['condition'], trig['level'],
                                               trig.get('level2', trig['level']),
                                               trig['hysteresis'])]
    events, last = [], None
    for t in fires:
        if last is None or t - last >= trig['holdoff']:
            events.append(t)
            last = t
    return events


def spec(trig):
    return ','.join(f'{k}={v}' for k, v in trig.items())


def load_events(d, name):
    """{trigger index: (meta, meta path)} of trigger @name's event files in @d."""
    out = {}
    for path in sorted(glob.glob(os.path.join(d, f'*-{name}-*.sigmf-meta'))):
        with open(path) as f:
            m = json.load(f)
        anns = [a for a in m['annotations'] if a.get('core:label') == 'trigger']
        check(len(anns) == 1, f'{path}: {len(anns)} trigger annotations')
        out[anns[0]['daqd:trigger_index']] = (m, path, anns[0])
    return out


def verify_event(path, nchan, tmp):
    """Verify one event's recording on its own (it starts where its window does)."""
    d = tempfile.mkdtemp(dir=tmp)
    stem = path[:-len('.sigmf-meta')]
    for ext in ('.sigmf-meta', '.sigmf-data'):
        os.symlink(stem + ext, os.path.join(d, os.path.basename(stem) + ext))
    try:
        t = verify(d, channels=nchan, late_start=True)
    except VerifyError as e:
        raise Fail(f'event {os.path.basename(path)} does not verify: {e}')
    shutil.rmtree(d)
    return t


def check_event(ev, t, trig, segments, nchan, total, tmp):
    """Event at device sample @t: its file holds exactly the window's
    samples that exist, the history lost exactly those gone."""
    m, path, ann = ev
    start, end = max(0, t - trig['pre']), min(t + trig['post'], total)
    have = []   # existing device samples of the window, per segment
    for first, count in segments:
        a, b = max(first, start), min(first + count, end)
        if a < b:
            have.append((a, b))
    got = sum(b - a for a, b in have)
    g = m['global']
    check(g['daqd:sample_count'] == got,
          f'event {t}: {g["daqd:sample_count"]} samples, expected {got} of window {start}..{end}')
    caps = [(c['core:sample_start'], c['core:global_index']) for c in m['captures']]
    want, off = [], 0
    for a, b in have:
        want.append((off, a))
        off += b - a
    check(caps == want, f'event {t}: captures {caps}, expected {want}')
    first = have[0][0] if have else end
    check(ann['daqd:trigger_history_lost_samples'] == min(first, t) - start,
          f'event {t}: history lost {ann["daqd:trigger_history_lost_samples"]}, '
          f'expected {min(first, t) - start}')
    check(ann['daqd:trigger_lost_samples'] == (end - start) - got,
          f'event {t}: lost {ann["daqd:trigger_lost_samples"]}, expected {(end - start) - got}')
    before = sum(max(0, min(b, t) - a) for a, b in have)
    check(ann['core:sample_start'] == before,
          f'event {t}: trigger annotation at {ann["core:sample_start"]}, expected {before}')
    for k in ('pre', 'post', 'holdoff', 'hysteresis', 'level', 'channel'):
        check(ann[f'daqd:trigger_{k}'] == trig[k], f'event {t}: {k} {ann[f"daqd:trigger_{k}"]}')
    check(ann['daqd:trigger_condition'] == trig['condition'], f'event {t}: condition')
    verify_event(path, nchan, tmp)


def check_trigger(d, trig, segments, nchan, total, tmp):
    want = expected_events(segments, nchan, trig)
    evs = load_events(d, trig['name'])
    got = sorted(evs)
    if got != want:
        diff = next((a, b) for a, b in zip(got + [None] * len(want), want + [None] * len(got))
                    if a != b)
        raise Fail(f'trigger {trig["name"]}: {len(got)} events, the pattern says {len(want)}; '
                   f'first difference: daqd {diff[0]}, pattern {diff[1]}')
    check(len(want) >= 3, f'trigger {trig["name"]}: only {len(want)} events: a weak test')
    for t in want:
        check_event(evs[t], t, trig, segments, nchan, total, tmp)
    return len(want)


TRIGGERS = [
    # hysteresis and hold-off at work: edges, a level, windows
    dict(name='up', channel=1, condition='rising', level=20000, hysteresis=3000,
         pre=500, post=700, holdoff=3000),
    dict(name='down', channel=0, condition='falling', level=-1000, hysteresis=25000,
         pre=0, post=64, holdoff=2000),
    dict(name='win', channel=2, condition='window-in', level=100, level2=400, hysteresis=2000,
         pre=1234, post=1, holdoff=2500),
    dict(name='both', channel=0, condition='either', level=0, hysteresis=30000,
         pre=300, post=300, holdoff=600),
]


def case_exact(tmp):
    """Four triggers, one run: exactly the pattern's events, exact files."""
    d = os.path.join(tmp, 'ev')
    rate, secs, nchan = 200000, 1, 3
    args = ['--test-pattern', '--rate', str(rate), '--channels', str(nchan),
            '--duration', str(secs), '--socket', '', '--quiet']
    for t in TRIGGERS:
        args += ['--trigger', spec(dict(t, dir=d))]
    p = subprocess.run([DAQD] + args, capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, f'daqd failed: {p.stderr}')
    total = rate * secs
    for t in TRIGGERS:
        n = check_trigger(d, t, [(0, total)], nchan, total, tmp)
        check(f'trigger {t["name"]}: event {n - 1} at' in p.stderr, f'no log of {t["name"]}')


def case_config(tmp):
    """The same trigger from a [trigger] section; two sections, two triggers."""
    d = os.path.join(tmp, 'ev')
    conf = os.path.join(tmp, 'daqd.conf')
    a, b = TRIGGERS[0], TRIGGERS[2]
    with open(conf, 'w') as f:
        f.write('[acquisition]\nrate = 100k\nchannels = 3\ntest_pattern = yes\nduration = 1\n')
        for t in (a, b):
            f.write('[trigger]\n' + ''.join(f'{k} = {v}\n' for k, v in t.items()) +
                    f'dir = {d}\n')
    p = subprocess.run([DAQD, '--config', conf, '--socket', '', '--quiet'],
                       capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, f'daqd failed: {p.stderr}')
    for t in (a, b):
        check_trigger(d, t, [(0, 100000)], 3, 100000, tmp)


def case_single(tmp):
    """Mode single: one event, then the trigger is done; status counts it."""
    d = os.path.join(tmp, 'ev')
    trig = dict(name='once', channel=1, condition='above', level=30000, hysteresis=0,
                pre=100, post=100, holdoff=0)
    daemon = Daemon(tmp, ['--test-pattern', '--rate', '50000', '--channels', '2',
                          '--trigger', spec(dict(trig, mode='single', dir=d))])
    try:
        s = wait_for(lambda: (lambda s: s if s['events'] >= 1 else None)(daemon.sink('once')),
                     20, 'the event')
        check(s['done'] is True and s['events'] == 1, f'status {s}')
        want = expected_events([(0, 10000)], 2, trig)[0]
        check(s['last_index'] == want, f'last_index {s["last_index"]}, the pattern says {want}')
        check(s['kind'] == 'trigger' and s['condition'] == 'above', f'status {s}')
        check(daemon.stop() == 0, 'daqd failed on SIGTERM')
    finally:
        daemon.kill()
    evs = load_events(d, 'once')
    check(sorted(evs) == [want], f'events {sorted(evs)}')
    check_event(evs[want], want, trig, [(0, 10 ** 12)], 2, 10 ** 12, tmp)


def case_subscribe(tmp):
    """The control socket streams each event as a JSON line to subscribers."""
    d = os.path.join(tmp, 'ev')
    trig = dict(name='sub', channel=1, condition='rising', level=20000, hysteresis=3000,
                pre=200, post=300, holdoff=5000)
    daemon = Daemon(tmp, ['--test-pattern', '--rate', '50000', '--channels', '2',
                          '--trigger', spec(dict(trig, dir=d))])
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        s.connect(daemon.sock)
        f = s.makefile('rw')
        f.write('{"cmd": "subscribe"}\n')
        f.flush()
        reply = json.loads(f.readline())
        check(reply.get('ok') is True, f'subscribe: {reply}')
        got = []
        while len(got) < 5:
            line = f.readline()
            check(line, 'the subscription ended')
            # Events before the subscription are not repeated; from the
            # first one seen on, none may be missed.
            got.append(json.loads(line))
        # Requests still work on a subscribed connection.
        f.write('{"cmd": "status"}\n')
        f.flush()
        while True:
            r = json.loads(f.readline())
            if 'ok' in r:
                break
            got.append(r)
        check(r['ok'] is True, f'status on a subscribed connection: {r}')
        s.close()
        check(daemon.stop() == 0, 'daqd failed on SIGTERM')
    finally:
        daemon.kill()
    want = expected_events([(0, got[-1]['index'] + 1)], 2, trig)
    first = want.index(got[0]['index'])
    check([e['index'] for e in got] == want[first:first + len(got)],
          f'announced {[e["index"] for e in got]}, the pattern says {want[first:first + len(got)]}')
    evs = load_events(d, 'sub')
    for e in got:
        check(e['event'] == 'trigger' and e['trigger'] == 'sub', f'event {e}')
        check(e['samples'] == min(e['index'], 200) + 300 and
              e['first'] == max(0, e['index'] - 200) and e['lost'] == 0 and
              e['history_lost'] == 0 and e['complete'] is True, f'event {e}')
        check(e['seq'] == want.index(e['index']), f'event {e}: seq, expected {want.index(e["index"])}')
        check(os.path.basename(evs[e['index']][1]) == e['file'] + '.sigmf-meta',
              f'event {e}: file {e["file"]}, on disk {evs[e["index"]][1]}')


def stream_connect(path, minor):
    """A raw stream client (docs/stream-protocol.md) asking for version 1.@minor."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(path)
    s.sendall(struct.pack('<IHHII', 0x31535144, 0x0101, 0, 16, 0) +
              struct.pack('<HHIII', 1, minor, 0, 1, 0))
    return s.makefile('rb')


def stream_next(f):
    """(type, body) of the next message."""
    hdr = f.read(16)
    check(len(hdr) == 16, 'the stream ended')
    magic, typ, flags, n, rsvd = struct.unpack('<IHHII', hdr)
    check(magic == 0x31535144 and flags == 0 and rsvd == 0, f'bad header {hdr.hex()}')
    body = f.read(n)
    check(len(body) == n, 'the stream ended inside a message')
    return typ, body


def case_stream(tmp):
    """Network clients of protocol 1.1 get each event as a TRIGGER message;
    1.0 clients get none and stream as before."""
    d = os.path.join(tmp, 'ev')
    path = os.path.join(tmp, 'stream.sock')
    trig = dict(name='lan', channel=0, condition='falling', level=-20000, hysteresis=4000,
                pre=100, post=150, holdoff=4000)
    daemon = Daemon(tmp, ['--test-pattern', '--rate', '50000', '--channels', '2',
                          '--listen', f'unix:{path}', '--trigger', spec(dict(trig, dir=d))])
    try:
        wait_for(lambda: os.path.exists(path), 10, 'the stream socket')
        new, old = stream_connect(path, 1), stream_connect(path, 0)
        typ, body = stream_next(new)
        check(typ == 0x0001 and struct.unpack_from('<HH', body) == (1, 1),
              f'1.1 client: first message 0x{typ:04x} {body[:4].hex()}')
        events, seen = [], 0
        while len(events) < 5:
            seen += 1
            check(seen < 100000, f'no TRIGGER after {seen} messages ({len(events)} before)')
            typ, body = stream_next(new)
            check(typ in (2, 3, 4, 5, 8), f'1.1 client: message type 0x{typ:04x}')
            if typ == 8:
                (acq, seq, index, first, n, hist, lost, flags, chan, cond,
                 rsvd) = struct.unpack_from('<QQQQQQQIBBH', body)
                name = body[65:65 + body[64]].decode()
                check(len(body) == 65 + body[64] and rsvd == 0, f'TRIGGER body {body.hex()}')
                events.append(dict(acq=acq, seq=seq, index=index, first=first, n=n,
                                   hist=hist, lost=lost, flags=flags, chan=chan, cond=cond,
                                   name=name))
        typ, body = stream_next(old)
        check(typ == 0x0001 and struct.unpack_from('<HH', body) == (1, 0),
              f'1.0 client: first message 0x{typ:04x} {body[:4].hex()}')
        data = 0
        while data < 20:
            typ, body = stream_next(old)
            check(typ in (2, 3, 4, 5), f'1.0 client got message type 0x{typ:04x}')
            data += typ == 2
        check(daemon.stop() == 0, 'daqd failed on SIGTERM')
    finally:
        daemon.kill()
    want = expected_events([(0, events[-1]['index'] + 1)], 2, trig)
    first = want.index(events[0]['index'])
    check([e['index'] for e in events] == want[first:first + len(events)],
          f'TRIGGER at {[e["index"] for e in events]}, the pattern says '
          f'{want[first:first + len(events)]}')
    for e in events:
        k = want.index(e['index'])
        check(e == dict(acq=1, seq=k, index=e['index'], first=max(0, e['index'] - 100),
                        n=min(e['index'], 100) + 150, hist=0, lost=0, flags=1, chan=0,
                        cond=1, name='lan'), f'TRIGGER {e}')


def segments_of(rec):
    """[(first device sample, count)] the recorder got (the device's own
    drops are its gaps)."""
    segs = []
    for path in sorted(glob.glob(os.path.join(rec, '*.sigmf-meta'))):
        with open(path) as f:
            m = json.load(f)
        caps = m['captures']
        n = m['global']['daqd:sample_count']
        for i, c in enumerate(caps):
            end = caps[i + 1]['core:sample_start'] if i + 1 < len(caps) else n
            first, count = c['core:global_index'], end - c['core:sample_start']
            if segs and segs[-1][0] + segs[-1][1] == first:
                segs[-1] = (segs[-1][0], segs[-1][1] + count)
            elif count:
                segs.append((first, count))
    return segs


def case_overflow(tmp):
    """Forced overflow: a stalled lossless sink makes the device drop; events
    whose windows hold the gap show it exactly, as history lost or as a gap."""
    rec = os.path.join(tmp, 'rec')
    d = os.path.join(tmp, 'ev')
    err = os.path.join(tmp, 'stderr')
    trig = dict(name='gap', channel=0, condition='rising', level=10000, hysteresis=5000,
                pre=2000, post=1500, holdoff=1000)
    # The device waits for the stalled stdout sink until the 512 KiB ring
    # is full (1.3 s), then drops until the reader wakes (2.5 s); the
    # trigger, lossy, has the same 1.3 s of slack before its own reader
    # could be overrun, even on a busy machine.
    rate, secs = 100000, 4
    p = subprocess.run(f'"{DAQD}" --test-pattern --rate {rate} --channels 2 --ring-size 512K '
                       f'--duration {secs} --output "{rec}" --stdout --socket "" --quiet '
                       f'--trigger {spec(dict(trig, dir=d))} 2>"{err}" '
                       f'| (sleep 2.5; cat >/dev/null)', shell=True, timeout=120)
    with open(err) as f:
        stderr = f.read()
    check(p.returncode == 0, f'pipeline failed: {stderr}')
    segs = segments_of(rec)
    check(len(segs) >= 2, f'no overflow happened: {segs}')
    total = rate * secs
    # The trigger's own reader must not have lost anything: its losses are the device's.
    m = test_daqd.summary_sink(stderr, 'gap')
    dev = test_daqd.summary_lost(stderr)
    check(m[1] == dev, f'trigger lost {m[1]}, the device dropped {dev}')
    check_trigger(d, trig, segs, 2, segs[-1][0] + segs[-1][1], tmp)
    # At least one event lost part of its history to the gap.
    lost = [e[2]['daqd:trigger_history_lost_samples'] for e in load_events(d, 'gap').values()]
    check(any(x > 0 for x in lost), f'no event lost history: {lost}')
    check(total >= segs[-1][0] + segs[-1][1], 'more samples than the duration')


def case_refused(tmp):
    """Settings that can never hold the history, and bad trigger settings."""
    d = os.path.join(tmp, 'ev')
    # 10000 samples x 4 channels x 2 bytes = 80000 bytes > a 64 KiB ring.
    p = subprocess.run([DAQD, '--test-pattern', '--rate', '10000', '--channels', '4',
                        '--ring-size', '64K', '--duration', '1', '--socket', '', '--quiet',
                        '--trigger', f'pre=10000,dir={d}'],
                       capture_output=True, text=True, timeout=60)
    check(p.returncode == 2, f'an impossible pre-trigger window: exit {p.returncode}, not 2')
    check('pre-trigger window of 10000 samples x 8 bytes = 80000 bytes' in p.stderr and
          '65536 bytes minus one frame' in p.stderr, f'message without the numbers: {p.stderr}')
    check(not glob.glob(os.path.join(d, '*.sigmf-data')), 'event files written anyway')
    bad = [
        (f'channel=4,dir={d}', 'channel 4, but only channels 0..3'),
        (f'condition=sideways,dir={d}', "condition 'sideways': expected"),
        (f'condition=window-in,level=5,dir={d}', 'needs level2'),
        (f'level=-32000,hysteresis=1000,dir={d}', 'could never arm'),
        (f'condition=window-out,level=0,level2=10,hysteresis=6,dir={d}', 'could never re-arm'),
        (f'post=0,dir={d}', "post '0'"),
        (f'pre=10,pre=20,dir={d}', 'pre is set twice'),
        (f'level=40000,dir={d}', "level '40000'"),
        ('level=1', 'no directory for its events'),
        (f'max_rate=5,dir={d} --freerun --rate 0', 'max_rate needs a sample rate'),
        (f'colour=red,dir={d}', "unknown trigger key 'colour'"),
    ]
    for s, want in bad:
        extra = s.split(' ')[1:]
        p = subprocess.run([DAQD, '--channels', '4', '--socket', '', '--quiet', '--trigger',
                            s.split(' ')[0]] + extra, capture_output=True, text=True, timeout=30)
        check(p.returncode == 2, f'--trigger {s}: exit {p.returncode}, {p.stderr}')
        check(want in p.stderr, f'--trigger {s}: {p.stderr!r} does not say {want!r}')


CASES = {n[5:]: f for n, f in globals().items() if n.startswith('case_')}

if __name__ == '__main__':
    # test_daqd's runner (temporary directory, FAIL line, exit code) with these cases.
    test_daqd.CASES = CASES
    sys.exit(test_daqd.main())
