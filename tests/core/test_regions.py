"""Regions by name, by domain, by host and by URL (docs/genesys-api.md §4.6); invented hosts refused."""

from __future__ import annotations

import pytest

from recops.genesys.errors import ConfigError, RegionError
from recops.genesys.regions import REGIONS, resolve

# The real table, written out here on purpose: the test must not derive it from the code.
TABLE = {
    "us-east-1": "mypurecloud.com",
    "us-east-2": "use2.us-gov-pure.cloud",
    "us-west-2": "usw2.pure.cloud",
    "ca-central-1": "cac1.pure.cloud",
    "sa-east-1": "sae1.pure.cloud",
    "mx-central-1": "mxc1.pure.cloud",
    "eu-west-1": "mypurecloud.ie",
    "eu-west-2": "euw2.pure.cloud",
    "eu-central-1": "mypurecloud.de",
    "eu-central-2": "euc2.pure.cloud",
    "me-central-1": "mec1.pure.cloud",
    "ap-south-1": "aps1.pure.cloud",
    "ap-southeast-1": "apse1.pure.cloud",
    "ap-southeast-2": "mypurecloud.com.au",
    "ap-northeast-1": "mypurecloud.jp",
    "ap-northeast-2": "apne2.pure.cloud",
    "ap-northeast-3": "apne3.pure.cloud",
}


def test_the_table_has_exactly_the_17_real_regions():
    assert len(REGIONS) == 17
    assert {r.name: r.domain for r in REGIONS} == TABLE


@pytest.mark.parametrize(("name", "domain"), sorted(TABLE.items()))
def test_every_region_resolves_every_way(name, domain):
    spellings = [
        name,
        name.replace("-", "_"),  # the SDK's enum member (PureCloudRegionHosts.eu_west_1)
        name.upper(),
        f"  {name}  ",
        domain,
        f"api.{domain}",
        f"login.{domain}",
        f"https://api.{domain}",
        f"https://login.{domain}/",
        f"https://api.{domain}/api/v2/conversations",
        f"https://api.{domain}:443",
    ]
    for spelling in spellings:
        region = resolve(spelling)
        assert region.name == name, spelling
        assert region.domain == domain
    assert region.api_host == f"api.{domain}"
    assert region.login_host == f"login.{domain}"
    assert region.api_url == f"https://api.{domain}"


def test_sdk_enum_agrees_with_the_table(sdk):
    """Every region the SDK 269.0.0 knows (bar the sovereign eusc_de_east_1) maps to our table."""
    hosts = sdk.PureCloudRegionHosts
    for name, domain in TABLE.items():
        assert hosts[name.replace("-", "_")].get_api_host() == f"https://api.{domain}"
    assert {m.name for m in hosts} - {n.replace("-", "_") for n in TABLE} == {"eusc_de_east_1"}


@pytest.mark.parametrize(
    ("invented", "real", "name"),
    [
        ("euw1.pure.cloud", "mypurecloud.ie", "eu-west-1"),
        ("api.euw1.pure.cloud", "mypurecloud.ie", "eu-west-1"),
        ("https://login.euw1.pure.cloud", "mypurecloud.ie", "eu-west-1"),
        ("auw2.pure.cloud", "mypurecloud.com.au", "ap-southeast-2"),
        ("https://api.auw2.pure.cloud/api/v2", "mypurecloud.com.au", "ap-southeast-2"),
    ],
)
def test_invented_hosts_are_refused_naming_the_real_one(invented, real, name):
    with pytest.raises(RegionError) as info:
        resolve(invented)
    text = str(info.value)
    assert real in text
    assert name in text
    assert "not a Genesys Cloud host" in text
    assert isinstance(info.value, ConfigError)


@pytest.mark.parametrize(
    ("typo", "suggestion"),
    [("eu-west1", "eu-west-1"), ("eu-wset-1", "eu-west-1"), ("mypurecloud.i", "mypurecloud.ie"),
     ("api.mypurcloud.de", "mypurecloud.de"), ("us-east1", "us-east-1")],
)
def test_a_typo_gets_a_did_you_mean(typo, suggestion):
    with pytest.raises(RegionError) as info:
        resolve(typo)
    text = str(info.value)
    assert "Did you mean" in text
    assert suggestion in text.split("Did you mean", 1)[1].split("?", 1)[0]


@pytest.mark.parametrize("value", ["", "   ", "example.com", "https://api.example.com"])
def test_nonsense_is_refused_with_the_known_regions(value):
    with pytest.raises(RegionError) as info:
        resolve(value)
    if value.strip():
        assert "Known regions" in str(info.value)
        assert "eu-west-1" in str(info.value)


def test_region_str_names_label_and_host():
    region = resolve("eu-west-1")
    assert str(region) == "eu-west-1 (Dublin, api.mypurecloud.ie)"


@pytest.mark.parametrize(("value", "url"), [
    ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
    ("127.0.0.1:8765", "http://127.0.0.1:8765"),
    ("localhost:8765/", "http://localhost:8765"),
    ("http://[::1]:8765/", "http://[::1]:8765"),
    ("http://sandbox.training.lan:8765", "http://sandbox.training.lan:8765"),  # any plain-http URL
])
def test_a_sandbox_url_given_as_a_region_is_refused_naming_recops_sandbox_url(value, url):
    with pytest.raises(RegionError) as info:
        resolve(value)
    assert info.value.sandbox_url == url
    assert f"set RECOPS_SANDBOX_URL={url}" in str(info.value) and "looks like a sandbox URL" in str(info.value)


@pytest.mark.parametrize("value", ["https://api.example.com", "example.com", "euw1.pure.cloud"])
def test_other_hosts_are_not_taken_for_a_sandbox(value):
    with pytest.raises(RegionError) as info:
        resolve(value)
    assert info.value.sandbox_url is None and "sandbox" not in str(info.value)
