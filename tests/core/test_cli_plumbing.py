"""recops/cli/plumbing.py, the plumbing every ``recops`` command shares: the exit code of each error of
the tree (one lookup, for a raised error and for a many-id run's failures alike), ids read from a
file or stdin (one parser, for ``pause``/``resume`` and for ``export``), and errors reported as
text or JSON."""

from __future__ import annotations

import io
import json
import sys

import pytest
import typer

from recops.cli.plumbing import EXIT_CODES, exit_code_of, ids_in, jsonable, read_ids, read_text, reported_errors
from recops.genesys import errors
from recops.ops.recording import Failure


@pytest.mark.parametrize(("cls", "code"), [
    (errors.ConfigError, 2), (errors.RegionError, 2), (errors.ConfirmationRequired, 2),
    (errors.InvalidTransition, 3),
    (errors.ApiError, 4), (errors.NotFound, 4), (errors.NotAParticipant, 4), (errors.RateLimited, 4),
    (errors.TransportError, 5), (errors.Timeout, 5), (errors.ConnectionFailed, 5),
    (errors.JournalError, 6),
    (errors.RecopsError, 1), (ValueError, 1),
])
def test_each_error_class_has_its_exit_code(cls, code):
    assert exit_code_of(cls) == code


def test_every_exit_code_names_a_class_of_the_tree():
    for name in EXIT_CODES:
        assert issubclass(getattr(errors, name), errors.RecopsError), name


def test_a_failure_in_a_many_id_run_maps_like_the_error_it_came_from():
    failure = Failure.of(errors.api_error(404, {"code": "not.found", "message": "no such conversation"}))
    assert failure.error_type == "NotFound"
    assert exit_code_of(failure.error_class()) == 4
    assert exit_code_of(Failure("NoSuchErrorClass", "?").error_class()) == 1  # unknown name: RecopsError


def test_ids_are_separated_by_newlines_spaces_or_commas_and_hash_starts_a_comment():
    text = "a b,c\n\n  # all of this is a comment\nd # and this\n,,e,\n"
    assert ids_in(text) == ["a", "b", "c", "d", "e"]
    assert ids_in("") == []


def test_ids_from_a_file_or_stdin(tmp_path, monkeypatch):
    listing = tmp_path / "ids.txt"
    listing.write_text("one, two\n# three\nfour\n", encoding="utf-8")
    assert read_ids(str(listing)) == ["one", "two", "four"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("five six\n"))
    assert read_ids("-") == ["five", "six"]


def test_an_unreadable_source_is_a_config_error_saying_what_to_do(tmp_path):
    with pytest.raises(errors.ConfigError) as info:
        read_text(str(tmp_path / "absent.txt"))
    assert str(info.value.message).startswith(f"cannot read conversation ids from {tmp_path / 'absent.txt'}")
    assert "'-' for stdin" in info.value.remedy
    with pytest.raises(errors.ConfigError):
        read_text(str(tmp_path))  # a folder


def test_errors_are_reported_as_json_with_their_exit_code(capsys):
    with pytest.raises(typer.Exit) as info, reported_errors(as_json=True):
        raise errors.api_error(403, {"code": "missing.any.permissions", "message": "no",
                                     "messageParams": {"permissions": "a:b:c"}}, None, "PUT", "/api/v2/x")
    assert info.value.exit_code == 4
    reported = json.loads(capsys.readouterr().out)["error"]
    assert reported["type"] == "PermissionDenied" and reported["code"] == "missing.any.permissions"
    assert reported["permissions"] == ["a:b:c"] and reported["path"] == "/api/v2/x"
    assert "context_id" not in reported  # empty fields are left out


def test_errors_are_reported_as_text_on_stderr(capsys):
    with pytest.raises(typer.Exit) as info, reported_errors(as_json=False):
        raise errors.InvalidTransition("cannot pause: the call has ended", "wait for a live call")
    assert info.value.exit_code == 3
    out = capsys.readouterr()
    assert out.out == ""
    assert "error: cannot pause: the call has ended" in out.err and "do: wait for a live call" in out.err


def test_other_exceptions_pass_through():
    with pytest.raises(KeyError), reported_errors(as_json=True):
        raise KeyError("not a recops error")


def test_jsonable_turns_dataclasses_and_dates_into_json_values():
    from datetime import datetime, timezone

    failure = Failure("NotFound", "gone", code="not.found", status=404)
    value = jsonable({"when": datetime(2026, 3, 2, tzinfo=timezone.utc), "failures": (failure,)})
    assert value == {"when": "2026-03-02T00:00:00+00:00",
                     "failures": [{"error_type": "NotFound", "message": "gone", "remedy": None, "code": "not.found",
                                   "status": 404, "context_id": None}]}
    json.dumps(value)
