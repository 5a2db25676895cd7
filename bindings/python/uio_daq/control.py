# SPDX-License-Identifier: LGPL-2.1-or-later
"""A client for daqd's control socket (docs/daqd.md, "Control protocol").

    from uio_daq.control import Control
    with Control("/run/daqd/daqd.sock") as c:
        print(c.status()["acquisition"]["state"])
        c.rotate()

Each request is one line of JSON with a "cmd"; each reply one line,
``{"ok": true, ...}`` or ``{"ok": false, "error": "..."}``. A reply that is
not ok raises :class:`ControlError` with daqd's message.
"""

import json
import socket

__all__ = ["Control", "ControlError"]


class ControlError(RuntimeError):
    """daqd answered a control request with ``"ok": false``."""


class Control:
    """A connection to daqd's control socket at *path* (a Unix socket).

    *timeout* (seconds) bounds the connect and every reply.
    """

    def __init__(self, path, timeout=10.0):
        if not isinstance(path, (str, bytes)) or not path:
            raise ValueError("path must be the control socket's path")
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout)
        try:
            self._sock.connect(path)
        except OSError:
            self._sock.close()
            raise
        self._buf = b""

    def close(self):
        """Close the connection."""
        self._sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def request(self, cmd, **args):
        """Send ``{"cmd": cmd, **args}`` and return daqd's reply (a dict).

        Raises ControlError if the reply is not ok.
        """
        msg = dict(args, cmd=cmd)
        self._sock.sendall(json.dumps(msg).encode() + b"\n")
        while b"\n" not in self._buf:
            more = self._sock.recv(65536)
            if not more:
                raise ConnectionError("daqd closed the control connection")
            self._buf += more
        line, self._buf = self._buf.split(b"\n", 1)
        reply = json.loads(line)
        if not reply.get("ok"):
            raise ControlError(reply.get("error", "daqd refused the request"))
        return reply

    def status(self):
        """The daemon's status (acquisition state, counters, sinks)."""
        return self.request("status")

    def stats(self):
        """As status(), plus device and per-sink counters."""
        return self.request("stats")

    def start(self):
        """Start a new acquisition."""
        return self.request("start")

    def stop(self):
        """Stop the acquisition."""
        return self.request("stop")

    def rotate(self):
        """Make every sink with files start a new one."""
        return self.request("rotate")

    def sim_fault(self, fault):
        """Simulator only: inject 'overflow', 'dma', 'gone', 'stall' or 'unstall'."""
        return self.request("sim-fault", fault=fault)
