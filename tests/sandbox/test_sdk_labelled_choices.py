"""Issue 18, item 6, through the unmodified SDK: the queue and user ``sortOrder`` values follow
the documentation (anything else is 400 ``invalid.value`` listing them), what users sort by is
the labelled ``usersSortKey`` assumption, and a batch result's ``contentType`` the labelled
``batchContentType`` one."""

from __future__ import annotations

from .sdk_helpers import api_error
from .test_batch_download import completed, submission


def test_queue_sort_order_takes_only_asc_and_desc(routing):
    names = [q.name for q in routing.get_routing_queues(sort_order="asc").entities]
    assert names == sorted(names, key=str.lower)
    assert [q.name for q in routing.get_routing_queues(sort_order="desc").entities] == names[::-1]
    for invented in ("descending", "DESC", "ascending", "ASC", "Desc"):
        body = api_error(lambda v=invented: routing.get_routing_queues(sort_order=v), 400, "invalid.value")
        assert invented in body["message"] and "asc" in body["message"] and "desc" in body["message"]


def test_user_sort_order_takes_the_documented_enum_and_its_default(users):
    names = [u.name for u in users.get_users(page_size=100).entities]
    assert [u.name for u in users.get_users(page_size=100, sort_order="ascending").entities] == names
    assert [u.name for u in users.get_users(page_size=100, sort_order="ASC").entities] == names  # the default
    assert [u.name for u in users.get_users(page_size=100, sort_order="descending").entities] == names[::-1]
    for invented in ("desc", "asc", "Descending", "up"):
        body = api_error(lambda v=invented: users.get_users(sort_order=v), 400, "invalid.value")
        assert "ascending" in body["message"] and "descending" in body["message"]


def test_what_users_sort_by_is_a_switchable_assumption(sb, users):
    by_name = [u.name for u in users.get_users(page_size=100).entities]
    assert by_name == sorted(by_name, key=str.lower)
    sb.control.settings(assumptions={"usersSortKey": "id"})
    listing = users.get_users(page_size=100).entities
    ids = [u.id for u in listing]
    assert ids == sorted(ids) and [u.name for u in listing] != by_name
    assert [u.id for u in users.get_users(page_size=100, sort_order="descending").entities] == ids[::-1]
    assignable = {a["key"]: a for a in sb.control.call("GET", "assumptions")}
    assert assignable["usersSortKey"]["evidence"] == "unknown"


def test_batch_content_type_is_a_switchable_assumption(sb, sdk, supervisor):
    recordings = sdk.RecordingApi(supervisor)
    email = sb.control.add_conversation(mediaType="email", recording=True, startedSecondsAgo=30)
    call = sb.control.add_conversation(recording=True, startedSecondsAgo=30)
    for conv in (email, call):
        sb.control.disconnect(conv["id"])
    sb.control.advance_clock(10)
    job = recordings.post_recording_batchrequests(submission(sdk, email["id"], call["id"]))
    assert [r.content_type for r in completed(sb, recordings, job.id).results] == ["audio/wav", "audio/wav"]
    sb.control.settings(assumptions={"batchContentType": "byMedia"})
    job = recordings.post_recording_batchrequests(submission(sdk, email["id"], call["id"]))
    done = completed(sb, recordings, job.id)
    assert [r.content_type for r in done.results] == ["message/rfc822", "audio/wav"]
    assert all(r.result_url and r.error_msg is None for r in done.results)
