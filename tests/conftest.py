"""Shared fixtures. The SDK's config file is isolated before anything imports the SDK: HOME
points at a fresh temp dir, so a personal ~/.genesyscloudpython/config can never redirect a
test to a real org. The XDG base directories are unset so that every per-user path (profiles,
journal, output folder) follows that HOME, and each test writes its outputs into its own
``RECOPS_OUTPUT_DIR``."""

from __future__ import annotations

import os
import tempfile

_HOME = tempfile.mkdtemp(prefix="recops-test-home-")
os.environ["HOME"] = _HOME
for _var in [v for v in os.environ if (v.startswith(("GENESYS", "RECOPS_")) and v != "RECOPS_TEST_OUTPUT")
             or v in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")]:  # (where tests' screenshots go)
    del os.environ[_var]

import pytest  # noqa: E402

from recops.sandbox import SandboxServer  # noqa: E402


class Demo:
    """Ids of the demo scenario (recops/sandbox/scenarios/demo.json)."""

    SUPERVISOR = ("sandbox-supervisor", "sandbox-supervisor-secret")
    READONLY = ("sandbox-readonly", "sandbox-readonly-secret")
    INTEGRATION = ("sandbox-integration", "sandbox-integration-secret")
    NOTHING = ("sandbox-nothing", "sandbox-nothing-secret")
    OTHER_ORG = ("other-org-supervisor", "other-org-supervisor-secret")

    AVA = "7d1b6a5e-0d53-4c1e-9c61-2f0a8a3b1001"
    BEN = "7d1b6a5e-0d53-4c1e-9c61-2f0a8a3b1002"
    CLEO = "7d1b6a5e-0d53-4c1e-9c61-2f0a8a3b1003"  # no conversation:recording:pause
    SAM = "7d1b6a5e-0d53-4c1e-9c61-2f0a8a3b1009"  # supervisor user, in no conversation

    ACTIVE = "c0a80001-0000-4000-8000-000000000001"  # recorded, ACTIVE; customer + Ava
    ACTIVE_CUSTOMER = "c0a80001-0000-4000-8000-0000000001c1"
    ACTIVE_AGENT = "c0a80001-0000-4000-8000-0000000001a1"
    PAUSED = "c0a80001-0000-4000-8000-000000000002"  # secure paused; customer + Ben
    PAUSED_AGENT = "c0a80001-0000-4000-8000-0000000002a1"
    UNRECORDED = "c0a80001-0000-4000-8000-000000000003"  # NONE; customer + Ava
    UNRECORDED_AGENT = "c0a80001-0000-4000-8000-0000000003a1"
    ADHOC = "c0a80001-0000-4000-8000-000000000004"  # no policy recording, Ben's ad-hoc on
    ADHOC_AGENT = "c0a80001-0000-4000-8000-0000000004a1"
    HELD = "c0a80001-0000-4000-8000-000000000005"  # hold suppression: PAUSED, securePause false
    HELD_CUSTOMER = "c0a80001-0000-4000-8000-0000000005c1"
    ENDED = "c0a80001-0000-4000-8000-000000000006"  # ended 25 min ago, recordings AVAILABLE
    EMAIL = "c0a80001-0000-4000-8000-000000000007"  # email conversation, recorded
    OTHER_ORG_CONV = "0f0f0000-0000-4000-8000-000000000001"


@pytest.fixture(autouse=True)
def _history_cache(tmp_path_factory, monkeypatch):
    """A fresh history cache (recops.history.store) for each test: the session's sandbox keeps its URL
    across resets, so cached days of one test must not answer another's."""
    monkeypatch.setenv("RECOPS_CACHE_DIR", str(tmp_path_factory.mktemp("history-cache")))


@pytest.fixture(autouse=True)
def output_dir(tmp_path_factory, monkeypatch):
    """This test's per-user output folder (``recops.api.settings.output_dir()``): what the notebooks
    and widgets write by default lands here, never in the checkout or another test's folder."""
    path = tmp_path_factory.mktemp("recops-output")
    monkeypatch.setenv("RECOPS_OUTPUT_DIR", str(path))
    return path


@pytest.fixture(autouse=True)
def _close_leftover_watches():
    """A test that leaves a widget or a live watch open must not leave its socket, its channel
    renewals, its polling and their requests running into the next test's sandbox: the widgets
    made during the test are closed at teardown (a widget's ``close()`` ends its feed and watch),
    then any watch still open that the test made."""
    import sys

    def widgets() -> dict[str, object]:
        module = sys.modules.get("ipywidgets.widgets.widget")
        return dict(module._instances) if module else {}

    def watches() -> list[object]:
        module = sys.modules.get("recops.live.watch")
        return module.open_watches() if module else []

    widgets_before, watches_before = set(widgets()), set(map(id, watches()))
    yield
    for key, widget in widgets().items():
        if key not in widgets_before:
            widget.close()
    for watch in watches():
        if id(watch) not in watches_before:
            watch.close()


@pytest.fixture(scope="session")
def demo() -> type[Demo]:
    return Demo


@pytest.fixture(scope="session")
def _server():
    server = SandboxServer(scenario="demo").start()
    yield server
    server.stop()


@pytest.fixture
def sb(_server: SandboxServer) -> SandboxServer:
    """The session's sandbox server, reset to the demo scenario (default settings) for this test."""
    _server.control.reset()
    return _server


@pytest.fixture(scope="session")
def sdk():
    import PureCloudPlatformClientV2

    return PureCloudPlatformClientV2


@pytest.fixture
def login(sb, sdk):
    """login(client_id, secret) -> an ApiClient holding a client-credentials token."""

    def _login(client_id: str, secret: str):
        return sdk.ApiClient(host=sb.url).get_client_credentials_token(client_id, secret)

    return _login


@pytest.fixture
def as_user(sb, sdk):
    """as_user(user_id) -> an ApiClient holding a sandbox-issued user token."""

    def _as_user(user_id: str, org: str | None = None):
        api = sdk.ApiClient(host=sb.url)
        api.access_token = sb.control.user_token(user_id, org=org)
        return api

    return _as_user


@pytest.fixture
def supervisor(login, demo):
    return login(*demo.SUPERVISOR)


# The SDK's API classes as the demo supervisor, for the sandbox tests that drive one service.
@pytest.fixture
def routing(sdk, supervisor):
    return sdk.RoutingApi(supervisor)


@pytest.fixture
def users(sdk, supervisor):
    return sdk.UsersApi(supervisor)


@pytest.fixture
def recordings(sdk, supervisor):
    return sdk.RecordingApi(supervisor)


@pytest.fixture
def conversations(sdk, supervisor):
    return sdk.ConversationsApi(supervisor)
