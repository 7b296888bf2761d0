"""Settings.load: sources and their precedence, targets, validation, and secrets that never print."""

from __future__ import annotations

from pathlib import Path

import pytest

from recops.api.settings import Secret, Settings
from recops.genesys.errors import ConfigError, RegionError

ID, SECRET, TOKEN = "client-id-123", "s3cr3t-VALUE-never-printed", "tok-VALUE-never-printed"


@pytest.fixture(autouse=True)
def _no_personal_profile(monkeypatch, tmp_path):
    """The default profile path is under HOME (a temp dir, see conftest) unless XDG_CONFIG_HOME says
    otherwise: point that at an empty dir so a developer's own profiles.toml cannot leak in."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


def load(env: dict[str, str], profile_file: Path | None = None, **kw) -> Settings:
    return Settings.load(env=env, profile_file=profile_file, **kw)


@pytest.fixture
def profiles(tmp_path: Path) -> Path:
    path = tmp_path / "profiles.toml"
    path.write_text(
        '[default]\nregion = "eu-west-1"\nclient_id = "profile-default-id"\n'
        'client_secret = "profile-default-secret"\nread_timeout = 12\n\n'
        '[profiles.tokyo]\nregion = "mypurecloud.jp"\nclient_id = "tokyo-id"\nclient_secret = "tokyo-secret"\n\n'
        '[profiles.lab]\nsandbox_url = "http://127.0.0.1:9999/"\n'
    )
    return path


# --- targets ------------------------------------------------------------------------------------


def test_nothing_set_means_the_embedded_sandbox():
    s = load({})
    assert s.target.kind == "sandbox"
    assert s.target.is_sandbox
    assert s.target.api_url is None
    assert s.auth_kind == "sandbox_demo"
    assert s.region is None
    assert "SANDBOX" in s.target.describe()
    assert s.describe()["as"] == "the sandbox's demo client"


def test_credentials_mean_the_org_with_the_default_region_said_in_sources():
    s = load({"GENESYSCLOUD_OAUTHCLIENT_ID": ID, "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET})
    assert s.target.kind == "org"
    assert s.region is not None and s.region.name == "us-east-1"
    assert s.target.api_url == "https://api.mypurecloud.com"
    assert "us-east-1" in s.sources["region"] and "default" in s.sources["region"]
    assert s.auth_kind == "client_credentials"
    assert s.target.describe().startswith("REAL ORG in us-east-1")


def test_a_user_token_alone_is_an_org_target():
    s = load({"GENESYSCLOUD_ACCESS_TOKEN": TOKEN, "GENESYSCLOUD_REGION": "eu-central-1"})
    assert s.target.kind == "org"
    assert s.auth_kind == "user_token"
    assert s.region.name == "eu-central-1"
    assert s.access_token == Secret(TOKEN)


def test_tutorial_names_with_env_host():
    s = load({"GENESYS_CLIENT_ID": ID, "GENESYS_CLIENT_SECRET": SECRET, "GENESYS_ENV_HOST": "mypurecloud.ie"})
    assert s.target.kind == "org"
    assert s.region.name == "eu-west-1"
    assert s.sources == {"client_id": "GENESYS_CLIENT_ID", "client_secret": "GENESYS_CLIENT_SECRET",
                         "region": "GENESYS_ENV_HOST"}


@pytest.mark.parametrize("host", ["api.mypurecloud.com.au", "https://api.mypurecloud.com.au", "ap-southeast-2"])
def test_env_host_accepts_a_host_a_url_or_a_name(host):
    s = load({"GENESYS_CLIENT_ID": ID, "GENESYS_CLIENT_SECRET": SECRET, "GENESYS_ENV_HOST": host})
    assert s.region.name == "ap-southeast-2"


def test_an_invented_env_host_is_refused_naming_the_variable():
    with pytest.raises(RegionError) as info:
        load({"GENESYS_CLIENT_ID": ID, "GENESYS_CLIENT_SECRET": SECRET, "GENESYS_ENV_HOST": "euw1.pure.cloud"})
    assert "mypurecloud.ie" in str(info.value)
    assert "GENESYS_ENV_HOST" in str(info.value)


def test_sandbox_url_wins_over_credentials():
    s = load({"RECOPS_SANDBOX_URL": "http://127.0.0.1:8123/", "GENESYSCLOUD_OAUTHCLIENT_ID": ID,
              "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET, "GENESYSCLOUD_REGION": "eu-west-1"})
    assert s.target.kind == "sandbox"
    assert s.target.api_url == "http://127.0.0.1:8123"  # no trailing slash: the SDK would send //oauth/token
    assert s.auth_kind == "client_credentials"
    assert "SANDBOX" in s.describe()["target"]


def test_sandbox_url_without_credentials_uses_the_demo_client():
    s = load({"RECOPS_SANDBOX_URL": "http://127.0.0.1:8123"})
    assert (s.target.kind, s.target.api_url, s.auth_kind) == ("sandbox", "http://127.0.0.1:8123", "sandbox_demo")


def test_sandbox_url_must_be_http():
    with pytest.raises(ConfigError, match="RECOPS_SANDBOX_URL"):
        load({"RECOPS_SANDBOX_URL": "127.0.0.1:8123"})


# --- precedence ---------------------------------------------------------------------------------


def test_precedence_recops_over_gc_over_tutorial_over_profile(profiles):
    env = {
        "RECOPS_CLIENT_ID": "recops-id",
        "GENESYSCLOUD_OAUTHCLIENT_ID": "gc-id",
        "GENESYS_CLIENT_ID": "tutorial-id",
        "GENESYSCLOUD_OAUTHCLIENT_SECRET": "gc-secret",
        "GENESYS_CLIENT_SECRET": "tutorial-secret",
        "GENESYS_ENV_HOST": "mypurecloud.de",
    }
    s = load(env, profiles)
    assert s.client_id == "recops-id" and s.sources["client_id"] == "RECOPS_CLIENT_ID"
    assert s.client_secret.get() == "gc-secret" and s.sources["client_secret"] == "GENESYSCLOUD_OAUTHCLIENT_SECRET"
    assert s.region.name == "eu-central-1" and s.sources["region"] == "GENESYS_ENV_HOST"
    assert s.read_timeout == 12 and s.sources["read_timeout"] == "profile"

    del env["RECOPS_CLIENT_ID"]
    assert load(env, profiles).client_id == "gc-id"
    del env["GENESYSCLOUD_OAUTHCLIENT_ID"]
    assert load(env, profiles).client_id == "tutorial-id"
    del env["GENESYS_CLIENT_ID"]
    s = load(env, profiles)
    assert s.client_id == "profile-default-id" and s.sources["client_id"] == "profile"
    # each field falls through on its own: the secret still comes from the gc CLI's name
    assert s.client_secret.get() == "gc-secret"


def test_region_precedence():
    env = {"RECOPS_CLIENT_ID": ID, "RECOPS_CLIENT_SECRET": SECRET, "RECOPS_REGION": "ap-northeast-2",
           "GENESYSCLOUD_REGION": "eu-west-2", "GENESYS_ENV_HOST": "mypurecloud.jp"}
    assert load(env).region.name == "ap-northeast-2"
    del env["RECOPS_REGION"]
    assert load(env).region.name == "eu-west-2"
    del env["GENESYSCLOUD_REGION"]
    assert load(env).region.name == "ap-northeast-1"


def test_keyword_arguments_beat_everything(profiles):
    s = load({"RECOPS_CLIENT_ID": "env-id", "RECOPS_CLIENT_SECRET": "env-secret"}, profiles,
             client_id="arg-id", region="eu-west-2")
    assert s.client_id == "arg-id" and s.sources["client_id"] == "argument"
    assert s.region.name == "eu-west-2"


def test_empty_env_values_count_as_unset():
    s = load({"RECOPS_CLIENT_ID": "", "GENESYSCLOUD_OAUTHCLIENT_ID": ID, "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET})
    assert s.client_id == ID


def test_default_profile_section(profiles):
    s = load({}, profiles)
    assert s.target.kind == "org"
    assert s.region.name == "eu-west-1"
    assert (s.client_id, s.client_secret.get()) == ("profile-default-id", "profile-default-secret")
    assert all(src == "profile" for src in s.sources.values())


def test_named_profile_chosen_by_recops_profile(profiles):
    s = load({"RECOPS_PROFILE": "tokyo"}, profiles)
    assert s.region.name == "ap-northeast-1"
    assert s.client_id == "tokyo-id"
    assert s.read_timeout == 30.0  # [default] is not merged into a named profile
    lab = load({"RECOPS_PROFILE": "lab"}, profiles)
    assert (lab.target.kind, lab.target.api_url) == ("sandbox", "http://127.0.0.1:9999")


def test_profile_file_from_the_environment(profiles):
    s = load({"RECOPS_PROFILE_FILE": str(profiles), "RECOPS_PROFILE": "tokyo"})
    assert s.client_id == "tokyo-id"


def test_unknown_profile_lists_the_known_ones(profiles):
    with pytest.raises(ConfigError) as info:
        load({"RECOPS_PROFILE": "osaka"}, profiles)
    text = str(info.value)
    assert "osaka" in text
    assert "lab" in text and "tokyo" in text


def test_missing_profile_file_is_an_error_only_when_asked_for(tmp_path):
    assert load({}).target.kind == "sandbox"  # the default path does not exist: no profile
    with pytest.raises(ConfigError, match="does not exist"):
        load({}, tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="does not exist"):
        load({"RECOPS_PROFILE": "tokyo"})


def test_unknown_profile_key_and_bad_toml(tmp_path):
    bad_key = tmp_path / "a.toml"
    bad_key.write_text('[default]\nclientid = "x"\n')
    with pytest.raises(ConfigError, match="clientid"):
        load({}, bad_key)
    bad_toml = tmp_path / "b.toml"
    bad_toml.write_text("[default\n")
    with pytest.raises(ConfigError, match="cannot read profile file"):
        load({}, bad_toml)


# --- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"GENESYSCLOUD_OAUTHCLIENT_ID": ID}, "GENESYSCLOUD_OAUTHCLIENT_SECRET"),
        ({"GENESYS_CLIENT_ID": ID}, "GENESYS_CLIENT_SECRET"),
        ({"RECOPS_CLIENT_ID": ID}, "RECOPS_CLIENT_SECRET"),
        ({"GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET}, "GENESYSCLOUD_OAUTHCLIENT_ID"),
        ({"GENESYS_CLIENT_SECRET": SECRET}, "GENESYS_CLIENT_ID"),
    ],
)
def test_half_a_client_is_an_error_naming_the_missing_variable(env, missing):
    with pytest.raises(ConfigError) as info:
        load(env)
    assert missing in str(info.value)
    assert SECRET not in str(info.value)


def test_a_token_makes_a_lone_client_id_harmless():
    s = load({"GENESYSCLOUD_OAUTHCLIENT_ID": ID, "GENESYSCLOUD_ACCESS_TOKEN": TOKEN})
    assert s.auth_kind == "user_token"


@pytest.mark.parametrize("value", ["sandbox", "org"])
def test_recops_target_values(value):
    env = {"RECOPS_TARGET": value, "GENESYSCLOUD_OAUTHCLIENT_ID": ID, "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET}
    s = load(env)
    assert s.target.kind == value
    if value == "sandbox":
        assert s.region is None  # no default region invented for a sandbox target


@pytest.mark.parametrize("value", ["prod", "Org ", "real", "1"])
def test_recops_target_rejects_other_values(value):
    with pytest.raises(ConfigError, match="RECOPS_TARGET"):
        load({"RECOPS_TARGET": value, "GENESYSCLOUD_OAUTHCLIENT_ID": ID, "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET})


def test_recops_target_org_needs_credentials():
    with pytest.raises(ConfigError) as info:
        load({"RECOPS_TARGET": "org", "GENESYSCLOUD_REGION": "eu-west-1"})
    assert "GENESYSCLOUD_OAUTHCLIENT_ID" in str(info.value)


def test_recops_target_org_contradicting_a_sandbox_url_is_refused():
    with pytest.raises(ConfigError, match="RECOPS_SANDBOX_URL"):
        load({"RECOPS_TARGET": "org", "RECOPS_SANDBOX_URL": "http://127.0.0.1:8123",
              "GENESYSCLOUD_OAUTHCLIENT_ID": ID, "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET})


@pytest.mark.parametrize(
    ("var", "value"),
    [("RECOPS_READ_TIMEOUT", "soon"), ("RECOPS_READ_TIMEOUT", "0"), ("RECOPS_READ_TIMEOUT", "-1"),
     ("RECOPS_READ_TIMEOUT", "nan"), ("RECOPS_CONNECT_TIMEOUT", "inf"), ("RECOPS_MAX_RETRY_AFTER", "1m"),
     ("RECOPS_MAX_ATTEMPTS", "0"), ("RECOPS_MAX_ATTEMPTS", "2.5"), ("RECOPS_MAX_ATTEMPTS", "many")],
)
def test_bad_numbers_are_config_errors(var, value):
    with pytest.raises(ConfigError) as info:
        load({var: value})
    assert var.removeprefix("RECOPS_").lower() in str(info.value)


def test_good_numbers():
    s = load({"RECOPS_READ_TIMEOUT": "2.5", "RECOPS_CONNECT_TIMEOUT": "1", "RECOPS_MAX_RETRY_AFTER": "180",
              "RECOPS_MAX_ATTEMPTS": "6"})
    assert (s.read_timeout, s.connect_timeout, s.max_retry_after, s.max_attempts) == (2.5, 1.0, 180.0, 6)
    assert isinstance(s.max_attempts, int)


def test_unknown_keyword_is_refused():
    with pytest.raises(ConfigError, match="unknown setting"):
        Settings.load(env={}, client_secrets="x")


def test_journal_path(tmp_path):
    assert load({"RECOPS_JOURNAL": str(tmp_path / "j.sqlite")}).journal_path == tmp_path / "j.sqlite"
    assert load({}).journal_path == tmp_path / "xdg-data" / "recops" / "journal.sqlite"


# --- secrets ------------------------------------------------------------------------------------


def test_secret_never_prints_itself():
    secret = Secret(SECRET)
    for text in (repr(secret), str(secret), f"{secret}", f"{secret!r}", repr([secret]), repr({"k": secret})):
        assert SECRET not in text
    assert secret.get() == SECRET
    assert secret == Secret(SECRET) and secret != Secret("other")
    assert not Secret("")


def test_settings_never_print_secrets(profiles):
    cases = [
        load({"GENESYSCLOUD_OAUTHCLIENT_ID": ID, "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET}),
        load({"GENESYS_CLIENT_ID": ID, "GENESYS_CLIENT_SECRET": SECRET, "GENESYS_ENV_HOST": "mypurecloud.ie"}),
        load({"RECOPS_ACCESS_TOKEN": TOKEN, "RECOPS_CLIENT_ID": ID, "RECOPS_CLIENT_SECRET": SECRET}),
        load({"GENESYSCLOUD_ACCESS_TOKEN": TOKEN}),
        load({}, profiles, client_secret=SECRET, access_token=TOKEN),
    ]
    for s in cases:
        texts = [repr(s), str(s), repr(s.describe()), str(s.describe()), repr(s.target), s.target.describe(),
                 repr(s.sources)]
        for text in texts:
            assert SECRET not in text and TOKEN not in text, text
        assert ID not in repr(s.sources)
    described = cases[0].describe()
    assert described["as"] == f"OAuth client {ID}"  # the id is who acts: shown, unlike the secret
    assert described["source of client_secret"] == "GENESYSCLOUD_OAUTHCLIENT_SECRET"


def test_with_overrides_keeps_secrets_hidden():
    s = load({}).with_overrides(access_token=Secret(TOKEN))
    assert s.auth_kind == "user_token"
    assert TOKEN not in repr(s)
