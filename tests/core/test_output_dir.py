"""The user's output folder (``recops.api.settings.output_dir``): where notebooks and widgets write
tables and exports unless told otherwise, never the current directory or the checkout."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from recops.api.settings import default_journal_path, output_dir, table_path


def test_recops_output_dir_comes_first(output_dir: Path, monkeypatch, tmp_path):
    from recops.api.settings import output_dir as resolve

    assert resolve() == output_dir  # the per-test folder tests/conftest.py sets
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert resolve("tables") == output_dir / "tables" and resolve("exports") == output_dir / "exports"
    monkeypatch.setenv("RECOPS_OUTPUT_DIR", "~/out")
    assert resolve() == Path(os.path.expanduser("~/out"))


def test_then_xdg_data_home_then_home(monkeypatch, tmp_path):
    monkeypatch.delenv("RECOPS_OUTPUT_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert output_dir() == tmp_path / "data" / "recops" == default_journal_path().parent
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert output_dir("exports") == tmp_path / "home" / ".local" / "share" / "recops" / "exports"


def test_the_tests_home_is_isolated_and_the_folder_follows_it(monkeypatch):
    """tests/conftest.py points HOME at a temp dir and unsets the XDG directories: without
    RECOPS_OUTPUT_DIR the folder is under that HOME, never the user's own."""
    monkeypatch.delenv("RECOPS_OUTPUT_DIR")
    assert "XDG_DATA_HOME" not in os.environ
    home = Path(os.environ["HOME"])
    assert home.name.startswith("recops-test-home-")
    assert output_dir() == home / ".local" / "share" / "recops"


def test_a_relative_setting_is_made_absolute(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RECOPS_OUTPUT_DIR", "out")
    assert output_dir() == tmp_path / "out"


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="exports"):
        output_dir("downloads")


def test_table_path_default_is_in_the_tables_folder_created(output_dir: Path, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for empty in (None, "", "  "):
        path = table_path(empty, "states.csv")
        assert path == output_dir / "tables" / "states.csv" and path.parent.is_dir()
    assert list(tmp_path.iterdir()) == []  # nothing in the current directory


def test_table_path_given_explicitly_wins(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert table_path("mine.csv", "states.csv") == tmp_path / "mine.csv"  # as given: the current directory
    assert table_path(tmp_path / "a" / "b.csv", "states.csv") == tmp_path / "a" / "b.csv"
    assert table_path("~/x.csv", "states.csv") == Path(os.path.expanduser("~/x.csv"))
    assert (tmp_path / "a").is_dir()  # its folder created, as for the default
