"""``recops.api.targets``: where and as whom, resolved one step before the ``Client`` (URL,
credentials, description), lazily; and a ``Client`` given an ``Endpoint`` acts there."""

from __future__ import annotations

import subprocess
import sys

import recops
from recops.api.client import Client
from recops.api.settings import Secret, Settings
from recops.api.targets import Credentials, Endpoint, resolve, running_sandbox

from ..conftest import Demo
from .ops_helpers import REPO, api_log, clear_log


def test_a_sandbox_url_without_credentials_resolves_to_its_demo_client(sb):
    endpoint = resolve(Settings.load(env={}, sandbox_url=sb.url))
    assert (endpoint.url, endpoint.description, endpoint.is_sandbox) == (sb.url, f"SANDBOX at {sb.url}", True)
    assert endpoint.credentials.client_id == Demo.SUPERVISOR[0]
    assert endpoint.credentials.client_secret == Secret(Demo.SUPERVISOR[1])
    assert Demo.SUPERVISOR[1] not in repr(endpoint)


def test_given_credentials_are_kept_and_a_real_org_is_resolved_without_a_request(sb):
    mine = resolve(Settings.load(env={}, sandbox_url=sb.url, client_id=Demo.READONLY[0],
                                 client_secret=Demo.READONLY[1]))
    assert mine.credentials == Credentials(Demo.READONLY[0], Secret(Demo.READONLY[1]))
    real = resolve(Settings.load(env={"GENESYSCLOUD_REGION": "eu-west-1", "GENESYSCLOUD_ACCESS_TOKEN": "tok"}))
    assert (real.url, real.is_sandbox, real.credentials.kind) == ("https://api.mypurecloud.ie", False, "user_token")
    assert real.description.startswith("REAL ORG in eu-west-1")


def test_a_client_given_an_endpoint_acts_there_as_those_credentials(sb):
    endpoint = Endpoint(sb.url, Credentials(Demo.READONLY[0], Secret(Demo.READONLY[1])), "the classroom", True)
    client = Client(Settings.load(env={}), endpoint=endpoint)  # the settings alone would embed a sandbox
    clear_log(sb)
    assert recops.ops.recording.status(client, Demo.ACTIVE).recording_state == "ACTIVE"
    assert client.describe() == "the classroom" and client.base_url == sb.url
    assert client.principal == f"client:{Demo.READONLY[0]}"
    token = next(e for e in api_log(sb) if e["path"] == "/oauth/token")
    assert token["status"] == 200


def test_running_sandbox_answers_only_where_one_serves(sb):
    assert running_sandbox(sb.url) == sb.url
    assert running_sandbox(sb.url + "/nothing-here") is None  # answered, but not a sandbox's health
    assert running_sandbox("http://127.0.0.1:9") is None  # discard port: nothing listens


def test_import_and_connect_stay_cheap(tmp_path):
    code = ("import sys, recops; rc = recops.connect(); rc.target; "
            "print(sorted(m for m in sys.modules if m.startswith(('PureCloudPlatformClientV2', 'recops.sandbox',"
            " 'pandas')))); print(rc.target)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60,
                         env={"HOME": str(tmp_path), "PATH": ""})
    assert out.returncode == 0, out.stderr
    modules, target = out.stdout.splitlines()
    assert modules == "[]"
    assert target == "SANDBOX (embedded, started on demand)"
