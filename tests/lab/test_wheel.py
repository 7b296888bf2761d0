"""Issue 17, item 19: the wheel held no notebook, so after ``pip install "recops[lab]"`` the lab
stopped with "no notebooks directory found … run from the repository root". The wheel is built
from a copy of the checkout (nothing is written into the repository; no network: the build
backend is the venv's own setuptools), installed in a fresh venv with no checkout on ``sys.path``,
and its ``recops lab`` and ``recops lab --app`` are started from an empty directory: both serve
(a notebook of the working copy; the apps' landing page) and stop cleanly.

The fresh venv borrows the test venv's third-party packages through a ``.pth`` path line (a path
line is not processed for further ``.pth`` files, so the test venv's editable recops is not
picked up), their commands, and, like an installed ``recops[lab]`` would have in its own prefix, Jupyter's data
files (``JUPYTER_PATH``, ``JUPYTERLAB_DIR``)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import zipfile
from importlib.metadata import entry_points
from pathlib import Path

import urllib3

from recops.sandbox.process import ServedProcess

from ..ports import free_port
from .test_lab_command import ROOT, _env

CLEAN = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # no checkout on sys.path
SOURCES = ["pyproject.toml", "setup.py", "README.md", "recops", "notebooks"]


def _wheel(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    for name in SOURCES:
        if not (ROOT / name).exists():
            continue
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy(ROOT / name, src / name)
    out = tmp_path / "dist"
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                           "-q", "-w", str(out), str(src)], capture_output=True, text=True, env=CLEAN, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = out.glob("recops-*.whl")
    return wheel


def _fresh_venv(tmp_path: Path, wheel: Path) -> Path:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    python = venv / "bin" / "python"
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                           "-q", str(wheel)], capture_output=True, text=True, env=CLEAN, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, env=CLEAN, check=True).stdout.strip()
    (Path(site) / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    for script in entry_points(group="console_scripts"):  # the borrowed packages' commands (jupyter-lab, …)
        path = venv / "bin" / script.name
        if not path.exists():
            path.write_text(f"#!{python}\nimport sys\nfrom {script.module} import {script.attr.split('.')[0]}\n"
                            f"sys.exit({script.attr}())\n")
            path.chmod(0o755)
    return venv


def _serves(cmd: list[str], env: dict[str, str], cwd: Path, url: str, expect: str) -> str:
    proc = ServedProcess(cmd, url_pattern=None, env=env, cwd=cwd).start()
    http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=1, read=10))
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.running(), proc.output()
            try:
                reply = http.request("GET", url)
                if reply.status == 200:
                    break
            except urllib3.exceptions.HTTPError:
                pass
            assert time.monotonic() < deadline, "did not serve:\n" + proc.output()
            time.sleep(0.3)
        assert expect in reply.data.decode(), reply.data.decode()[:2000]
    finally:
        code = proc.stop(signal.SIGINT, timeout=30)
    assert code in (0, 130), proc.output()
    return proc.output()


def test_the_wheel_carries_the_notebooks_and_runs_the_lab_and_the_apps_with_no_checkout(tmp_path):
    wheel = _wheel(tmp_path)
    venv = _fresh_venv(tmp_path, wheel)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import recops; print(recops.__file__)"],
                           capture_output=True, text=True, cwd=elsewhere, env=CLEAN, check=True).stdout.strip()
    assert Path(where).is_relative_to(venv), where

    share = Path(sys.prefix) / "share" / "jupyter"
    env = _env(tmp_path) | {"JUPYTER_PATH": str(share), "JUPYTERLAB_DIR": str(share / "lab")}
    env.pop("PYTHONPATH", None)
    recops = str(venv / "bin" / "recops")
    port = free_port()
    text = _serves([recops, "lab", "--no-browser", "--port", str(port)], env, elsewhere,
                   f"http://127.0.0.1:{port}/api/contents/03_pause_resume_stop.ipynb?token={env['JUPYTER_TOKEN']}",
                   '"type": "notebook"')
    assert f"NOTEBOOKS: your working copy is {tmp_path / 'output' / 'notebooks'}" in text, text
    port = free_port()
    _serves([recops, "lab", "--app", "--no-browser", "--port", str(port)], env, elsewhere,
            f"http://127.0.0.1:{port}/", "Control panel")
    assert not list(elsewhere.iterdir()), "the lab wrote into its working directory"

    names = zipfile.ZipFile(wheel).namelist()
    assert "recops/kit/shipped/03_pause_resume_stop.ipynb" in names, names
    assert "recops/kit/shipped/apps/control_panel.ipynb" in names
    assert "recops/kit/app_landing/voila/templates/recops/tree-lab.html" in names
    assert not [n for n in names if "/text/" in n], "the jupytext text forms went into the wheel"
