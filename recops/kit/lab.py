"""``recops lab``: the notebook kit. Starts a sandbox server (demo scenario) as its own process
(recops/sandbox/process.py), shared by every notebook of the session through
``RECOPS_SANDBOX_URL``, then JupyterLab on the user's working copy of the notebooks
(recops/kit/workcopy.py: ``<output folder>/notebooks``, never the package or a checkout;
``--app``: Voilà on its ``apps/``, opening on a landing page; ``--notebooks DIR``: that folder as it
is). With credentials set it starts no
sandbox and says loudly that the notebooks act on a real org. With a seat card (``--seat-card``
or ``RECOPS_SEAT_CARD``) it starts no sandbox either: every notebook acts on that seat of the
training room, checked to be the card's room before JupyterLab starts.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from recops.api.settings import Settings
from recops.genesys.errors import ConfigError


def notebooks_dir(explicit: str | None = None) -> Path:
    """A notebooks folder to work ON (``recops training forms``): ``explicit``, else ``./notebooks``,
    else the checkout's. ``recops lab`` serves a working copy instead (:func:`served_dir`)."""
    checkout = Path(__file__).resolve().parents[2]  # recops/kit/lab.py -> the repository's root
    candidates = [Path(explicit)] if explicit else [Path.cwd() / "notebooks", checkout / "notebooks"]
    for path in candidates:
        if path.is_dir():
            return path
    raise ConfigError(f"no notebooks directory found (looked in {', '.join(map(str, candidates))})",
                      "run from the repository root, or pass --notebooks DIR")


LAB_SETTINGS = Path(__file__).resolve().parent / "lab_settings"


def lab_command(nb_dir: Path, port: int, open_browser: bool = True, port_retries: int = 10) -> list[str]:
    """The JupyterLab command ``recops lab`` runs. Its app settings (``recops/lab_settings``:
    ``overrides.json``) turn off the "get notified about official Jupyter news?" pop-up and the
    update check, which would cover the widgets; they are defaults, so a user's own JupyterLab
    settings still win. The server side of both is off too (no news URL, no update check)."""
    cmd = [sys.executable, "-m", "jupyter", "lab", f"--notebook-dir={nb_dir}", f"--port={port}",
           f"--ServerApp.port_retries={port_retries}", f"--LabApp.app_settings_dir={LAB_SETTINGS}",
           "--LabApp.news_url=None",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           # notebook_shim (a shim for the classic Notebook's extensions, none of which the kit has)
           # reads every attribute of the server, the deprecated ServerApp.token among them, which
           # printed "ServerApp.token config is deprecated" into every lab's log
           '--ServerApp.jpserver_extensions={"notebook_shim": False}']
    if not open_browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    return cmd


def served_dir(explicit: str | None, echo: Callable[[str], None]) -> tuple[Path, list[str]]:
    """The folder ``recops lab`` serves, and the notebooks in it that are recops' own, as shipped
    (to sign): ``--notebooks DIR`` as it is (none signed), else the user's working copy, brought up
    to the shipped notebooks first (recops/kit/workcopy.py), whose start-up lines go to ``echo``."""
    if explicit:
        return notebooks_dir(explicit), []
    from recops.kit import workcopy

    done = workcopy.sync()
    for line in done.lines():
        echo(line)
    return done.folder, done.unedited


def trust_shipped_notebooks(nb_dir: Path, names: Iterable[str]) -> int:
    """Sign (``jupyter trust``) the kit's own notebooks, so that opening them logs no "Notebook …
    is not trusted": ``names`` (paths relative to ``nb_dir``), the working copy's notebooks that are
    as recops ships them. A notebook the user edited was signed by Jupyter when they saved it, if
    at all; a notebooks directory of the user's own (``--notebooks``) is left as Jupyter leaves it.
    The signatures go to the user's Jupyter data directory; no notebook file changes. Returns how many."""
    import nbformat
    from nbformat.sign import NotebookNotary

    notary = NotebookNotary()
    signed = 0
    for name in sorted(names):
        notebook = nbformat.read(nb_dir / name, as_version=nbformat.NO_CONVERT)
        if not notary.check_signature(notebook):
            notary.sign(notebook)
        signed += 1
    return signed


APP_TEMPLATES = Path(__file__).resolve().parent / "app_landing"  # voila/templates/recops: the landing page


def app_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` with recops' Voilà template (``--template=recops``: the apps' landing page) on
    ``JUPYTER_PATH``, ahead of what was there."""
    paths = [str(APP_TEMPLATES), *filter(None, env.get("JUPYTER_PATH", "").split(os.pathsep))]
    return env | {"JUPYTER_PATH": os.pathsep.join(paths)}


def app_command(nb_dir: Path, port: int, open_browser: bool = True, port_retries: int = 10) -> list[str]:
    """The Voilà command ``recops lab --app`` runs (in :func:`app_env`): the apps in ``apps/`` (the
    seat picker, then the control panel or the walkthrough), no code shown (Voilà's default),
    opening on a landing page that says what each app is for (recops/kit/app_landing)."""
    apps = nb_dir / "apps"
    if not apps.is_dir():
        raise ConfigError(f"no apps folder in {nb_dir}", "pass --notebooks DIR with the apps in DIR/apps")
    cmd = [sys.executable, "-m", "voila", str(apps), f"--port={port}", f"--Voila.port_retries={port_retries}",
           "--Voila.ip=127.0.0.1", "--template=recops"]
    if not open_browser:
        cmd.append("--no-browser")
    return cmd


def run(port: int = 8888, sandbox_port: int = 0, notebooks: str | None = None, open_browser: bool = True,
        echo: Callable[[str], None] = print, seat_card: str | None = None, app: bool = False) -> int:
    env = dict(os.environ)
    if seat_card:
        env["RECOPS_SEAT_CARD"] = str(Path(seat_card).expanduser().absolute())
    settings = Settings.load(env)
    on_seat = settings.seat is not None and bool(settings.sandbox_url)
    if on_seat:  # first: a card of another (or a stopped) room stops here, before anything is copied or said
        from recops.api.seat_card import check_room

        assert settings.seat is not None and settings.sandbox_url
        check_room(settings.seat, settings.sandbox_url)
    nb_dir, shipped = served_dir(notebooks, echo)
    command = app_command(nb_dir, port, open_browser) if app else lab_command(nb_dir, port, open_browser)
    if app:
        env = app_env(env)
    sandbox = None
    if on_seat:
        assert settings.seat is not None
        echo(f"SEAT: {settings.seat.describe()} at {settings.sandbox_url} ({settings.seat.path}); "
             "every notebook of this lab acts on this seat only")
    elif settings.target.is_sandbox:
        if settings.sandbox_url:
            echo(f"SANDBOX: using the sandbox at {settings.sandbox_url} (RECOPS_SANDBOX_URL)")
        else:
            from recops.sandbox.process import sandbox_process

            sandbox = sandbox_process("demo", port=sandbox_port, env=env).start()
            url = env["RECOPS_SANDBOX_URL"] = sandbox.url
            echo(f"SANDBOX: started the demo sandbox at {url}; every notebook of this lab shares it")
            echo("         (no credentials are set: nothing here can touch a real org)")
    else:
        line = "!" * 78
        echo(line)
        echo(f"!! REAL ORG: {settings.target.describe()}")
        echo("!! Credentials are set: the notebooks act on this org. Every change needs confirmation.")
        echo(line)
    trust_shipped_notebooks(nb_dir, shipped)
    lab = subprocess.Popen(command, env=env)

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # SIGTERM stops JupyterLab and the sandbox like Ctrl-C does

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        return lab.wait()
    except KeyboardInterrupt:
        lab.send_signal(signal.SIGINT)
        try:
            return lab.wait(15)
        except subprocess.TimeoutExpired:
            lab.kill()
            return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
        if sandbox is not None:
            sandbox.stop()
