"""The one table of Genesys codes (recops.genesys.codes): its rows are well formed, and the error tree,
the remedies and explain() all answer from it, for real errors from the sandbox and for
injected ones whose code recops does not know."""

from __future__ import annotations

import pytest

from recops.genesys import codes, errors
from recops.genesys.explain import explain
from recops.sandbox.model.errors import CATALOGUE

from .helpers import conversation_patch, recording_state, sdk_exception


def test_every_row_names_a_real_error_class_and_a_labelled_evidence():
    assert codes.CODES, "the table is empty"
    for code, row in codes.CODES.items():
        assert row.code == code and row.statuses, code
        cls = getattr(errors, row.error_class)
        assert issubclass(cls, errors.ApiError), code
        assert row.evidence.label in ("documented", "inferred", "unknown"), code
        assert row.evidence.source and str(row.evidence).startswith(f"[{row.evidence.label}] "), code
        assert row.meaning and row.remedy, code
    for status, srow in codes.STATUSES.items():
        assert srow.status == status
        assert issubclass(getattr(errors, srow.error_class), errors.ApiError)
        assert srow.code is None or status in codes.CODES[srow.code].statuses, status


def test_every_code_the_sandbox_can_answer_has_a_row():
    assert set(CATALOGUE) <= set(codes.CODES)


def _real_errors(sdk, login, as_user, demo):
    """(ApiException, ApiError) pairs for real sandbox answers of several codes."""
    conv = sdk.ConversationsApi
    calls = [
        lambda: conv(login(*demo.INTEGRATION)).patch_conversations_call(demo.ACTIVE, conversation_patch(sdk, "PAUSED")),
        lambda: conv(login(*demo.NOTHING)).put_conversations_call_recordingstate(
            demo.ACTIVE, recording_state(sdk, "PAUSED")),
        lambda: conv(login(*demo.SUPERVISOR)).get_conversation("00000000-0000-4000-8000-00000000dead"),
        lambda: sdk.RecordingApi(login(*demo.SUPERVISOR)).get_conversation_recordings(
            "00000000-0000-4000-8000-00000000dead"),
        lambda: conv(as_user(demo.AVA)).patch_conversations_call(demo.PAUSED, conversation_patch(sdk, "ACTIVE")),
        lambda: conv(as_user(demo.AVA)).patch_conversations_call(demo.ENDED, conversation_patch(sdk, "PAUSED")),
        lambda: conv(as_user(demo.CLEO)).patch_conversations_call(demo.HELD, conversation_patch(sdk, "PAUSED")),
    ]
    out = []
    for call in calls:
        exc = sdk_exception(call)
        out.append((exc, errors.from_exception(exc)))
    return out


def test_real_errors_take_class_and_remedy_from_their_row(sdk, login, as_user, demo):
    seen = set()
    for exc, error in _real_errors(sdk, login, as_user, demo):
        row = codes.CODES[error.code]
        seen.add(error.code)
        assert error.status == exc.status and error.status in row.statuses
        assert type(error).__name__ == row.error_class
        assert error.remedy.startswith(row.remedy)
        e = explain(exc.body)
        assert (e.status, e.code, e.meaning, e.evidence) == (exc.status, error.code, row.meaning, str(row.evidence))
        assert e.remedy == error.remedy
    assert len(seen) == 7, seen  # seven different codes, each read from the table


@pytest.mark.parametrize(("status", "code", "cls", "like"), [
    (429, "something.unlisted", errors.RateLimited, "too.many.requests.retry.after"),
    (400, "conversation.error.hold.alerting", errors.BadRequest, "bad.request"),
    (415, "media.unlisted", errors.ApiError, "unsupported.media.type"),
    (503, "not.a.user", errors.ServerError, "service.unavailable"),  # a code that never comes with 503
])
def test_an_injected_code_the_table_does_not_pair_with_the_status_reads_as_the_status(
        sb, sdk, supervisor, demo, status, code, cls, like):
    sb.control.fault(method="GET", path=f"/api/v2/conversations/{demo.ACTIVE}", status=status, code=code)
    exc = sdk_exception(lambda: sdk.ConversationsApi(supervisor).get_conversation(demo.ACTIVE))
    error = errors.from_exception(exc)
    assert type(error) is cls
    assert (error.status, error.code) == (status, code)
    if code not in codes.CODES:
        assert error.remedy == codes.CODES[like].remedy
        assert explain(exc.body).remedy == error.remedy
    assert explain(str(status)).code == like


def test_a_code_explained_without_a_status_gets_its_own_remedy():
    """Before the single table, a 5xx code without a status fell through to the generic remedy."""
    for code in ("internal.server.error", "service.unavailable", "request.timeout"):
        e = explain(code)
        assert e.status is None and e.remedy == codes.SERVER_REMEDY
    assert explain("502").code == "http.502" and explain("502").remedy == codes.SERVER_REMEDY
    unknown = explain("totally.unknown.code")
    assert unknown.evidence.startswith("[unknown]") and unknown.remedy == codes.GENERIC_REMEDY
