"""Issue 17, item 3: running the notebooks from ``recops lab`` wrote into the repository (autosave
put outputs into the committed .ipynb files; jupytext bumped ``jupytext_version`` in text/*.py).
``recops lab`` serves the user's own working copy in the output folder (recops/kit/workcopy.py):
saving a notebook there changes the copy and nothing in the checkout; a second start keeps the
user's edit; a new shipped version refreshes an unedited copy and goes beside an edited one."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import nbformat
import urllib3

from .test_lab_command import ROOT, _env, _lab

NOTE = "my own note, kept across starts"


def _tree_digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def test_saving_a_notebook_in_the_lab_changes_the_working_copy_and_never_the_repository(tmp_path):
    before = _tree_digest(ROOT / "notebooks")
    env = _env(tmp_path)
    copy = tmp_path / "output" / "notebooks"
    name = "01_getting_started.ipynb"
    with _lab(env) as (lab, port, codes):
        http = urllib3.PoolManager(retries=False, timeout=30)
        url = f"http://127.0.0.1:{port}/api/contents/{name}?token={env['JUPYTER_TOKEN']}"
        model = http.request("GET", url).json()
        assert model["type"] == "notebook"
        # what a run and an autosave do: outputs in a code cell, and the user's own cell
        cells = model["content"]["cells"]
        code = next(c for c in cells if c["cell_type"] == "code")
        code["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "ran\n"}]
        code["execution_count"] = 1
        cells.append({"cell_type": "markdown", "metadata": {}, "source": NOTE})
        saved = http.request("PUT", url, body=json.dumps({"type": "notebook", "format": "json",
                                                          "content": model["content"]}),
                             headers={"Content-Type": "application/json"})
        assert saved.status == 200, saved.data
    assert codes[0] in (0, 130), lab.output()
    assert _tree_digest(ROOT / "notebooks") == before, "the lab wrote into the repository's notebooks/"
    assert f"NOTEBOOKS: your working copy is {copy}" in lab.output()
    assert NOTE in (copy / name).read_text() and '"ran\\n"' in (copy / name).read_text()
    assert not (copy / "text").exists(), "jupytext paired the working copy (a text/ folder)"
    assert "jupytext" not in nbformat.read(copy / name, as_version=4).metadata

    with _lab(env) as (lab, _port, _codes):  # a second start keeps the edit, says nothing of it
        lab.wait_for(r"NOTEBOOKS: your working copy is ", timeout=5)
    assert NOTE in (copy / name).read_text()
    assert "copied from recops" not in lab.output() and "refreshed" not in lab.output(), lab.output()
    assert _tree_digest(ROOT / "notebooks") == before


def _shipped(folder: Path, text: str) -> None:
    """A stand-in for the shipped notebooks: one notebook and one app, saying ``text``."""
    (folder / "apps").mkdir(parents=True, exist_ok=True)
    for name in ("one.ipynb", "apps/app.ipynb"):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"{name}: {text}")])
        nb.metadata["jupytext"] = {"formats": "ipynb,text//py:percent"}
        nbformat.write(nb, folder / name)


def test_a_new_shipped_version_refreshes_an_unedited_copy_and_never_overwrites_an_edit(tmp_path):
    from recops.kit import workcopy

    source, target = tmp_path / "shipped", tmp_path / "copy"
    _shipped(source, "version 1")
    first = workcopy.sync(target, source)
    assert sorted(first.copied) == ["apps/app.ipynb", "one.ipynb"] and not first.kept_beside
    assert "version 1" in (target / "one.ipynb").read_text()
    assert "jupytext" not in (target / "one.ipynb").read_text()
    assert sorted(first.unedited) == ["apps/app.ipynb", "one.ipynb"]

    again = workcopy.sync(target, source)  # nothing changed: nothing to do
    assert (again.copied, again.refreshed, again.kept_beside) == ([], [], [])

    edited = nbformat.read(target / "one.ipynb", as_version=4)
    edited.cells.append(nbformat.v4.new_markdown_cell(NOTE))
    nbformat.write(edited, target / "one.ipynb")
    kept = workcopy.sync(target, source)  # the user's edit, no new shipped version: kept, silently
    assert NOTE in (target / "one.ipynb").read_text()
    assert (kept.refreshed, kept.kept_beside, kept.unedited) == ([], [], ["apps/app.ipynb"])

    _shipped(source, "version 2")  # both changed: theirs kept, the new one beside it, said once
    both = workcopy.sync(target, source)
    assert both.refreshed == ["apps/app.ipynb"] and "version 2" in (target / "apps/app.ipynb").read_text()
    assert both.kept_beside == [("one.ipynb", "one.shipped-new.ipynb")]
    text = (target / "one.ipynb").read_text()
    assert NOTE in text and "version 1" in text
    assert "version 2" in (target / "one.shipped-new.ipynb").read_text()
    assert any("one.ipynb has your edits" in line and "one.shipped-new.ipynb" in line for line in both.lines())
    later = workcopy.sync(target, source)
    assert (later.refreshed, later.kept_beside) == ([], []) and NOTE in (target / "one.ipynb").read_text()

    (target / "apps/app.ipynb").unlink()  # a deleted copy comes back as shipped
    assert workcopy.sync(target, source).copied == ["apps/app.ipynb"]


def test_a_file_of_the_users_own_in_the_way_is_kept(tmp_path):
    from recops.kit import workcopy

    source, target = tmp_path / "shipped", tmp_path / "copy"
    _shipped(source, "version 1")
    target.mkdir()
    shutil.copy(source / "one.ipynb", target / "one.ipynb")  # theirs, with its pairing: not what we write
    done = workcopy.sync(target, source)
    assert done.kept_beside == [("one.ipynb", "one.shipped-new.ipynb")]
    assert (target / "one.ipynb").read_bytes() == (source / "one.ipynb").read_bytes()


def test_an_output_folder_that_cannot_hold_the_copy_gets_a_message_saying_what_to_do(tmp_path):
    import subprocess
    import sys

    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    env = _env(tmp_path, RECOPS_OUTPUT_DIR=str(blocked))
    done = subprocess.run([sys.executable, "-m", "recops.cli", "lab", "--no-browser", "--port", "1"], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert f"cannot write the working copy of the notebooks in {blocked / 'notebooks'}" in done.stderr
    assert "set RECOPS_OUTPUT_DIR to a folder you can write" in done.stderr and "Traceback" not in done.stderr
