"""The training walkthrough's two forms from one source.

The trainer form (``notebooks/05_trainer_walkthrough.ipynb``, paired with its text form
``notebooks/text/05_trainer_walkthrough.py``) is the only one anyone edits: the answers are in
cells tagged ``solution``, so it runs top to bottom and every self-check passes. The trainee
form (``05_trainee_exercises.ipynb`` and its text form: ``trainee_name``) is generated from it,
cell by cell:

- a cell tagged ``solution`` (tagged ``answer`` in the trainee form) keeps its leading comment
  lines (the instructions) and each plain name it assigns at top level, blanked:
  ``answer = rc.status(ex1).recording_state  # e.g. "ACTIVE"`` becomes
  ``answer = None  # e.g. "ACTIVE"`` (the trailing comment kept, else ``# your answer here``);
  the rest of the answer is dropped. A cell left with nothing gets ``# your turn``;
- a cell tagged ``trainer`` (notes for the trainer) is left out;
- every other cell (the exercise text, the given code, the self-checks) is copied as it is.

The self-checks (``recops.kit.training``) read a blank (``None``) as "nothing filled in yet" and say
so, so the trainee form runs top to bottom without an exception. The output depends only on
the source: same cells, same ids, same metadata, and the text form carries the jupytext version
the trainer's text form records, so regenerating an unchanged source changes no byte.
``recops training forms`` writes the trainee forms; ``--check`` says which are stale (for CI).
"""

from __future__ import annotations

import ast
import copy
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recops.genesys.errors import ConfigError

SOLUTION = "solution"  # in the trainer form: an answer
ANSWER = "answer"  # in the trainee form: the same cell, blanked, for the trainee's answer
TRAINER = "trainer"
TRAINEE_SUFFIX = "_trainee"
# "NN_trainer_TOPIC" -> "NN_trainee_exercises": the two names differ in their first 10 characters,
# so JupyterLab's file browser, which cuts long names ("05_training_wal…"), tells them apart
TRAINER_NAME = re.compile(r"^(?P<prefix>.*?)trainer_(?P<topic>.+)$")
TRAINEE_NAME = "trainee_exercises"
TEXT_DIR = "text"
BLANK = "None"
DEFAULT_HINT = "# your answer here"
EMPTY = "# your turn"
VERSION_LINE = re.compile(r"^(#\s+jupytext_version: ).*$", re.MULTILINE)


# --- one cell ---------------------------------------------------------------------------------


def _comments(source: str) -> dict[int, str]:
    """The comment ending each (1-based) line that has one."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return {t.start[0]: t.string for t in tokens if t.type == tokenize.COMMENT}


def _assigned_names(node: ast.stmt) -> list[str]:
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        targets = [node.target]
    names: list[str] = []
    for target in targets:
        parts = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
        names += [p.id for p in parts if isinstance(p, ast.Name) and p.id not in names]
    return names


def blank_solution(source: str, where: str = "a solution cell") -> str:
    """The trainee's version of a solution cell's code (see the module's docstring)."""
    try:
        tree = ast.parse(source)
    except SyntaxError as e:
        raise ConfigError(f"{where} is not valid Python ({e.msg}, line {e.lineno})",
                          "fix the trainer form, then run `recops training forms` again") from None
    lines, comments = source.splitlines(), _comments(source)
    first = tree.body[0].lineno if tree.body else len(lines) + 1
    out = [line.rstrip() for line in lines[:first - 1] if line.lstrip().startswith("#")]
    for node in tree.body:
        names = _assigned_names(node)
        hint = comments.get(node.end_lineno or node.lineno, DEFAULT_HINT)
        out += [f"{name} = {BLANK}  {hint}" for name in names]
    return "\n".join(out) if out else EMPTY


def _tags(cell: Any) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def trainee_notebook(trainer: Any, where: str = "the trainer form") -> Any:
    """The trainee form of a trainer notebook (an nbformat NotebookNode, left unchanged)."""
    nb = copy.deepcopy(trainer)
    cells = []
    for index, cell in enumerate(nb.cells):
        tags = _tags(cell)
        if TRAINER in tags:
            continue
        if SOLUTION in tags:
            if cell.cell_type != "code":
                raise ConfigError(f"cell {index + 1} of {where} is tagged {SOLUTION!r} but is {cell.cell_type}",
                                  f"tag only code cells {SOLUTION!r} (markdown for the trainer: {TRAINER!r})")
            cell.source = blank_solution(cell.source, f"cell {index + 1} of {where}")
            cell.metadata["tags"] = [ANSWER if t == SOLUTION else t for t in tags]
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cells.append(cell)
    nb.cells = cells
    return nb


def has_solutions(nb: Any) -> bool:
    return any(SOLUTION in _tags(c) for c in nb.cells)


# --- files ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Form:
    """One trainer form and the files of its trainee form."""

    trainer: Path  # notebooks/NAME.ipynb
    trainer_text: Path  # notebooks/text/NAME.py
    trainee: Path  # notebooks/TRAINEE.ipynb (``trainee_name``)
    trainee_text: Path  # notebooks/text/TRAINEE.py

    @classmethod
    def of(cls, trainer: Path) -> Form:
        stem = trainer.stem
        text = trainer.parent / TEXT_DIR
        trainee = trainee_name(stem)
        return cls(trainer, text / f"{stem}.py", trainer.with_name(f"{trainee}.ipynb"), text / f"{trainee}.py")


def trainee_name(trainer_stem: str) -> str:
    """The trainee form's name: ``05_trainer_walkthrough`` -> ``05_trainee_exercises``; a trainer
    form named otherwise gets ``_trainee`` appended."""
    named = TRAINER_NAME.match(trainer_stem)
    return f"{named['prefix']}{TRAINEE_NAME}" if named else f"{trainer_stem}{TRAINEE_SUFFIX}"


def is_trainee_form(stem: str) -> bool:
    return stem.endswith(TRAINEE_SUFFIX) or TRAINEE_NAME in stem


def _jupytext() -> Any:
    try:
        import jupytext
    except ImportError:
        raise ConfigError("writing the trainee forms needs jupytext (the notebooks' text forms)",
                          "install the dev extras: pip install -e '.[dev]' (or pip install jupytext)") from None
    return jupytext


def trainer_forms(nb_dir: Path) -> list[Form]:
    """The notebooks in ``nb_dir`` with cells tagged ``solution`` (trainee forms excluded), by name;
    none is a mistake (the wrong folder), said as such."""
    import nbformat

    forms = [Form.of(path) for path in sorted(nb_dir.glob("*.ipynb"))
             if not is_trainee_form(path.stem) and has_solutions(nbformat.read(path, as_version=4))]
    if not forms:
        raise ConfigError(f"no notebook in {nb_dir} has cells tagged {SOLUTION!r}",
                          "pass the notebooks folder that holds the training walkthrough (--notebooks DIR)")
    return forms


def _file_text(nb: Any, fmt: str) -> str:
    """What ``jupytext.write`` (and so ``jupytext --sync``) puts in the file."""
    stream = io.StringIO()
    _jupytext().write(nb, stream, fmt=fmt)
    return stream.getvalue()


def render(form: Form) -> dict[Path, str]:
    """The trainee form's files and their exact text, from the trainer's notebook."""
    import nbformat

    trainee = trainee_notebook(nbformat.read(form.trainer, as_version=4), str(form.trainer.name))
    text = _file_text(trainee, "py:percent")
    source_text = form.trainer_text.read_text(encoding="utf-8") if form.trainer_text.exists() else ""
    recorded = VERSION_LINE.search(source_text)
    if recorded:  # the trainer's text form's jupytext version, so the bytes depend on the source only
        text = VERSION_LINE.sub(lambda _: recorded.group(0), text, count=1)
    return {form.trainee: _file_text(trainee, "ipynb"), form.trainee_text: text}


def stale(nb_dir: Path) -> list[Path]:
    """The trainee-form files that differ from what the trainer forms generate (or are missing)."""
    return [path for form in trainer_forms(nb_dir) for path, text in render(form).items()
            if not path.is_file() or path.read_text(encoding="utf-8") != text]


def write(nb_dir: Path) -> list[Path]:
    """Write every trainee form; the files whose content changed."""
    changed = []
    for form in trainer_forms(nb_dir):
        for path, text in render(form).items():
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
                changed.append(path)
    return changed
