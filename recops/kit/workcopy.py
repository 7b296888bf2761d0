"""The user's own working copy of the shipped notebooks, which ``recops lab`` serves, so that running
and saving them never writes into the package or a repository checkout.

The copy lives in the user's output folder (``<output>/notebooks/``: ``$RECOPS_OUTPUT_DIR``, else the
XDG data home's ``recops``). On each start, every shipped notebook (``*.ipynb`` and ``apps/*.ipynb``)
is copied there without its jupytext pairing (so Jupyter makes no ``text/`` folder in the copy), and
a record (``.recops-shipped.json``, a SHA-256 per file of the copy as written) tells a user's edit
from a new shipped version:

- not in the copy yet: copied;
- unedited (the file is what was written) and the shipped version changed: refreshed;
- edited by the user: kept as it is; if the shipped version changed too, the new one goes beside it
  as ``<name>.shipped-new.ipynb`` and the start-up lines say so (once per new shipped version).

A file of the copy that the user deleted is copied again. Nothing is ever deleted.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from recops.api.settings import output_dir
from recops.genesys.errors import ConfigError

RECORD = ".recops-shipped.json"
NEW_SUFFIX = ".shipped-new.ipynb"
PATTERNS = ("*.ipynb", "apps/*.ipynb")


def shipped_dir() -> Path:
    """The notebooks that come with recops: in an installed wheel, the package's
    ``recops/kit/shipped/`` (setup.py maps ``notebooks/`` there); in a checkout (an editable
    install, or ``PYTHONPATH``), the checkout's ``notebooks/``."""
    packaged = resources.files("recops.kit").joinpath("shipped")
    if packaged.is_dir():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parents[2] / "notebooks"
    if checkout.is_dir():
        return checkout
    raise ConfigError(f"the notebooks recops ships are missing (looked in {packaged} and {checkout})",
                      "reinstall recops (pip install --force-reinstall 'recops[lab]'), or pass --notebooks DIR")


def working_dir() -> Path:
    """Where the user's working copy of the notebooks is: ``<output folder>/notebooks``."""
    return output_dir() / "notebooks"


@dataclass
class Sync:
    """What :func:`sync` did, relative paths in the working copy."""

    folder: Path
    copied: list[str] = field(default_factory=list)
    refreshed: list[str] = field(default_factory=list)
    kept_beside: list[tuple[str, str]] = field(default_factory=list)  # (the user's file, the new shipped one)
    unedited: list[str] = field(default_factory=list)  # files of the copy that are as shipped (may be signed)

    def lines(self) -> list[str]:
        """The lab's start-up lines about the working copy."""
        out = [f"NOTEBOOKS: your working copy is {self.folder} (edits are kept; the repository and the "
               "package are never written)"]
        if self.copied:
            out.append(f"           copied from recops: {len(self.copied)} notebook(s)")
        if self.refreshed:
            out.append(f"           refreshed to recops' new version: {', '.join(self.refreshed)}")
        for mine, new in self.kept_beside:
            out.append(f"           {mine} has your edits and recops ships a new version: yours is kept, "
                       f"the new one is {new} beside it")
        return out


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def working_text(source: Path) -> bytes:
    """A shipped notebook as it goes into the working copy: the same notebook without its jupytext
    pairing (``metadata.jupytext``), written as Jupyter writes it (so opening and saving it
    unchanged leaves it unedited)."""
    import nbformat

    notebook = nbformat.read(source, as_version=nbformat.NO_CONVERT)
    metadata = notebook.get("metadata")
    if not isinstance(metadata, dict) or "jupytext" not in metadata:
        return source.read_bytes()  # nothing to take out (or not a notebook): the file as it is
    metadata.pop("jupytext")
    return (nbformat.writes(notebook, version=nbformat.NO_CONVERT) + "\n").encode()


def _load_record(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}


def sync(target: Path | None = None, source: Path | None = None) -> Sync:
    """Bring the working copy ``target`` (default :func:`working_dir`) up to the shipped notebooks
    ``source`` (default :func:`shipped_dir`) without overwriting a user's edit (see the module)."""
    source = source or shipped_dir()
    target = target or working_dir()
    try:
        return _sync(target, source)
    except OSError as e:
        raise ConfigError(f"cannot write the working copy of the notebooks in {target}: {e.strerror or e}",
                          "set RECOPS_OUTPUT_DIR to a folder you can write, or pass --notebooks DIR") from e


def _sync(target: Path, source: Path) -> Sync:
    target.mkdir(parents=True, exist_ok=True)
    record_path = target / RECORD
    record = _load_record(record_path)
    done = Sync(target)
    for shipped in sorted(p for pattern in PATTERNS for p in source.glob(pattern)):
        rel = shipped.relative_to(source).as_posix()
        wanted = working_text(shipped)
        new = _digest(wanted)
        dest = target / rel
        old = record.get(rel)
        if not dest.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(wanted)
            done.copied.append(rel)
        else:
            current = _digest(dest.read_bytes())
            if current == new:
                pass  # as shipped now
            elif current == old:  # unedited: the shipped version changed
                dest.write_bytes(wanted)
                done.refreshed.append(rel)
            elif old == new:
                record[rel] = new  # edited by the user; the shipped version did not change
                continue
            else:  # edited by the user (or a file of theirs), and a new shipped version
                beside = dest.with_name(dest.name.removesuffix(".ipynb") + NEW_SUFFIX)
                beside.write_bytes(wanted)
                done.kept_beside.append((rel, beside.relative_to(target).as_posix()))
                done.unedited.append(beside.relative_to(target).as_posix())
                record[rel] = new
                continue
        record[rel] = new
        done.unedited.append(rel)
    record_path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    return done
