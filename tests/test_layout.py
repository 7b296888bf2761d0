"""The map cannot drift: every package folder of recops says what it owns (its ``__init__.py``
docstring) and is listed in README.md's Layout section, and every folder listed there exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _packages() -> list[Path]:
    return sorted(p.parent for p in (REPO / "recops").rglob("__init__.py") if "__pycache__" not in p.parts)


def _layout_paths() -> set[str]:
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("\n## Layout"):]
    following = section.find("\n## ", 5)
    section = section if following == -1 else section[:following]
    first_cells = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    return {path.rstrip("/") for cell in first_cells for path in re.findall(r"`([^`]+)`", cell)}


def _rel(folder: Path) -> str:
    return folder.relative_to(REPO).as_posix()


def test_every_package_folder_says_what_it_owns() -> None:
    silent = []
    for folder in _packages():
        doc = ast.get_docstring(ast.parse((folder / "__init__.py").read_text())) or ""
        if len(doc.split()) < 6:  # a sentence at least: what the folder owns
            silent.append(_rel(folder))
    assert not silent, f"package folders without a docstring saying what they own: {silent}"


def test_readme_layout_lists_every_package_folder() -> None:
    listed = _layout_paths()
    missing = [_rel(folder) for folder in _packages() if _rel(folder) not in listed and _rel(folder) != "recops"]
    assert not missing, f"README.md's Layout section does not list: {missing}"


def test_readme_layout_lists_nothing_that_is_gone() -> None:
    gone = sorted(path for path in _layout_paths() if not (REPO / path).exists())
    assert not gone, f"README.md's Layout section lists paths that do not exist: {gone}"


def test_recops_keeps_no_flat_modules_beside_its_folders() -> None:
    """The package's top level holds its public face and the session, nothing else: a new
    capability goes into the folder that owns it, or gets its own."""
    flat = sorted(p.name for p in (REPO / "recops").glob("*.py"))
    assert flat == ["__init__.py", "session.py"], flat


def test_every_picture_in_the_docs_is_retaken_by_a_browser_test() -> None:
    """docs/img/ holds only pictures that `make screenshots` retakes: each is listed in the
    Makefile's DOC_SHOTS, taken by a test in tests/browser under that name, and shown in README.md
    or docs/; a picture nobody retakes would drift from the app it shows."""
    shots = re.search(r"^DOC_SHOTS := (.+)$", (REPO / "Makefile").read_text(), re.M)
    assert shots, "the Makefile has no DOC_SHOTS line"
    listed = set(shots.group(1).split())
    on_disk = {p.stem for p in (REPO / "docs/img").glob("*.png")}
    taken = {name for test in (REPO / "tests/browser").glob("test_*.py")
             for name in re.findall(r'OUTPUT_DIR / "([\w-]+)\.png"', test.read_text())}
    shown = "\n".join(p.read_text() for p in [REPO / "README.md", *(REPO / "docs").glob("*.md")])
    assert on_disk == listed, f"docs/img/ and DOC_SHOTS differ: {sorted(on_disk ^ listed)}"
    assert listed <= taken, f"no browser test takes {sorted(listed - taken)}"
    assert all(f"img/{name}.png" in shown for name in listed), \
        f"not shown in README.md or docs/: {[n for n in sorted(listed) if f'img/{n}.png' not in shown]}"
