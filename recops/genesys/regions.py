"""The real Genesys Cloud regions and their hosts (docs/genesys-api.md §4.6).

``resolve("eu-west-1")``, ``resolve("mypurecloud.ie")``, ``resolve("https://api.mypurecloud.ie")``
all give the Dublin region. A host that is not Genesys's (``euw1.pure.cloud`` from a widely
copied tutorial) is refused with the real one suggested.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from .errors import RegionError


@dataclass(frozen=True)
class Region:
    name: str  # AWS-style name, e.g. "eu-west-1"
    domain: str  # e.g. "mypurecloud.ie"
    label: str  # e.g. "Dublin"

    @property
    def api_host(self) -> str:
        return f"api.{self.domain}"

    @property
    def login_host(self) -> str:
        return f"login.{self.domain}"

    @property
    def api_url(self) -> str:
        return f"https://{self.api_host}"

    def __str__(self) -> str:
        return f"{self.name} ({self.label}, {self.api_host})"


REGIONS: tuple[Region, ...] = (
    Region("us-east-1", "mypurecloud.com", "US East"),
    Region("us-east-2", "use2.us-gov-pure.cloud", "US East 2, FedRAMP"),
    Region("us-west-2", "usw2.pure.cloud", "US West"),
    Region("ca-central-1", "cac1.pure.cloud", "Canada"),
    Region("sa-east-1", "sae1.pure.cloud", "São Paulo"),
    Region("mx-central-1", "mxc1.pure.cloud", "Mexico"),
    Region("eu-west-1", "mypurecloud.ie", "Dublin"),
    Region("eu-west-2", "euw2.pure.cloud", "London"),
    Region("eu-central-1", "mypurecloud.de", "Frankfurt"),
    Region("eu-central-2", "euc2.pure.cloud", "Zurich"),
    Region("me-central-1", "mec1.pure.cloud", "UAE"),
    Region("ap-south-1", "aps1.pure.cloud", "Mumbai"),
    Region("ap-southeast-1", "apse1.pure.cloud", "Singapore"),
    Region("ap-southeast-2", "mypurecloud.com.au", "Sydney"),
    Region("ap-northeast-1", "mypurecloud.jp", "Tokyo"),
    Region("ap-northeast-2", "apne2.pure.cloud", "Seoul"),
    Region("ap-northeast-3", "apne3.pure.cloud", "Osaka"),
)

_BY_NAME = {r.name: r for r in REGIONS}
_BY_DOMAIN = {r.domain: r for r in REGIONS}

# Hosts that circulate in tutorials but do not exist, and the region they were meant to name.
INVENTED_HOSTS = {
    "euw1.pure.cloud": "eu-west-1",
    "auw2.pure.cloud": "ap-southeast-2",
    "apse2.pure.cloud": "ap-southeast-2",
    "use1.pure.cloud": "us-east-1",
    "euc1.pure.cloud": "eu-central-1",
    "apne1.pure.cloud": "ap-northeast-1",
}


def _domain_of(text: str) -> str:
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text.strip().lower())
    host = host.split("/", 1)[0].split(":", 1)[0].rstrip(".")
    for prefix in ("api.", "login.", "apps."):
        if host.startswith(prefix):
            return host[len(prefix):]
    return host


def resolve(value: str) -> Region:
    """A region from its name (``eu-west-1``/``eu_west_1``) or any of its hosts or URLs."""
    if not isinstance(value, str) or not value.strip():
        raise RegionError("a region name or host is required, e.g. 'eu-west-1' or 'mypurecloud.ie'")
    name = value.strip().lower().replace("_", "-")
    if name in _BY_NAME:
        return _BY_NAME[name]
    domain = _domain_of(value)
    if domain in _BY_DOMAIN:
        return _BY_DOMAIN[domain]
    sandbox = sandbox_url_in(value)
    if sandbox:
        error = RegionError(f"{value!r} is not a Genesys Cloud region: it looks like a sandbox URL. To use that "
                            f"sandbox, set RECOPS_SANDBOX_URL={sandbox} instead of a region.")
        error.sandbox_url = sandbox
        raise error
    raise RegionError(_unknown_message(value, domain))


LOOPBACK_HOSTS = frozenset({"localhost", "0.0.0.0", "::1", "ip6-localhost"})


def sandbox_url_in(value: str) -> str | None:
    """The sandbox URL ``value`` seems to be (any ``http://`` URL, or any loopback host with or
    without a scheme), as ``RECOPS_SANDBOX_URL`` takes it; None for anything else. Genesys Cloud
    is only ever reached over https, on its own hosts."""
    text = value.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "", text
    authority = rest.split("/", 1)[0].lower()
    if authority.startswith("["):  # [::1]:8765
        host = authority[1:].split("]", 1)[0]
    elif authority.count(":") == 1:  # 127.0.0.1:8765
        host = authority.split(":", 1)[0]
    else:  # a bare host, or a bare IPv6 address
        host = authority
    loopback = host in LOOPBACK_HOSTS or host.startswith("127.")
    if scheme.lower() == "http" or (loopback and scheme.lower() in ("", "https")):
        return (text if sep else f"http://{text}").rstrip("/")
    return None


def _unknown_message(value: str, domain: str) -> str:
    meant = INVENTED_HOSTS.get(domain)
    if meant:
        real = _BY_NAME[meant]
        return (f"{value!r} is not a Genesys Cloud host (it comes from an unofficial tutorial). "
                f"Did you mean {real.domain} — region {real.name} ({real.label})? "
                f"Set GENESYSCLOUD_REGION={real.name}.")
    candidates = [r.domain for r in REGIONS] + [r.name for r in REGIONS]
    close = difflib.get_close_matches(domain, candidates, n=2, cutoff=0.5)
    hint = ""
    if close:
        regions = [_BY_DOMAIN.get(c) or _BY_NAME[c] for c in close]
        hint = " Did you mean " + " or ".join(f"{r.name} ({r.domain}, {r.label})" for r in regions) + "?"
    known = ", ".join(r.name for r in REGIONS)
    return f"unknown Genesys Cloud region or host {value!r}.{hint} Known regions: {known}."
