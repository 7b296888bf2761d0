"""The Hub hook (``recops.kit.hub.prepare_user``, run as root by ``give_seat`` in
jupyterhub_config.py) never follows a link a trainee planted in their home and never shows a
seat card's secret to another user (issue 16, findings 1 and 2).

Run as root, as the Hub runs the hook, with spare uids that need no passwd entry: ``USER`` is the
trainee whose home is prepared, ``OTHER`` another trainee on the same machine. Everything lives in
a world-traversable folder under /tmp (pytest's own tmp folder is root-only, which would hide a
leak from ``OTHER``). Root's files the attacks aim at stand for /etc/shadow and /root/.ssh:
a root-only folder ``site.etc`` and a root-owned folder ``site.rootdir``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import select
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from recops.genesys.errors import ConfigError
from recops.kit import hub

USER, OTHER = 12345, 12346  # spare uids/gids (no passwd entry needed)
SECRET = "s3cr3t-" + os.urandom(8).hex()  # the seat card's clientSecret
SHADOW = b"root:$6$known-hash:19000:0:99999:7:::\n"  # the root-only file's known content

# A developer machine not running as root skips these; in CI (CI=1) not being root fails instead.
pytestmark = pytest.mark.skipif(os.geteuid() != 0 and not os.environ.get("CI"),
                                reason="the Hub hook runs as root; these tests must too")


@pytest.fixture(autouse=True)
def _root_and_umask() -> Iterator[None]:
    if os.geteuid() != 0:
        pytest.fail("tests/security/test_hub_hook.py must run as root (CI=1 is set): the Hub hook runs as root")
    old = os.umask(0o022)  # a Hub's usual umask: what made the card 0644 for a moment before
    try:
        yield
    finally:
        os.umask(old)


@dataclass
class Site:
    base: Path
    card: Path  # the seat card the room wrote (root's cards folder)
    notebooks: Path  # the recops notebooks (sources)
    homes: Path  # root-owned, world-traversable, like /home
    home: Path  # USER's home: exists, owned by USER, 0755 (a usual home)
    etc: Path  # root-only folder, like /etc or /root
    shadow: Path  # a root-owned 0600 file with known content, like /etc/shadow
    rootdir: Path  # a root-owned 0755 folder holding one file, like /etc/cron.d

    def prepare(self, home: Path | None = None) -> dict[str, str]:
        return hub.prepare_user(home or self.home, self.card, self.notebooks, USER, USER)


@pytest.fixture
def site() -> Iterator[Site]:
    base = Path(tempfile.mkdtemp(prefix="recops-hub-hook-"))
    try:
        base.chmod(0o755)
        cards, notebooks, homes, etc, rootdir = (base / n for n in ("cards", "nb", "homes", "etc", "rootdir"))
        cards.mkdir(0o700)
        card = cards / "seat-01.json"
        card.write_text(json.dumps({"seat": 1, "clientId": "seat-01", "clientSecret": SECRET}))
        card.chmod(0o600)
        notebooks.mkdir()
        for name in ("01_intro.ipynb", "02_pause.ipynb"):
            (notebooks / name).write_text(json.dumps({"cells": [], "name": name}))
        homes.mkdir(0o755)
        home = homes / "ann"
        home.mkdir(0o755)
        os.chown(home, USER, USER)
        etc.mkdir(0o700)
        shadow = etc / "shadow"
        shadow.write_bytes(SHADOW)
        shadow.chmod(0o600)
        rootdir.mkdir(0o755)
        (rootdir / "job").write_text("root's own file\n")
        yield Site(base, card, notebooks, homes, home, etc, shadow, rootdir)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def snapshot(path: Path) -> tuple:
    """What an attack would change: a file's content, owner, group and mode; a folder's listing too."""
    st = path.lstat()
    content = path.read_bytes() if stat.S_ISREG(st.st_mode) else sorted(os.listdir(path))
    return content, st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)


def plant_link(link: Path, target: Path) -> None:
    """A link the trainee made (owned by them, as theirs would be)."""
    link.symlink_to(target)
    os.lchown(link, USER, USER)


def no_secret_in(caplog: pytest.LogCaptureFixture, *texts: str) -> None:
    for text in [*texts, *(r.getMessage() for r in caplog.records)]:
        assert SECRET not in text


def owned_private(path: Path, mode: int) -> bool:
    st = path.lstat()
    return (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (USER, USER, mode)


# --- finding 1: links in the home -----------------------------------------------------------------

@pytest.mark.parametrize("dangling", [False, True], ids=["to-a-root-file", "to-a-new-root-file"])
def test_a_link_at_the_card_is_refused_and_root_s_file_untouched(site, caplog, dangling):
    target = site.etc / "authorized_keys" if dangling else site.shadow
    card = site.home / hub.CARD_NAME
    plant_link(card, target)
    before = snapshot(site.shadow), snapshot(site.etc)

    with pytest.raises(ConfigError, match=r"recops-seat\.json is a symbolic link") as refused:
        site.prepare()

    assert (snapshot(site.shadow), snapshot(site.etc)) == before  # content, owner and mode
    assert not (site.etc / "authorized_keys").exists()
    assert card.is_symlink()
    assert "remove the link" in refused.value.remedy and str(card) in refused.value.remedy
    logged = [r for r in caplog.records if r.levelno >= logging.WARNING and str(card) in r.getMessage()]
    assert logged and "symbolic link" in logged[0].getMessage()
    no_secret_in(caplog, str(refused.value))


def test_a_hard_link_at_the_card_is_replaced_not_written_through(site):
    os.link(site.shadow, site.home / hub.CARD_NAME)  # as a trainee would where fs.protected_hardlinks=0
    before = snapshot(site.shadow)

    site.prepare()

    assert snapshot(site.shadow) == before
    card = site.home / hub.CARD_NAME
    assert json.loads(card.read_text())["clientSecret"] == SECRET
    assert owned_private(card, 0o600) and card.stat().st_nlink == 1


@pytest.mark.parametrize("dangling", [False, True], ids=["to-a-root-folder", "to-a-new-root-folder"])
def test_a_link_at_the_notebooks_folder_is_skipped_and_root_s_folder_untouched(site, caplog, dangling):
    target = site.etc / "cron.d" if dangling else site.rootdir
    plant_link(site.home / "notebooks", target)
    before = snapshot(site.rootdir), snapshot(site.etc), snapshot(site.rootdir / "job")

    env = site.prepare()  # the card is delivered; the notebooks are not

    assert (snapshot(site.rootdir), snapshot(site.etc), snapshot(site.rootdir / "job")) == before
    assert not (site.etc / "cron.d").exists()
    assert (site.home / "notebooks").is_symlink()
    assert json.loads(Path(env["RECOPS_SEAT_CARD"]).read_text())["clientSecret"] == SECRET
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any(str(site.home / "notebooks") in m and "symbolic link" in m for m in logged), logged
    no_secret_in(caplog)


def test_a_link_at_one_notebook_is_skipped_and_the_others_copied(site, caplog):
    mine = site.home / "notebooks"
    mine.mkdir(0o700)
    os.chown(mine, USER, USER)
    plant_link(mine / "01_intro.ipynb", site.shadow)  # at a root file
    plant_link(mine / "02_pause.ipynb", site.etc / "planted")  # at a root file not there yet
    (site.notebooks / "03_more.ipynb").write_text("{}")
    before = snapshot(site.shadow), snapshot(site.etc)

    site.prepare()

    assert (snapshot(site.shadow), snapshot(site.etc)) == before
    assert not (site.etc / "planted").exists()
    assert (mine / "01_intro.ipynb").is_symlink() and (mine / "02_pause.ipynb").is_symlink()
    assert (mine / "03_more.ipynb").read_text() == "{}" and owned_private(mine / "03_more.ipynb", 0o600)
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    for name in ("01_intro.ipynb", "02_pause.ipynb"):
        assert any(str(mine / name) in m and "symbolic link" in m for m in logged), logged


@pytest.mark.parametrize("plant", ["link-to-root-folder", "link-to-own-folder", "a-file", "someone-else-s", "dot-dot"])
def test_a_home_that_is_a_link_or_not_the_user_s_folder_is_refused(site, caplog, plant):
    home = site.homes / "bob"
    if plant == "link-to-root-folder":
        home.symlink_to(site.rootdir)
    elif plant == "link-to-own-folder":
        own = site.homes / "bob-real"
        own.mkdir(0o755)
        os.chown(own, USER, USER)
        home.symlink_to(own)
    elif plant == "a-file":
        home.write_text("not a folder")
    elif plant == "dot-dot":  # a home naming its parent: /home itself
        home = site.home / ".."
    else:  # root's folder (or another user's) given as this user's home
        home.mkdir(0o755)
    before = snapshot(site.rootdir), snapshot(site.homes)

    found = "(is a symbolic link|is a file|is owned by uid 0|is not a folder of its own)"
    with pytest.raises(ConfigError, match=rf"the home {re.escape(str(home))} {found}") as refused:
        site.prepare(home)

    assert (snapshot(site.rootdir), snapshot(site.homes)) == before
    if plant == "link-to-own-folder":
        assert os.listdir(site.homes / "bob-real") == []
    assert refused.value.remedy
    assert any(str(home) in r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)
    no_secret_in(caplog, str(refused.value))


# --- finding 2: the card is never readable by another user ------------------------------------------

def _poll_as_other(card: Path, stop_r: int, out_w: int) -> None:
    """The child: become OTHER and read the card's path (and any file in the home) in a tight loop
    until told to stop; report what it saw as JSON on ``out_w``."""
    seen: dict = {"opened": 0, "leaks": 0, "missing": 0, "denied": 0, "modes": []}
    modes: set[tuple[int, int]] = set()
    try:
        os.setgroups([])
        os.setgid(OTHER)
        os.setuid(OTHER)
        n = 0
        while True:
            n += 1
            if n % 64 == 0 and select.select([stop_r], [], [], 0)[0]:
                break
            try:
                with open(card, "rb") as f:
                    data = f.read()
                seen["opened"] += 1
                seen["leaks"] += SECRET.encode() in data
            except FileNotFoundError:
                seen["missing"] += 1
            except PermissionError:
                seen["denied"] += 1
            try:
                st = os.stat(card)
                modes.add((stat.S_IMODE(st.st_mode), st.st_uid))
            except OSError:
                pass
            if n % 16 == 0:  # a temporary file beside the card would be as bad
                for name in os.listdir(card.parent):
                    with contextlib.suppress(OSError):
                        seen["leaks"] += SECRET.encode() in (card.parent / name).read_bytes()
        seen["modes"] = sorted(modes)
        os.write(out_w, json.dumps(seen).encode())
    finally:
        os._exit(0)


def test_another_user_polling_the_card_during_first_spawns_never_reads_a_secret(site):
    card = site.home / hub.CARD_NAME
    stop_r, stop_w = os.pipe()
    out_r, out_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child)
        os.close(stop_w)
        os.close(out_r)
        _poll_as_other(card, stop_r, out_w)
    os.close(stop_r)
    os.close(out_w)
    try:
        time.sleep(0.2)  # the reader is polling
        for _ in range(300):  # 300 first spawns: no card, then a card
            card.unlink(missing_ok=True)
            time.sleep(0.0005)
            site.prepare()
    finally:
        os.write(stop_w, b"x")
        os.close(stop_w)
        report = b""
        while chunk := os.read(out_r, 65536):
            report += chunk
        os.close(out_r)
        os.waitpid(pid, 0)
    seen = json.loads(report)
    assert seen["leaks"] == 0 and seen["opened"] == 0, seen
    assert seen["missing"] > 0 and seen["denied"] > 0, seen  # it did watch first spawns and the card
    assert seen["modes"] == [[0o600, USER]], seen  # only ever a 0600 card of the user's


# --- the happy path ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fresh", [True, False], ids=["new-home", "existing-home"])
def test_a_home_gets_a_private_card_and_the_notebooks_and_keeps_the_trainee_s_work(site, fresh):
    home = site.homes / "cy" if fresh else site.home
    os.umask(0)  # a umask never widens what the hook creates

    env = site.prepare(home)

    card, mine = home / hub.CARD_NAME, home / "notebooks"
    assert env == {"RECOPS_SEAT_CARD": str(card)}
    assert owned_private(home, 0o700 if fresh else 0o755)  # an existing home keeps its mode
    assert owned_private(card, 0o600) and json.loads(card.read_text())["clientSecret"] == SECRET
    assert owned_private(mine, 0o700)
    assert sorted(os.listdir(mine)) == ["01_intro.ipynb", "02_pause.ipynb"]
    for name in os.listdir(mine):
        assert owned_private(mine / name, 0o600)
        assert (mine / name).read_bytes() == (site.notebooks / name).read_bytes()

    (mine / "01_intro.ipynb").write_text("my work")  # the trainee's edit
    site.card.write_text(json.dumps({"seat": 1, "clientId": "seat-01", "clientSecret": "a new one"}))
    site.prepare(home)  # their next spawn

    assert (mine / "01_intro.ipynb").read_text() == "my work"
    assert json.loads(card.read_text())["clientSecret"] == "a new one"
    assert owned_private(card, 0o600)
    assert sorted(os.listdir(home)) == sorted([hub.CARD_NAME, "notebooks"])  # no temporary file left behind
