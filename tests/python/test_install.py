# SPDX-License-Identifier: LGPL-2.1-or-later
"""`meson install` puts the package into the interpreter's site directory
(under the prefix), where a fresh interpreter imports it and opens the
simulator with the installed library."""
import glob
import os
import subprocess
import sys


def test_meson_install_into_site_dir(tmp_path):
    dest = str(tmp_path / "dest")
    r = subprocess.run(["meson", "install", "-C", os.environ["MESON_BUILD_ROOT"],
                        "--no-rebuild", "--destdir", dest, "--quiet"],
                       capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stdout + r.stderr
    inits = glob.glob(os.path.join(dest, "**", "uio_daq", "__init__.py"), recursive=True)
    assert len(inits) == 1, inits
    site = os.path.dirname(os.path.dirname(inits[0]))
    assert site.endswith(("dist-packages", "site-packages"))
    pkg = os.listdir(os.path.dirname(inits[0]))
    for f in ("stream.py", "control.py", "sigmf.py", "_uio_daq.pyi", "py.typed"):
        assert f in pkg
    assert any(f.startswith("_uio_daq.") and f.endswith(".so") for f in pkg)
    libs = glob.glob(os.path.join(dest, "**", "libuio_daq.so.0"), recursive=True)
    assert libs
    env = dict(os.environ, PYTHONPATH=site, LD_LIBRARY_PATH=os.path.dirname(libs[0]))
    code = ("import uio_daq; d = uio_daq.Device('sim:ring=1M'); "
            "print(uio_daq.__file__, d.name); d.close()")
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                       text=True, timeout=60, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(site) and r.stdout.strip().endswith("refdaq-sim")
