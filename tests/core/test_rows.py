"""The interval table's row schema (``recops.history.rows``): a details job's results read as plain
JSON (``jobs.raw_pages`` + ``json_row``) give exactly the rows the SDK's models give
(``model_row``), page for page, cursor included; values outside the SDK's enumerations read as
the SDK reads them; and every row, the Arrow schema and the DataFrame's columns are ``COLUMNS``."""

from __future__ import annotations

from datetime import timedelta

from recops.history import jobs
from recops.history.names import with_name_columns
from recops.history.rows import COLUMNS, DTYPES, OUTDATED, arrow_schema, json_row, model_row, rows_to_table
from recops.history.tables import INTERVAL_COLUMNS

from .test_history_jobs import history_org


def test_json_pages_give_the_rows_the_sdk_models_give(sb, tmp_path):
    rc, first, _ = history_org(sb, tmp_path, "json-rows", days=1, per_day=120, ago=5)
    client = rc.client
    job = jobs.submit(client, first, first + timedelta(days=1), [])
    jobs.wait(client, job)
    by_sdk = [[model_row(c) for c in page] for page in jobs.pages(client, job, page_size=50)]
    by_json = [[json_row(c) for c in page] for page in jobs.raw_pages(client, job, page_size=50)]
    jobs.delete(client, job)
    assert len(by_sdk) >= 3  # several pages: the cursor is followed the same way
    assert sum(map(len, by_json)) >= 120
    assert by_json == by_sdk
    assert all(list(row) == list(COLUMNS) for page in by_json for row in page)


def test_values_outside_the_sdk_enumerations_read_as_the_sdk_reads_them():
    row = json_row({"conversationId": "c1", "conversationStart": "2026-03-01T10:00:00.250Z",
                    "originatingDirection": "sideways",
                    "participants": [{"userId": "u1", "participantName": "Ava",
                                      "sessions": [{"mediaType": "hologram", "recording": True,
                                                    "segments": [{"queueId": "q1"}, {"queueId": "q1"}]}]}]})
    assert row["direction"] == OUTDATED and row["media_type"] == OUTDATED
    assert row["conversation_start"].isoformat() == "2026-03-01T10:00:00.250000+00:00"
    assert row["conversation_end"] is None and row["ended"] is False
    assert (row["recorded"], row["queue_ids"], row["user_ids"], row["agents"], row["participants"]) == \
        (True, "q1", "u1", "Ava", 1)


def test_one_schema_for_the_rows_the_cache_and_the_dataframe():
    row = json_row({"conversationId": "c2", "conversationStart": "2026-03-01T10:00:00Z",
                    "conversationEnd": "2026-03-01T10:05:00Z", "originatingDirection": "inbound", "participants": []})
    assert list(row) == list(COLUMNS)
    assert arrow_schema().names == list(COLUMNS)
    table = rows_to_table([row])
    assert table.schema == arrow_schema() and table.num_rows == 1
    assert list(DTYPES) == list(COLUMNS)
    assert with_name_columns(DTYPES) == INTERVAL_COLUMNS
    assert [c for c in INTERVAL_COLUMNS if c not in COLUMNS] == ["queue_names", "agent_names"]
