"""Every notebook runs top to bottom in a real kernel against a fresh sandbox (papermill), and is
committed without outputs, in sync with its paired py:percent text form in ``notebooks/text/``
(so the lab's file browser shows one entry per notebook). The training walkthrough runs in both
its forms: the trainer form passes every self-check, the trainee form (generated, answers
blank: recops/kit/training_forms.py) runs untouched without an exception and every self-check says
NOT YET and what to fill in."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from recops.sandbox import SandboxServer

from ..output import OUTPUT_DIR

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
TEXT = NOTEBOOKS / "text"  # the py:percent text forms, paired by jupytext's prefix
FORMATS = "ipynb,text//py:percent"
ALL = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))

PARAMETERS = {
    "03_pause_resume_stop.ipynb": {"run_workflow_headless": True, "wait_seconds": 0.5},
}
EXPLICIT = "explicit"  # 06 is given its csv paths (under tmp_path / EXPLICIT); 02 and 07 write where they default to


def test_there_are_eight_notebooks_and_the_walkthroughs_trainee_form():
    assert ALL == ["01_getting_started.ipynb", "02_recording_states.ipynb", "03_pause_resume_stop.ipynb",
                   "04_reproduce_errors.ipynb", "05_trainee_exercises.ipynb",
                   "05_trainer_walkthrough.ipynb", "06_pause_ledger.ipynb", "07_export.ipynb",
                   "08_lifecycle.ipynb"]


def test_the_lab_sidebar_tells_every_notebook_apart():
    """JupyterLab's file browser cuts long names ("05_training_wal…", issue 17, item 17): the
    first 15 characters of every notebook's name differ."""
    heads = [name[:15] for name in ALL]
    assert len(set(heads)) == len(heads), heads


def test_the_notebooks_folder_lists_one_entry_per_notebook():
    """What the lab's file browser shows (it hides dot-entries such as .ipynb_checkpoints): the
    notebooks and one folder of text forms, one text form per notebook and nothing else."""
    shown = sorted(p.name for p in NOTEBOOKS.iterdir() if not p.name.startswith("."))
    assert shown == [*ALL, "apps", "text"], f"notebooks/ should hold only the notebooks, apps/ and text/, not {shown}"
    texts = sorted(p.name for p in TEXT.iterdir() if not p.name.startswith("."))
    assert texts == [name.replace(".ipynb", ".py") for name in ALL]


@pytest.mark.parametrize("name", ALL)
def test_committed_without_outputs_and_in_sync_with_text_form(name):
    import jupytext
    from jupytext.paired_paths import paired_paths

    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{name} has outputs"
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells), f"{name} has no parameters cell"
    text_path = TEXT / name.replace(".ipynb", ".py")
    text = jupytext.read(text_path)
    assert nb.metadata["jupytext"]["formats"] == text.metadata["jupytext"]["formats"] == FORMATS
    pair = [str(NOTEBOOKS / name), str(text_path)]
    assert [p for p, _ in paired_paths(str(NOTEBOOKS / name), "ipynb", FORMATS)] == pair
    assert [p for p, _ in paired_paths(str(text_path), "py:percent", FORMATS)] == pair  # from either side
    assert [c.source for c in text.cells] == [c.source for c in nb.cells], f"{name} differs from text/{text_path.name}"
    assert [(c.cell_type, c.metadata.get("tags")) for c in text.cells] == [
        (c.cell_type, c.metadata.get("tags")) for c in nb.cells]


def rate_limit_case() -> tuple[str, int]:
    """Notebook 04's 429 case: the text before the cell, and the budget the cell sets on purpose."""
    nb = nbformat.read(NOTEBOOKS / "04_reproduce_errors.ipynb", as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "rateLimitPerMinute=" in c.source)
    set_to = int(re.search(r"rateLimitPerMinute=(\d+)", nb.cells[at].source).group(1))
    return nb.cells[at - 1].source, set_to


def test_the_429_case_explains_the_budget_its_cell_sets():
    """Issue 17 item 15: the text said "(300 by default)" beside a 429 saying allowed: 3."""
    text, set_to = rate_limit_case()
    assert set_to != 300
    assert f"inin-ratelimit-allowed: {set_to}" in text and "on purpose" in text
    assert f"to {set_to} per minute" in text


@pytest.mark.parametrize("name", ALL)
def test_notebook_runs_against_a_fresh_sandbox(name, tmp_path, monkeypatch, output_dir):
    """``output_dir``: this test's RECOPS_OUTPUT_DIR (tests/conftest.py), which the kernel inherits."""
    import papermill

    cwd = tmp_path / "notebooks"  # the kernel's working directory, as the lab's is the notebook's folder
    cwd.mkdir()
    listing = sorted(p.name for p in NOTEBOOKS.iterdir())
    with SandboxServer(scenario="demo") as sb:
        monkeypatch.setenv("RECOPS_SANDBOX_URL", sb.url)
        monkeypatch.setenv("RECOPS_JOURNAL", str(tmp_path / "journal.sqlite"))
        monkeypatch.setenv("MPLBACKEND", "Agg")
        OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
        out = OUTPUT_DIR / name
        parameters = PARAMETERS.get(name, {})
        if name.startswith("06"):
            parameters = {"csv_path": str(tmp_path / EXPLICIT / "pause_ledger.csv"),
                          "unpaused_csv_path": str(tmp_path / EXPLICIT / "unpaused.csv")}
        papermill.execute_notebook(str(NOTEBOOKS / name), str(out), cwd=str(cwd), kernel_name="python3",
                                   parameters=parameters, progress_bar=False, execution_timeout=300)
        executed = nbformat.read(out, as_version=4)
        errors = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
        assert errors == []
        text = json.dumps([c.get("outputs", []) for c in executed.cells])
        assert sorted(p.name for p in cwd.iterdir()) == [], "a notebook wrote into its working directory"
        assert sorted(p.name for p in NOTEBOOKS.iterdir()) == listing, "a notebook wrote into notebooks/"
        if name.startswith("02"):
            states = output_dir / "tables" / "recording_states.csv"
            assert states.is_file() and f"rows to {states}" in text, "the default CSV: the tables folder, named"
            check_readable_tables(executed)
        assert "sandbox-supervisor-secret" not in text  # no secret in any output
        log = sb.control.requests()
        assert all(e["status"] < 500 or e["injected"] for e in log), "the sandbox answered a real 5xx"
        if name.startswith("04"):  # the 429 shown carries the budget the text says the cell set
            _, set_to = rate_limit_case()
            cell = next(c for c in executed.cells if c.cell_type == "code" and "rateLimitPerMinute=" in c.source)
            allowed = re.findall(r"inin-ratelimit-allowed\W+(\d+)", json.dumps(cell.outputs))
            assert allowed and set(allowed) == {str(set_to)}, allowed
        if name.startswith("03"):
            steps = [e["path"] for e in log if e["method"] in ("PUT", "PATCH")]
            assert len(steps) >= 3, "the headless workflow should have paused, resumed and stopped"
            check_watch(executed, log)
        if name.startswith("04"):
            check_race(executed, log)
        if name.startswith("06"):
            writes = [e for e in log if e["method"] in ("PUT", "PATCH") and e["path"].endswith("/recordingstate")]
            assert len(writes) == 7, "four secure pauses and three resumes, sent for real"
            import pandas as pd

            ledger = pd.read_csv(tmp_path / EXPLICIT / "pause_ledger.csv")  # the paths given win
            assert (ledger["pause_reasons"] == "SecurePause").any() and ledger["open_at_end"].any()
            assert (ledger["agent_names"] != ledger["user_ids"]).all(), "agents by name, not by id"
            assert (tmp_path / EXPLICIT / "unpaused.csv").exists()
            check_ledger_tables(executed)
            assert f"to {tmp_path / EXPLICIT / 'pause_ledger.csv'} and" in text
            assert not (output_dir / "tables").exists()
        if name.startswith("07"):
            check_export(sb, output_dir / "exports", expected=3, deleted=1)  # the default destination
            assert f"into {output_dir / 'exports'}" in text, "the summary names where the files went"
        if name.startswith("05"):
            check_walkthrough(executed, trainee=name == "05_trainee_exercises.ipynb")
        if name.startswith("08"):
            check_lifecycle(log, text)


UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _html_table(cell: nbformat.NotebookNode) -> tuple[list[str], list[list[str]]]:
    """The headers and body rows of the table a cell shows (its last HTML output)."""
    shown = [o["data"]["text/html"] for o in cell.outputs if "text/html" in o.get("data", {})]
    assert shown, f"no table shown by: {cell.source}"
    page = shown[-1]
    heads = re.findall(r'<th [^>]*class="col_heading[^"]*"[^>]*>([^<]*)</th>', page)
    body = page.split("<tbody>", 1)[1]
    rows = [re.findall(r"<td [^>]*>([^<]*)</td>", r) for r in body.split("</tr>") if "<td" in r]
    return [h.strip() for h in heads], [[c.strip() for c in r] for r in rows if r]


def _frame_table(cell: nbformat.NotebookNode, first: bool = False) -> list[dict[str, str]]:
    """The rows of the ``readable(...)`` table a cell shows (its last HTML output, or its first),
    as dicts by column."""
    if first:
        html = next(o for o in cell.outputs if "text/html" in o.get("data", {}))
        cell = nbformat.from_dict({"source": cell.source, "outputs": [html]})
    heads, rows = _html_table(cell)
    return [dict(zip(heads, r, strict=True)) for r in rows]


DEMO_CALL = "c0a80001-0000-4000-8000-000000000001"  # the notebooks' conversation_id on the sandbox (Sales)
DEMO_CALL_PARTICIPANTS = {"c0a80001-0000-4000-8000-0000000001c1", "c0a80001-0000-4000-8000-0000000001a1"}
SALES_TOPIC = "v2.routing.queues.5a1e0000-0000-4000-8000-0000000000a1.conversations.calls"
STATE_WRITE = f"/api/v2/conversations/calls/{DEMO_CALL}/recordingstate"


def _cell_with(cells: list[nbformat.NotebookNode], text: str, section: str) -> nbformat.NotebookNode:
    found = [c for c in cells if text in c.source]
    assert found, f"no {section} section: no cell holds {text!r}"
    return found[0]


def _closed_after(log: list[dict], last_write: dict) -> bool:
    """A channel's subscriptions deleted (``Watch.close()``) after ``last_write``."""
    after = log[log.index(last_write) + 1:]
    return any(e["method"] == "DELETE" and e["path"].startswith("/api/v2/notifications/channels/")
               and e["path"].endswith("/subscriptions") for e in after)


def check_watch(executed: nbformat.NotebookNode, log: list[dict]) -> None:
    """Notebook 03's "watch a queue" (issue 20): the watch on the call's queue (Sales, by name)
    saw the scripted pause and resume as they happened, each once, for both participants, from
    the queue's topic, none recovered; then the watch was closed."""
    cells = [c for c in executed.cells if c.cell_type == "code"]
    start = _cell_with(cells, "rc.watch(queues=[watch_queue]", "watch a queue")
    assert "watching Sales: 1 channel(s), rejected topics: none" in json.dumps(start.outputs)
    rows = _frame_table(_cell_with(cells, "seen.frame()", "watch a queue"))
    writes = [e for e in log if e["method"] == "PUT" and e["path"] == STATE_WRITE]
    assert [e["status"] for e in writes] == [200, 200], "the scripted pause and resume, sent for real"
    assert {r["participant_id"] for r in rows} == DEMO_CALL_PARTICIPANTS, rows
    for pid in DEMO_CALL_PARTICIPANTS:
        mine = [r for r in rows if r["participant_id"] == pid]
        assert [r["change"] for r in mine] == ["(first seen) → PAUSED", "PAUSED → ACTIVE"], mine
        assert [r["secure_pause"] for r in mine] == ["True", "False"], mine
    assert all(r["conversation_id"] == DEMO_CALL and r["topic"] == SALES_TOPIC and r["recovered"] == "False"
               for r in rows), rows
    assert _closed_after(log, writes[-1]), "the watch was not closed"


def check_race(executed: nbformat.NotebookNode, log: list[dict]) -> None:
    """Notebook 04's pause race (issue 20): every write answered 200 with the state it asked
    for (each "won"); the stream shows every change the sandbox applied, once, in the order of
    its request log (a write repeating the current state changes nothing and shows nothing),
    for both participants; its last transition is the final state the notebook read. Holds for
    any interleaving the threads happen to get."""
    cells = [c for c in executed.cells if c.cell_type == "code"]
    race_cell = _cell_with(cells, "pause_race(", "pause race")
    answers = _frame_table(race_cell, first=True)
    assert len(answers) == 6 and all(a["http_status"] == "200" and a["answer"] == a["sent"] for a in answers), answers
    assert len({a["who"] for a in answers}) == 2, "two identities"
    sent = {a["context_id"]: a["sent"] for a in answers}
    applied = [e for e in log if e.get("contextId") in sent]  # the race's writes, in the order applied
    assert len(applied) == 6 and all(e["path"] == STATE_WRITE and e["status"] == 200 for e in applied), applied
    state, expected = "ACTIVE", []  # the demo call records (ACTIVE) when the race starts
    for e in applied:
        if sent[e["contextId"]] != state:
            expected.append(f"{state} → {sent[e['contextId']]}")
            state = sent[e["contextId"]]
    shown = _cell_with(cells, "display(readable(seen))", "pause race")
    rows = _frame_table(shown)
    assert {r["participant_id"] for r in rows} == DEMO_CALL_PARTICIPANTS, rows
    for pid in DEMO_CALL_PARTICIPANTS:
        assert [r["change"] for r in rows if r["participant_id"] == pid] == expected, (rows, applied)
    assert all(r["recovered"] == "False" and r["conversation_id"] == DEMO_CALL for r in rows), rows
    text = "".join(o.get("text", "") for o in shown.outputs if o["output_type"] == "stream")
    assert f"the call now (REST): {state}; the stream's last transition: → {state}" in text, text
    assert _closed_after(log, applied[-1]), "the watch was not closed"


def check_readable_tables(executed: nbformat.NotebookNode) -> None:
    """Notebook 02's tables lead with names and keep ids to the right, on one line each (issue
    17, item 14); its DuckDB example shows queue names, not only ids."""
    cells = [c for c in executed.cells if c.cell_type == "code"]
    head = next(c for c in cells if "readable(frame.head())" in c.source)
    heads, rows = _html_table(head)
    assert heads[:2] == ["queue_names", "agent_names"], heads
    first_id = next(i for i, h in enumerate(heads) if h.endswith(("_id", "_ids")))
    assert all(not h.endswith(("_id", "_ids")) for h in heads[:first_id]) and "conversation_id" in heads[first_id:]
    assert all(h.endswith(("_id", "_ids")) or h in ("paused_by",) for h in heads[first_id:]), heads
    assert "white-space: nowrap" in json.dumps(head.outputs)
    duck = next(c for c in cells if "rc.store.sql(" in c.source and "queue_ids" in c.source)
    heads, rows = _html_table(duck)
    assert heads == ["queue_names", "conversations", "recorded_share", "queue_ids"], heads
    named = [r[0] for r in rows if r[-1]]
    assert named and not [n for n in named if UUID.match(n)], f"queue ids shown as names: {named}"
    assert all(UUID.match(i) for r in rows if r[-1] for i in r[-1].split(",")), rows


def check_ledger_tables(executed: nbformat.NotebookNode) -> None:
    """Notebook 06's tables lead with names, the ids to the right (issue 17, item 14): the
    ledger's own summary table and the ledger table shown through ``readable``."""
    cells = [c for c in executed.cells if c.cell_type == "code"]
    shown = next(c for c in cells if re.search(r"^ledger  #", c.source, re.M))
    page = next(o["data"]["text/html"] for o in shown.outputs if "text/html" in o.get("data", {}))
    table = page.split('class="recops-ledger"', 2)[-1]
    heads = re.findall(r"<th [^>]*>([^<]*)</th>", table.split("</thead>", 1)[0])
    assert heads[:2] == ["queue", "agent"] and heads[-1] == "conversation", heads
    assert 'white-space:nowrap' in table.split("</thead>", 1)[1]
    heads, rows = _html_table(next(c for c in cells if "readable(ledger.table.head(10))" in c.source))
    assert heads[:3] == ["queue_names", "agent_names", "paused_by_names"], heads
    first_id = next(i for i, h in enumerate(heads) if h.endswith(("_id", "_ids")) or h == "paused_by")
    assert all(h.endswith(("_id", "_ids")) or h == "paused_by" for h in heads[first_id:]), heads
    assert rows and all(not UUID.match(r[0]) for r in rows), rows


def check_walkthrough(executed: nbformat.NotebookNode, trainee: bool) -> None:
    """Each self-check cell (tagged ``check``) shows exactly one verdict, for the same exercises in
    both forms: PASSED in the trainer form; in the trainee form, run as generated, NOT YET saying
    what to fill in (or, for the control panel's exercise, what to click). No traceback anywhere
    (the generic test already found no error output)."""
    checks = [c for c in executed.cells if "check" in c.metadata.get("tags", [])]
    trainer = nbformat.read(NOTEBOOKS / "05_trainer_walkthrough.ipynb", as_version=4)
    assert len(checks) == sum("check" in c.metadata.get("tags", []) for c in trainer.cells) >= 7
    verdicts = []
    for cell in checks:
        shown = [o["data"]["text/plain"] for o in cell.outputs if o.output_type == "execute_result"]
        assert len(shown) == 1, f"one verdict per check cell: {cell.source} -> {cell.outputs}"
        verdicts.append(shown[0])
    exercises = [re.match(r"[✓✗] (?:PASSED|NOT YET) (exercise \w+): ", v).group(1) for v in verdicts]
    assert exercises == [f"exercise {n}" for n in ("1", "2", "3", "4", "5a", "5b", "6")], verdicts
    if trainee:
        assert all(v.startswith("✗ NOT YET exercise") for v in verdicts), verdicts
        todo = ["click Resume in the panel above" if e == "exercise 4" else "fill in" for e in exercises]
        assert all(what in v for what, v in zip(todo, verdicts, strict=True)), verdicts
    else:
        assert all(v.startswith("✓ PASSED exercise") for v in verdicts), verdicts
    text = json.dumps([c.get("outputs", []) for c in executed.cells])
    assert "Traceback" not in text and ("PASSED" in text) != trainee and ("NOT YET" in text) == trainee


def check_export(sb: SandboxServer, dest: Path, expected: int, deleted: int) -> None:
    """The notebook's export on disk: ``expected`` conversations' files, each the sandbox's own
    bytes, as the manifest says; ``deleted`` rows with the reason; no temporary file left; the
    batch download API used, nothing changed."""
    import hashlib

    import pandas as pd

    manifest = pd.read_csv(dest / "manifest.csv")
    exported = manifest[manifest["status"] == "exported"]
    assert exported["conversation_id"].nunique() == expected, manifest
    for row in exported.itertuples():
        data = (dest / row.file).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row.sha256 and len(data) == row.bytes
        assert sb.control.media(row.conversation_id, row.recording_id) == data, f"{row.file} is not the sandbox's"
    failed = manifest[manifest["status"] != "exported"]
    assert len(failed) == deleted and failed["error"].str.contains("deleted").all(), manifest
    names = {p.name for p in dest.rglob("*") if p.is_file()}
    assert not [n for n in names if n.endswith((".part", ".tmp"))], names
    log = sb.control.requests()
    assert any(e["method"] == "POST" and e["path"] == "/api/v2/recording/batchrequests" for e in log)
    assert not [e for e in log if e["method"] in ("PUT", "PATCH", "DELETE")], "an export changes nothing"


def check_lifecycle(log: list[dict], text: str) -> None:
    """Notebook 08 (issue 19): coverage with its seeded gaps, the orphan re-attached, legal hold
    applied and kept through the rehearsed DELETE job (which skips it), the job executed once with
    its typed count and its effect shown, the target's plan created and cancelled, never run."""
    for reason in ("not recorded", "orphaned", "transcoding", "archived", "deleted"):
        assert reason in text, f"the coverage shows no {reason!r} gap"
    puts = [e for e in log if e["method"] == "PUT" and e["path"].startswith("/api/v2/recording/jobs/")]
    creates = [e for e in log if e["method"] == "POST" and e["path"] == "/api/v2/recording/jobs"]
    cancels = [e for e in log if e["method"] == "DELETE" and e["path"].startswith("/api/v2/recording/jobs/")]
    assert len(creates) == 2 and len(puts) == 1 and len(cancels) == 1, (creates, puts, cancels)
    assert puts[0]["path"] != cancels[0]["path"], "the target's plan was run, or the rehearsal cancelled"
    assert "deleted by a recops job" in text, "the rehearsed job's effect is not shown"
    assert any(e["method"] == "PUT" and e["path"].startswith("/api/v2/orphanrecordings/") and e["status"] == 200
               for e in log), "no orphan re-attached"
    holds = [e for e in log if e["method"] == "PUT" and e["path"] == "/api/v2/recordings/deletionprotection"]
    assert len(holds) == 2, holds  # protect, then revoke
    assert "protected" in text and "revoked" in text and "refused" in text
