"""recops/api/sdk.py: the SDK loaded in part. Every SDK call recops makes works through it against the
sandbox, in a fresh interpreter (so an earlier full import cannot mask a missing name), without the
SDK's ~6,650 model modules; the full import is used when forced or when the partial load fails."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

from recops.api import sdk as loader

from . import lazy_sdk_calls
from .lazy_sdk_calls import CALLS, CLASSES

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(lazy_sdk_calls.__file__)
API_CLASSES = {"ConversationsApi", "RecordingApi", "AnalyticsApi", "UsersApi", "RoutingApi"}
METHOD = r"(?:get|post|put|patch|delete)_\w+"
# how recops reaches the SDK: sdk.Name / sdk().Name, <x>_api.method / api.method,
# XxxApi(...).method, and method names kept as strings (PUT_METHODS)
USES = [re.compile(r"\bsdk(?:\(\))?\.([A-Z]\w*)"), re.compile(rf"\b\w*api\.({METHOD})"),
        re.compile(rf"Api\((?:[^()]|\([^()]*\))*\)\.({METHOD})")]
STRING = re.compile(rf"[\"']({METHOD})[\"']")
API_METHOD = re.compile(rf"^    def ({METHOD})\(self", re.M)


def _api_methods() -> set[str]:
    """Every method of the SDK's API classes, read from its apis/*_api.py (nothing imported)."""
    spec = importlib.util.find_spec(loader.PACKAGE)
    assert spec is not None and spec.origin
    found: set[str] = set()
    for path in (Path(spec.origin).parent / "apis").glob("*_api.py"):
        found |= set(API_METHOD.findall(path.read_text(encoding="utf-8")))
    return found


def _sdk_uses() -> set[str]:
    found: set[str] = set()
    strings: set[str] = set()
    for path in (REPO / "recops").rglob("*.py"):
        if "sandbox" in path.relative_to(REPO / "recops").parts or path.name == "sdk.py":
            continue  # the sandbox never calls the SDK; sdk.py is the loader itself
        text = path.read_text()
        for pattern in USES:
            found |= set(pattern.findall(text))
        strings |= set(STRING.findall(text))
    # a string is a method kept by name only if an SDK API class has that method: "delete_date" (a
    # model attribute read with getattr) and "delete_before" (a column of recops' retention frame) are not
    return found | (strings & _api_methods())


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS", "RECOPS_"))}
    return env | {"PYTHONPATH": str(REPO)} | extra


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=_env(**env), cwd=REPO, timeout=180)


def test_the_lazy_check_names_every_sdk_call_recops_makes():
    uses = _sdk_uses()
    assert {"get_conversation", "SetRecordingState", "ConversationsApi"} <= uses  # the scan sees recops' calls
    assert "put_conversations_call_recordingstate" in uses  # ... a method kept as a string (PUT_METHODS)
    assert not {"delete_date", "delete_before", "delete_after"} & uses  # ... and no string that is no method
    covered = set(CALLS) | set(CLASSES)
    assert uses - covered == set(), "add these SDK uses to tests/core/lazy_sdk_calls.py"


def test_every_sdk_call_recops_makes_works_through_the_partial_load(sb, demo):
    conversations = {"call": demo.ACTIVE, "email": demo.EMAIL}
    for media in ("callback", "message", "social", "video"):
        conversations[media] = sb.control.add_conversation(mediaType=media, recording=True)["id"]
    # the lifecycle's: recording jobs over two ended calls, the second still uploading (so its recording
    # fails), and a call to protect; the jobs become READY fast, demo.ENDED stays AVAILABLE (ended 25 min ago)
    sb.control.settings(recordingJobReadySeconds=0.3, transcodingDelaySeconds=600)
    available = sb.control.add_conversation(recording=True, startedSecondsAgo=3600, ended=True, durationSeconds=30)
    uploading = sb.control.add_conversation(recording=True, startedSecondsAgo=90, ended=True, durationSeconds=30)
    hold = sb.control.add_conversation(recording=True, startedSecondsAgo=3000, ended=True, durationSeconds=30)
    now = datetime.now(timezone.utc)
    interval = "/".join((now + timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M:%S.000Z") for m in (-120, 5))
    lifecycle = {"ids": [available["id"], uploading["id"]], "interval": interval, "hold": hold["id"]}
    sb.control.call("DELETE", "requests")
    proc = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, cwd=REPO, timeout=180,
                          env=_env(SANDBOX_URL=sb.url, CONVERSATIONS=json.dumps(conversations),
                                   AVA_TOKEN=sb.control.user_token(demo.AVA),
                                   BEN_TOKEN=sb.control.user_token(demo.BEN), LIFECYCLE=json.dumps(lifecycle)))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["lazy"] is True
    failed = {name: r["error"] for name, r in out["results"].items() if "error" in r}
    assert failed == {}
    results = {name: r["ok"] for name, r in out["results"].items()}

    # responses were deserialized into the SDK's own model classes, nested lists included
    conv = results["get_conversation"]
    assert (conv["class"], conv["module"]) == ("Conversation", "PureCloudPlatformClientV2.models.conversation")
    assert conv["participants"]["class"] == "Participant"
    assert results["get_conversations"]["class"] == "ConversationEntityListing"
    assert results["get_users_me"]["class"] == "UserMe"
    assert results["get_users"]["class"] == "UserEntityListing"
    assert results["get_routing_queues"]["class"] == "QueueEntityListing"
    assert results["get_conversation_recordings"][0]["class"] == "Recording"
    assert results["get_conversation_recordingmetadata"][0]["class"] == "RecordingMetadata"
    assert results["post_analytics_conversations_details_query"]["class"] == "AnalyticsConversationQueryResponse"
    assert results["post_analytics_conversations_details_query"]["conversations"]["class"] == \
        "AnalyticsConversationWithoutAttributes"
    assert results["patch_conversations_call"]["class"] == "Conversation"
    for media in conversations:
        assert results[f"put_conversations_{media}_recordingstate"] == "PAUSED"
    assert out["classes"]["ApiClient"] == "PureCloudPlatformClientV2.api_client"
    assert out["classes"]["SetRecordingState"] == "PureCloudPlatformClientV2.models.set_recording_state"

    # the lifecycle's: a job READY with both recordings, executed to FULFILLED with the uploading one failed
    assert results["post_recording_jobs"]["class"] == "RecordingJob"
    ready = results["get_recording_job"]
    assert (ready["job"]["class"], ready["state"], ready["total_recordings"]) == ("RecordingJob", "READY", 2)
    assert results["get_recording_jobs"]["entities"]["class"] == "RecordingJob"
    assert results["put_recording_job"]["class"] == "RecordingJob"
    failed = results["get_recording_job_failedrecordings"]
    assert failed["listing"]["entities"]["class"] == "RecordingJobFailedRecording"
    assert (failed["state"], failed["failed"]) == ("FULFILLED", [uploading["id"]])
    assert results["put_recordings_deletionprotection"]["class"] == "ManageDeleteProtectionResult"
    assert results["post_recordings_deletionprotection"]["ids"] == [hold["id"]]
    # the retention PUT: ApiNullValue went out as an explicit null (the job's archiveDate removed)
    retention = results["put_conversation_recording"]
    assert retention["recording"]["class"] == "Recording"
    assert (retention["archive_before"], retention["archive_after"], retention["delete_after"]) == \
        ("2031-01-01T00:00:00Z", None, "2031-01-01T00:00:00Z")
    assert out["classes"]["ApiNullValue"] == "PureCloudPlatformClientV2.api_null_value"
    # coverage's retention query, and the orphans: listed, read, re-attached to the conversation they name
    assert results["get_recordings_retention_query"]["page"]["entities"]["class"] == "RecordingRetention"
    assert results["get_recordings_retention_query"]["rows"] > 0
    assert results["get_orphanrecordings"]["known"]["class"] == "OrphanRecordingListing"
    assert results["get_orphanrecordings"]["listed"] is True
    assert results["get_orphanrecording"]["class"] == "OrphanRecording"
    assert results["put_orphanrecording"]["recording"]["class"] == "Recording"
    assert results["put_orphanrecording"]["conversation_id"] == lazy_sdk_calls.ORPHAN_OF

    # each call reached the sandbox and was accepted: the bodies were serialized as the API wants
    api = [e for e in sb.control.requests() if e["path"].startswith("/api/v2/")]
    assert len(api) >= len(CALLS) - 1 and all(e["status"] < 300 for e in api), api
    assert sb.control.conversation(conversations["callback"])["recordingState"] == "PAUSED"

    # ... and the SDK was not imported in full: the four API modules and the models they name
    modules = out["modules"]
    apis = {m.rsplit(".", 1)[1] for m in modules if m.startswith("PureCloudPlatformClientV2.apis.")}
    assert apis == {"conversations_api", "recording_api", "analytics_api", "users_api", "routing_api",
                    "notifications_api"}  # recops.live (issue 20)
    models = [m for m in modules if m.startswith("PureCloudPlatformClientV2.models.")]
    assert 0 < len(models) < 1000  # of ~6,650


def test_import_elsewhere_gets_the_partial_package_and_every_name_resolves():
    proc = _python("""
        import json, sys
        from recops.api import sdk as loader
        pkg = loader.load()
        import PureCloudPlatformClientV2 as again
        from PureCloudPlatformClientV2 import ConversationsApi, YearMonth
        from PureCloudPlatformClientV2.models import Conversation
        from PureCloudPlatformClientV2.rest import ApiException
        import PureCloudPlatformClientV2.models.set_recording_state as srs
        try:
            pkg.NoSuchModel
            missing = "resolved"
        except AttributeError:
            missing = "AttributeError"
        print(json.dumps({
            "same": again is pkg, "lazy": loader.is_lazy(),
            "api": ConversationsApi is pkg.apis.ConversationsApi,
            "model": Conversation is pkg.Conversation is pkg.models.Conversation,
            "submodule": srs.SetRecordingState is pkg.SetRecordingState,
            "exception": ApiException.__module__, "year_month": YearMonth.__name__,
            "configuration": type(pkg.configuration).__name__,
            "dir": "ExternalContact" in dir(pkg) and "ExternalContact" in pkg.__all__,
            "missing": missing,
            "not_loaded": "PureCloudPlatformClientV2.models.external_contact" not in sys.modules,
        }))
    """)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {
        "same": True, "lazy": True, "api": True, "model": True, "submodule": True,
        "exception": "PureCloudPlatformClientV2.rest", "year_month": "YearMonth", "configuration": "Configuration",
        "dir": True, "missing": "AttributeError", "not_loaded": True,
    }


def test_the_full_import_when_forced_by_the_environment():
    proc = _python("""
        from recops.api import sdk as loader
        pkg = loader.load()
        print(loader.is_lazy(), len(loader.loaded_modules()), pkg.ConversationsApi.__name__)
    """, RECOPS_SDK_FULL_IMPORT="1")
    assert proc.returncode == 0, proc.stderr
    lazy, count, name = proc.stdout.split()
    assert (lazy, name) == ("False", "ConversationsApi")
    assert int(count) > 6000


def test_a_failing_partial_load_falls_back_to_the_full_import():
    proc = _python("""
        import sys
        from recops.api import sdk as loader
        partial = loader._load_lazy

        def broken():
            partial()  # registers the partial package, then the layout check "fails"
            raise ImportError("the SDK's layout changed")

        loader._load_lazy = broken
        pkg = loader.load()
        print(loader.is_lazy(), "__recops_lazy__" in pkg.models.__dict__, len(loader.loaded_modules()),
              pkg.ConversationsApi.__module__, pkg.ApiClient.__module__)
    """)
    assert proc.returncode == 0, proc.stderr
    lazy, lazy_models, count, api_module, client_module = proc.stdout.split()
    assert (lazy, lazy_models) == ("False", "False")  # nothing of the partial load is left
    assert int(count) > 6000
    assert (api_module, client_module) == ("PureCloudPlatformClientV2.apis.conversations_api",
                                           "PureCloudPlatformClientV2.api_client")


def test_an_sdk_already_imported_is_used_as_it_is(sdk):
    assert loader.load() is sdk is sys.modules["PureCloudPlatformClientV2"]


def test_the_recops_client_uses_the_partial_load_in_a_fresh_process(sb, demo, tmp_path):
    proc = _python(f"""
        import recops
        from recops.api import sdk as loader
        rc = recops.connect(journal={str(tmp_path / "j.sqlite")!r})
        status = rc.status({demo.ACTIVE!r})
        print(status.recording_state, loader.is_lazy(), len(loader.loaded_modules()))
    """, RECOPS_SANDBOX_URL=sb.url, HOME=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    state, lazy, count = proc.stdout.split()
    assert (state, lazy) == ("ACTIVE", "True")
    assert int(count) < 1000
