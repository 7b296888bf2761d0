"""The SDK's config-file watcher is off in a recops process: ``Configuration()`` otherwise watches
the nearest existing folder of ``~/.genesyscloudpython/config`` recursively with ``watchdog`` (the
whole home directory when that folder is missing: an inotify watch on every subfolder, and every
file written under it handled by the observer's thread). Checked in a fresh process whose HOME has
200 folders, through the kernel's own account of the process's inotify watches."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

PROBE = """
    import os, threading, time
    from pathlib import Path
    from recops.api import sdk as loader

    pkg = loader.load()
    time.sleep(0.5)  # the SDK's observer thread, if any, has made and scheduled its observer
    for i in range(20):  # files written under HOME, as notebooks, journals and caches are
        (Path(os.environ["HOME"]) / f"d{i}" / "note.txt").write_text("x")
    time.sleep(0.3)

    def inotify_watches() -> int:
        n = 0
        for fd in os.listdir("/proc/self/fdinfo"):
            try:
                n += sum(1 for line in open(f"/proc/self/fdinfo/{fd}") if line.startswith("inotify wd:"))
            except OSError:
                pass
        return n

    live = [t for t in threading.enumerate() if type(t).__module__.startswith("watchdog") and t.is_alive()]
    print(loader.is_lazy(), pkg.configuration.live_reload_config, inotify_watches(), len(live))
"""


@pytest.mark.parametrize("full", [False, True], ids=["partial-load", "full-import"])
def test_no_config_file_watcher_and_no_inotify_watch_on_the_home_directory(tmp_path, full):
    home = tmp_path / "home"
    for i in range(200):
        (home / f"d{i}" / "sub").mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS", "RECOPS_"))}
    env |= {"HOME": str(home), "PYTHONPATH": str(REPO)} | ({"RECOPS_SDK_FULL_IMPORT": "1"} if full else {})
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(PROBE)], capture_output=True, text=True,
                          env=env, cwd=REPO, timeout=180)
    assert proc.returncode == 0, proc.stderr
    lazy, live_reload, watches, observers = proc.stdout.split()
    assert lazy == str(not full)
    assert live_reload == "False"
    assert int(watches) == 0, f"{watches} inotify watches in the process"
    assert int(observers) == 0, f"{observers} watchdog threads still running"
