#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""End to end: daqd --listen on the simulated refdaq, daqcat clients.

Four daqcat clients connect (TCP and Unix) while daqd is stopped, so they
all start at device sample 0 when `daqctl start` begins an acquisition:
  - --verify, every channel, over the Unix socket;
  - --verify with a channel subset and decimation, over TCP;
  - -o DIR: a SigMF recording, checked sample by sample with the same
    verifier as daqd's own recordings (tests/helpers/verify_sigmf.py);
  - raw samples on stdout, compared with the test pattern from sample 0.
While they run, `daqctl status` must show the clients with their sent and
dropped counters. daqd's own recording must have lost nothing.

Environment: DAQD, DAQCTL, DAQCAT = paths of the built programs.
"""
import glob
import json
import os
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
from verify_sigmf import pattern, verify  # noqa: E402

import numpy as np  # noqa: E402

DAQD = os.environ['DAQD']
DAQCTL = os.environ['DAQCTL']
DAQCAT = os.environ['DAQCAT']
CHANNELS = 4


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def wait_for(pred, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise Fail(f'timed out after {timeout}s waiting for {what}')


def free_tcp_port():
    """A loopback port free right now (daqd refuses port 0: clients could not find it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def daqctl(sock, cmd):
    r = subprocess.run([DAQCTL, '-s', sock, '-j', cmd], capture_output=True,
                       text=True, timeout=10)
    check(r.returncode == 0, f'daqctl {cmd} failed: {r.stdout} {r.stderr}')
    return json.loads(r.stdout)


def net_sink(status):
    for s in status.get('sinks', []):
        if s.get('kind') == 'net':
            return s
    raise Fail(f'no net sink in status: {status}')


def client_streaming(ctl):
    """True once some stream client has been sent data."""
    cl = net_sink(daqctl(ctl, 'stats')).get('clients', [])
    return any(c.get('state') == 'streaming' and c.get('sent', 0) > 0 for c in cl)


def start_daqd(tmp, args):
    """daqd on the simulator with the test pattern, a Unix stream socket and
    a control socket in @tmp, both there: (process, stream path, control path)."""
    usock = os.path.join(tmp, 's.sock')
    ctl = os.path.join(tmp, 'ctl.sock')
    daqd = subprocess.Popen(
        [DAQD, '-d', 'sim', '-t', '--listen', f'unix:{usock}', '--socket', ctl, '-q',
         '--status-interval', '0'] + args,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: os.path.exists(usock) and os.path.exists(ctl), 10, 'the sockets')
    except Fail:
        clean_up(None, daqd)
        raise
    return daqd, usock, ctl


def clean_up(tmp, *procs):
    """Kill whatever of @procs still runs (None: never started), remove @tmp (if any)."""
    for p in procs:
        if p is not None and p.poll() is None:
            p.kill()
            p.wait()
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    tmp = tempfile.mkdtemp(prefix='stream-e2e-')
    daqd = None
    cats = []
    try:
        rec = os.path.join(tmp, 'rec')
        catdir = os.path.join(tmp, 'cat', 'new')   # daqcat -o makes it, parents too
        os.mkdir(rec)
        usock = os.path.join(tmp, 's.sock')
        ctl = os.path.join(tmp, 'ctl.sock')
        log = open(os.path.join(tmp, 'daqd.log'), 'w+')
        daqd = subprocess.Popen(
            [DAQD, '-d', 'sim:ring=4M', '-r', '200000', '-c', str(CHANNELS), '-t',
             '-o', rec, '--listen', f'unix:{usock},127.0.0.1:{free_tcp_port()}',
             '--socket', ctl, '-q', '--status-interval', '0'],
            stdout=subprocess.DEVNULL, stderr=log,
            preexec_fn=lambda: os.umask(0o027))   # daqd.service's UMask

        def tcp_addr():
            log.seek(0)
            m = re.search(r'listening on (127\.0\.0\.1:\d+)', log.read())
            return m.group(1) if m else None
        tcp = wait_for(tcp_addr, 10, 'daqd to listen on TCP')
        wait_for(lambda: os.path.exists(ctl), 10, 'the control socket')
        # Owner and group may connect, whatever daqd's umask (0660).
        mode = stat.S_IMODE(os.stat(usock).st_mode)
        check(mode == 0o660, f'stream socket mode {mode:o}, expected 660')
        daqctl(ctl, 'stop')

        def cat(args, stdout=subprocess.DEVNULL):
            p = subprocess.Popen([DAQCAT, '-T', '10000'] + args, stdout=stdout,
                                 stderr=subprocess.PIPE, text=True)
            cats.append(p)
            return p
        a = cat(['--verify', f'unix:{usock}'])
        b = cat(['--verify', '-c', '1,3', '-d', '5', tcp])
        c = cat(['-o', catdir, tcp])
        # While stopped the server is quiet: --duration still ends daqcat
        # on time and cleanly, and -T makes silence an error.
        t0 = time.monotonic()
        q = subprocess.run([DAQCAT, '-q', '-t', '1', f'unix:{usock}'], capture_output=True,
                           text=True, timeout=20)
        check(q.returncode == 0 and time.monotonic() - t0 < 5,
              f'daqcat -t 1 on a quiet server: rc {q.returncode} after '
              f'{time.monotonic() - t0:.1f} s: {q.stderr}')
        q = subprocess.run([DAQCAT, '-q', '-T', '300', f'unix:{usock}'], capture_output=True,
                           text=True, timeout=20)
        check(q.returncode == 3 and 'no message from the server for 300 ms' in q.stderr,
              f'daqcat -T 300 on a quiet server: rc {q.returncode}: {q.stderr}')
        raw = open(os.path.join(tmp, 'raw.bin'), 'wb')
        d = cat(['-q', f'unix:{usock}'], stdout=raw)

        def waiting():
            cl = net_sink(daqctl(ctl, 'stats')).get('clients', [])
            return sum(1 for c in cl if c.get('state') == 'waiting') == 4
        wait_for(waiting, 30, 'four stream clients with their requests in')
        daqctl(ctl, 'start')
        time.sleep(1.5)
        st = net_sink(daqctl(ctl, 'status'))
        clients = st.get('clients', [])
        check(len(clients) == 4, f'status lists {len(clients)} clients, expected 4: {st}')
        for cl in clients:
            check('sent' in cl and 'dropped' in cl, f'client without counters: {cl}')
            check(cl['state'] == 'streaming', f'client not streaming: {cl}')
            check(cl['sent'] > 0, f'client has been sent nothing: {cl}')
        time.sleep(0.5)
        daqctl(ctl, 'stop')

        outs = {}
        for name, p in zip('abcd', cats):
            _, err = p.communicate(timeout=20)
            outs[name] = err
            check(p.returncode == 0, f'daqcat {name} exited {p.returncode}: {err}')
        raw.close()
        for name in 'ab':
            check('verify: OK' in outs[name], f'daqcat {name}: {outs[name]}')
            check(' 0 gaps' in outs[name], f'daqcat {name} was told of gaps: {outs[name]}')
        check('decimated by 5; 2 channels (mask 0xa of 0xf)' in outs['b'], outs['b'])

        # The daqcat recording, with the recorder's own verifier.
        t = verify(catdir, channels=CHANNELS)
        check(t['samples'] >= 200000 and t['lost'] == 0 and t['acquisitions'] == 1,
              f'daqcat recording: {t}')
        # Raw stdout: the pattern from device sample 0, nothing missing.
        data = np.fromfile(os.path.join(tmp, 'raw.bin'), dtype='<i2')
        check(data.size % CHANNELS == 0 and data.size > 0, f'raw: {data.size} values')
        data = data.reshape(-1, CHANNELS)
        check(np.array_equal(data, pattern(0, data.shape[0], CHANNELS)),
              'raw stdout samples differ from the test pattern')
        check(data.shape[0] == t['samples'],
              f'stdout got {data.shape[0]} samples, the recording {t["samples"]}')
        # daqd's recorder lost nothing meanwhile.
        r = verify(rec, channels=CHANNELS)
        check(r['lost'] == 0, f'daqd recording lost samples: {r}')

        for name in 'abc':
            check('acquisition ended at sample' in outs[name] and '(stopped)' in outs[name],
                  f'daqcat {name} was not told of a stop: {outs[name]}')

        # A client streaming while daqd shuts down is told so (END reason 2).
        daqctl(ctl, 'start')
        e = cat(['--verify', f'unix:{usock}'])

        wait_for(lambda: client_streaming(ctl), 30,
                 'a client streaming in the second acquisition')
        daqd.send_signal(signal.SIGTERM)
        check(daqd.wait(timeout=20) == 0, f'daqd exited {daqd.returncode}')
        _, err = e.communicate(timeout=20)
        check(e.returncode == 0, f'daqcat e exited {e.returncode}: {err}')
        check('(shutdown)' in err and 'verify: OK' in err,
              f'daqcat e was not told of the shutdown: {err}')
        check(not os.path.exists(usock), 'daqd left its stream socket behind')
        print(f'ok: 4 clients, {t["samples"]} samples each, recording {r["samples"]} samples')
    finally:
        clean_up(tmp, daqd, *cats)


def config_and_errors():
    """[network] listen from a config file; bad endpoints stop daqd with a message."""
    tmp = tempfile.mkdtemp(prefix='stream-e2e-cfg-')
    daqd = None
    try:
        usock = os.path.join(tmp, 's.sock')
        ini = os.path.join(tmp, 'daqd.ini')
        with open(ini, 'w') as f:
            f.write(f'[network]\nlisten = unix:{usock}\nmax_clients = 2\n')
        daqd = subprocess.Popen(
            [DAQD, '--config', ini, '-d', 'sim', '-r', '100000', '-c', '2', '-t',
             '--socket', '', '-q', '-D', '3'],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wait_for(lambda: os.path.exists(usock), 10, 'the stream socket from the config file')
        p = subprocess.run([DAQCAT, '--verify', '-t', '1', f'unix:{usock}'],
                           capture_output=True, text=True, timeout=20)
        check(p.returncode == 0 and 'verify: OK' in p.stderr,
              f'daqcat via the config file endpoint: {p.stderr}')
        # max_clients = 2: the third at once is refused with a reason.
        a = subprocess.Popen([DAQCAT, '--verify', '-t', '2', f'unix:{usock}'],
                             stderr=subprocess.PIPE, text=True)
        b = subprocess.Popen([DAQCAT, '--verify', '-t', '2', f'unix:{usock}'],
                             stderr=subprocess.PIPE, text=True)
        time.sleep(0.5)
        p = subprocess.run([DAQCAT, '--verify', f'unix:{usock}'],
                           capture_output=True, text=True, timeout=20)
        check(p.returncode == 3 and 'too many clients' in p.stderr,
              f'third client: rc {p.returncode}: {p.stderr}')
        for q in (a, b):
            _, err = q.communicate(timeout=20)
            check(q.returncode == 0, f'client under the limit: {err}')
        daqd.wait(timeout=20)
        check(daqd.returncode == 0, f'daqd exited {daqd.returncode}: {daqd.stderr.read()}')
        daqd = None

        for bad, needle in (('nowhere:99999', "port '99999'"),
                            ('unix:', 'unix socket path'),
                            ('[::1', '[IPV6]:PORT')):
            r = subprocess.run([DAQD, '-d', 'sim', '-t', '--socket', '', '-q', '-D', '1',
                                '--listen', bad], capture_output=True, text=True, timeout=20)
            check(r.returncode != 0 and needle in r.stderr,
                  f'--listen {bad}: rc {r.returncode}, stderr {r.stderr!r}')
        print('ok: config file endpoint, client limit, bad endpoints refused')
    finally:
        clean_up(tmp, daqd)


def device_error():
    """A DMA error on the device: a streaming client's END says so (reason 3)."""
    tmp = tempfile.mkdtemp(prefix='stream-e2e-err-')
    daqd = None
    try:
        daqd, usock, ctl = start_daqd(tmp, ['-r', '100000', '-c', '2'])
        cat = subprocess.Popen([DAQCAT, '--verify', f'unix:{usock}'],
                               stderr=subprocess.PIPE, text=True)

        wait_for(lambda: client_streaming(ctl), 30, 'the client streaming')
        r = subprocess.run([DAQCTL, '-s', ctl, '--raw', '{"cmd": "sim-fault", "fault": "dma"}'],
                           capture_output=True, text=True, timeout=10)
        check(r.returncode == 0, f'sim-fault dma: {r.stdout} {r.stderr}')
        _, err = cat.communicate(timeout=20)
        check('(device-error)' in err and 'verify: OK' in err,
              f'daqcat was not told of the device error: rc {cat.returncode}: {err}')
        daqd.wait(timeout=20)
        check(daqd.returncode == 1, f'daqd exited {daqd.returncode} after a DMA error')
        daqd = None
        print('ok: a device error ends the stream with END reason device-error')
    finally:
        clean_up(tmp, daqd)


def decimated_recording():
    """daqcat -d 3 -o with gaps: every SigMF field in file samples, the rate
    exact, device indices in the daqd namespace; the file verifies."""
    tmp = tempfile.mkdtemp(prefix='stream-e2e-dec-')
    daqd = None
    try:
        out = os.path.join(tmp, 'cat')
        daqd, usock, ctl = start_daqd(tmp, ['-r', '200000', '-c', str(CHANNELS),
                                            '--frame-samples', '1000'])
        time.sleep(0.3)     # joined mid-acquisition: the first index is not 0
        cat = subprocess.Popen([DAQCAT, '-d', '3', '-o', out, '-t', '2', f'unix:{usock}'],
                               stderr=subprocess.PIPE, text=True)
        wait_for(lambda: client_streaming(ctl), 30, 'the client streaming')
        for _ in range(2):
            time.sleep(0.3)
            r = subprocess.run([DAQCTL, '-s', ctl, '--raw',
                                '{"cmd": "sim-fault", "fault": "overflow"}'],
                               capture_output=True, text=True, timeout=10)
            check(r.returncode == 0, f'sim-fault overflow: {r.stdout} {r.stderr}')
        _, err = cat.communicate(timeout=30)
        check(cat.returncode == 0, f'daqcat -d 3 exited {cat.returncode}: {err}')
        daqd.terminate()
        daqd.wait(timeout=20)
        daqd = None
        metas = glob.glob(os.path.join(out, '*.sigmf-meta'))
        check(len(metas) == 1, f'daqcat wrote {metas}')
        with open(metas[0]) as f:
            m = json.load(f)
        g = m['global']
        check(g['core:sample_rate'] == 200000 / 3 and g['daqd:decimation'] == 3,
              f'rate {g["core:sample_rate"]}, decimation {g.get("daqd:decimation")}')
        check(len(m['captures']) >= 3 and m['captures'][0]['core:global_index'] > 0,
              f'expected a late start and two gaps: {m["captures"]}')
        # The loss a generic reader computes from the captures is the
        # annotations' own, in file samples.
        caps = m['captures']
        for i in range(1, len(caps)):
            jump = (caps[i]['core:global_index'] - caps[i - 1]['core:global_index'] -
                    (caps[i]['core:sample_start'] - caps[i - 1]['core:sample_start']))
            ann = [a for a in m['annotations']
                   if a['core:sample_start'] == caps[i]['core:sample_start']]
            # (1000 device samples hold 333 or 334 of the kept ones.)
            check(ann and ann[0]['daqd:lost_samples'] == jump and
                  abs(ann[0]['daqd:device_lost_samples'] - 3 * jump) < 3 and
                  ann[0]['daqd:device_index'] == 3 * ann[0]['daqd:global_index'],
                  f'capture {i}: jump {jump} file samples, annotation {ann}')
        t = verify(out, channels=CHANNELS, late_start=True)
        check(t['gaps'] >= 2 and t['samples'] > 0, f'decimated recording: {t}')
        print(f'ok: decimated recording, {t["samples"]} samples, {t["lost"]} lost in {t["gaps"]} gaps')
    finally:
        clean_up(tmp, daqd)


def follow_cycles():
    """daqcat --follow -o kept across three stop/start cycles: every
    acquisition is its own recording, complete and verified."""
    tmp = tempfile.mkdtemp(prefix='stream-e2e-follow-')
    daqd = cat = None
    try:
        out = os.path.join(tmp, 'cat')
        daqd, usock, ctl = start_daqd(tmp, ['-r', '200000', '-c', str(CHANNELS)])
        daqctl(ctl, 'stop')
        cat = subprocess.Popen([DAQCAT, '--follow', '--verify', '-o', out, f'unix:{usock}'],
                               stderr=subprocess.PIPE, text=True)
        for k in range(3):
            wait_for(lambda: any(c.get('state') == 'waiting' for c in
                                 net_sink(daqctl(ctl, 'stats')).get('clients', [])),
                     30, f'the client waiting for acquisition {k + 1}')
            daqctl(ctl, 'start')
            wait_for(lambda: client_streaming(ctl), 30, f'acquisition {k + 1} streaming')
            time.sleep(0.3)
            daqctl(ctl, 'stop')
            time.sleep(0.2)
            if cat.poll() is not None:
                raise Fail(f'daqcat --follow exited {cat.returncode} after acquisition '
                           f'{k + 1}: {cat.stderr.read()}')
        daqd.terminate()
        daqd.wait(timeout=20)
        daqd = None
        _, err = cat.communicate(timeout=20)
        check(cat.returncode == 0 and err.count('verify: OK') >= 1,
              f'daqcat --follow: rc {cat.returncode}: {err}')
        metas = sorted(glob.glob(os.path.join(out, '*.sigmf-meta')))
        datas = sorted(glob.glob(os.path.join(out, '*.sigmf-data')))
        check(len(metas) == len(datas) and all(os.path.getsize(d) > 0 for d in datas),
              f'empty or undescribed files: {metas} {datas}')
        acqs = {json.load(open(m))['global']['daqd:acquisition'] for m in metas}
        check(len(acqs) == 3, f'{len(metas)} recordings of acquisitions {acqs}, expected 3')
        t = verify(out, channels=CHANNELS)
        check(t['acquisitions'] == 3 and t['lost'] == 0, f'daqcat --follow recordings: {t}')
        print(f'ok: daqcat --follow over 3 acquisitions, {t["samples"]} samples')
    finally:
        clean_up(tmp, cat, daqd)


if __name__ == '__main__':
    try:
        main()
        config_and_errors()
        device_error()
        decimated_recording()
        follow_cycles()
    except Fail as e:
        print(f'FAIL: {e}', file=sys.stderr)
        sys.exit(1)
