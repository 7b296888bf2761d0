"""Typed settings: where recops acts (the sandbox or an org's region) and as whom.

Sources, first match wins per field:

1. keyword arguments to ``Settings.load(...)``;
2. ``RECOPS_*``: ``RECOPS_CLIENT_ID``, ``RECOPS_CLIENT_SECRET``, ``RECOPS_ACCESS_TOKEN``,
   ``RECOPS_REGION``, ``RECOPS_SANDBOX_URL``, ``RECOPS_TARGET`` (``sandbox``/``org``),
   ``RECOPS_JOURNAL``, ``RECOPS_CONNECT_TIMEOUT``, ``RECOPS_READ_TIMEOUT``,
   ``RECOPS_MAX_RETRY_AFTER``, ``RECOPS_MAX_ATTEMPTS``, ``RECOPS_CACHE_DIR`` (the history cache),
   ``RECOPS_PROFILE``, ``RECOPS_PROFILE_FILE``, ``RECOPS_SEAT_CARD`` (a training room's seat card:
   its URL and supervisor client, see ``recops.api.seat_card``);
3. the ``gc`` CLI's names: ``GENESYSCLOUD_OAUTHCLIENT_ID``, ``GENESYSCLOUD_OAUTHCLIENT_SECRET``,
   ``GENESYSCLOUD_ACCESS_TOKEN``, ``GENESYSCLOUD_REGION``;
4. the tutorial's names: ``GENESYS_CLIENT_ID``, ``GENESYS_CLIENT_SECRET``, ``GENESYS_ENV_HOST``;
5. a profile in a TOML file (``RECOPS_PROFILE_FILE``, default ``~/.config/recops/profiles.toml``)::

       [default]                       # or [profiles.NAME], chosen by RECOPS_PROFILE
       region = "eu-west-1"
       client_id = "..."
       client_secret = "..."

With no credentials at all the target is the sandbox (embedded, or ``RECOPS_SANDBOX_URL``) with
its demo credentials: zero configuration. Secrets are ``Secret`` values: their ``repr``/``str``
never show the value.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recops.genesys.errors import ConfigError, RegionError
from recops.genesys.regions import Region, resolve

from .secret import Secret

if TYPE_CHECKING:
    from .seat_card import SeatCard

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


# Defaults, stated once (the fields below, the loader and the other modules use these names).
DEFAULT_CONNECT_TIMEOUT = 5.0  # seconds to open a connection
DEFAULT_READ_TIMEOUT = 30.0  # seconds to wait for an answer
DEFAULT_MAX_RETRY_AFTER = 60.0  # a 429's Retry-After up to this is waited out; longer is raised
DEFAULT_MAX_ATTEMPTS = 4  # tries per request, the first included
DEFAULT_CONCURRENCY = 4  # requests in flight at once for a many-id read or change
ADMIN_TOKEN_ENV = "RECOPS_ADMIN_TOKEN"  # a training room's admin token (recops room serve, the Hub's service)
DEFAULT_SANDBOX_PORT = 8765  # `recops sandbox serve`'s port, where the CLI looks for a running sandbox

# field -> env var names in priority order
ENV_NAMES: dict[str, tuple[str, ...]] = {
    "client_id": ("RECOPS_CLIENT_ID", "GENESYSCLOUD_OAUTHCLIENT_ID", "GENESYS_CLIENT_ID"),
    "client_secret": ("RECOPS_CLIENT_SECRET", "GENESYSCLOUD_OAUTHCLIENT_SECRET", "GENESYS_CLIENT_SECRET"),
    "access_token": ("RECOPS_ACCESS_TOKEN", "GENESYSCLOUD_ACCESS_TOKEN"),
    "region": ("RECOPS_REGION", "GENESYSCLOUD_REGION", "GENESYS_ENV_HOST"),
    "sandbox_url": ("RECOPS_SANDBOX_URL",),
    "target": ("RECOPS_TARGET",),
    "journal_path": ("RECOPS_JOURNAL",),
    "connect_timeout": ("RECOPS_CONNECT_TIMEOUT",),
    "read_timeout": ("RECOPS_READ_TIMEOUT",),
    "max_retry_after": ("RECOPS_MAX_RETRY_AFTER",),
    "max_attempts": ("RECOPS_MAX_ATTEMPTS",),
    "cache_dir": ("RECOPS_CACHE_DIR",),
    "seat_card": ("RECOPS_SEAT_CARD",),
}
PROFILE_KEYS = {"client_id", "client_secret", "access_token", "region", "sandbox_url", "target",
                "journal_path", "connect_timeout", "read_timeout", "max_retry_after", "max_attempts", "cache_dir",
                "seat_card"}


def _data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share"))


def default_journal_path() -> Path:
    return _data_home() / "recops" / "journal.sqlite"


OUTPUT_DIR_ENV = "RECOPS_OUTPUT_DIR"
OUTPUT_KINDS = ("exports", "tables")  # recordings exported (one folder of files + manifest); tables written


def output_dir(kind: str | None = None) -> Path:
    """The user's output folder, where the notebooks and widgets write unless told otherwise, so
    nothing lands in a repository or a notebook's folder: ``$RECOPS_OUTPUT_DIR``, else
    ``$XDG_DATA_HOME/recops``, else ``~/.local/share/recops`` (beside the journal). ``kind``:
    its ``"exports"`` (recordings) or ``"tables"`` (CSV, Parquet) subfolder. Not created here."""
    if kind is not None and kind not in OUTPUT_KINDS:
        raise ValueError(f"kind must be one of {OUTPUT_KINDS} or None, not {kind!r}")
    explicit = os.environ.get(OUTPUT_DIR_ENV, "").strip()
    base = Path(explicit).expanduser() if explicit else _data_home() / "recops"
    base = base.absolute()
    return base / kind if kind else base


def table_path(path: str | os.PathLike[str] | None, name: str) -> Path:
    """Where to write a table: ``path`` when given (``~`` expanded; relative to the current
    directory, as given), else ``name`` in the user's tables folder (``output_dir("tables")``).
    Its folder is created; the path is absolute, so the line saying where it went names it whole."""
    given = path is not None and str(path).strip()
    target = Path(path).expanduser().absolute() if given else output_dir("tables") / name
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def default_cache_dir() -> Path:
    """Where interval history is cached as Parquet (``recops.history.store``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "recops" / "history"


def default_profile_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "recops" / "profiles.toml"


@dataclass(frozen=True)
class Target:
    """Where calls go. ``kind`` is ``"sandbox"`` or ``"org"``."""

    kind: str
    api_url: str | None  # None: the embedded sandbox, started on first use
    region: Region | None = None

    @property
    def is_sandbox(self) -> bool:
        return self.kind == "sandbox"

    def describe(self) -> str:
        if self.is_sandbox:
            return f"SANDBOX ({self.api_url or 'embedded, started on demand'})"
        assert self.region is not None
        return f"REAL ORG in {self.region.name} ({self.region.label}, {self.region.api_host})"


@dataclass(frozen=True)
class Settings:
    client_id: str | None = None
    client_secret: Secret | None = None
    access_token: Secret | None = None
    region: Region | None = None
    sandbox_url: str | None = None
    target_override: str | None = None
    journal_path: Path = field(default_factory=default_journal_path)
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    max_retry_after: float = DEFAULT_MAX_RETRY_AFTER
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    cache_dir: Path = field(default_factory=default_cache_dir)
    seat: SeatCard | None = None  # a training room's seat card (RECOPS_SEAT_CARD): url and client
    sources: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def target(self) -> Target:
        if self.target_override == "sandbox" or self.sandbox_url or (
            self.target_override is None and not self.has_credentials
        ):
            return Target("sandbox", self.sandbox_url)
        return Target("org", self.region.api_url if self.region else None, self.region)

    @property
    def has_credentials(self) -> bool:
        return bool(self.access_token) or bool(self.client_id and self.client_secret)

    @property
    def auth_kind(self) -> str:
        """``"user_token"``, ``"client_credentials"`` or ``"sandbox_demo"``."""
        if self.access_token:
            return "user_token"
        if self.client_id and self.client_secret:
            return "client_credentials"
        return "sandbox_demo"

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    def describe(self) -> dict[str, str]:
        """What a person may see: never a secret."""
        who = {"user_token": "a user access token", "client_credentials": f"OAuth client {self.client_id}",
               "sandbox_demo": "the sandbox's demo client"}[self.auth_kind]
        if self.seat is not None:
            who = f"{self.seat.describe()}, {who}"
        return {"target": self.target.describe(), "as": who, "journal": str(self.journal_path),
                **{f"source of {k}": v for k, v in self.sources.items()}}

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, profile: str | None = None,
             profile_file: str | Path | None = None, **overrides: Any) -> Settings:
        """Settings from keyword overrides, env vars and an optional profile file."""
        env = os.environ if env is None else env
        raw: dict[str, Any] = {}
        sources: dict[str, str] = {}
        profile_data = _profile(env, profile, profile_file)
        for name in ENV_NAMES:
            if overrides.get(name) is not None:
                raw[name], sources[name] = overrides[name], "argument"
                continue
            for var in ENV_NAMES[name]:
                if env.get(var):
                    raw[name], sources[name] = env[var], var
                    break
            else:
                if name in profile_data:
                    raw[name], sources[name] = profile_data[name], "profile"
        unknown = set(overrides) - set(ENV_NAMES)
        if unknown:
            raise ConfigError(f"unknown setting(s) {sorted(unknown)}; known: {sorted(ENV_NAMES)}")
        return cls._build(raw, sources)

    @classmethod
    def _build(cls, raw: dict[str, Any], sources: dict[str, str]) -> Settings:
        seat = _seat_card(raw, sources)
        client_id = _text(raw.get("client_id"))
        secret = raw.get("client_secret")
        secret_s = secret.get() if isinstance(secret, Secret) else _text(secret)
        token = raw.get("access_token")
        token_s = token.get() if isinstance(token, Secret) else _text(token)
        if bool(client_id) != bool(secret_s) and not token_s:
            have_field, missing_field = ("client_id", "client_secret") if client_id else ("client_secret", "client_id")
            have, missing = have_field.replace("_", " "), missing_field.replace("_", " ")
            source = sources.get(have_field, "")
            raise ConfigError(f"a {have} is set ({source or 'given'}) but no {missing}",
                              f"set {_counterpart(source, missing_field)}, or unset {source or 'the ' + have} "
                              "to use the sandbox")
        region = None
        if raw.get("region") is not None:
            value = raw["region"]
            try:
                region = value if isinstance(value, Region) else resolve(str(value))
            except RegionError as e:
                source = sources.get("region", "the region setting")
                remedy = (f"unset {source} and set RECOPS_SANDBOX_URL={e.sandbox_url}" if e.sandbox_url
                          else f"fix {source}")
                raise RegionError(e.message, remedy) from None
        target = _text(raw.get("target"))
        if target is not None and target not in ("sandbox", "org"):
            raise ConfigError(f"RECOPS_TARGET must be 'sandbox' or 'org', not {target!r}")
        sandbox_url = _text(raw.get("sandbox_url"))
        if sandbox_url is not None:
            sandbox_url = sandbox_url.rstrip("/")
            if not sandbox_url.startswith(("http://", "https://")):
                raise ConfigError(f"RECOPS_SANDBOX_URL must be an http(s) URL, not {sandbox_url!r}")
        if target == "org" and sandbox_url:
            raise ConfigError(f"RECOPS_TARGET=org contradicts {sources.get('sandbox_url', 'RECOPS_SANDBOX_URL')} "
                              f"({sandbox_url})", "unset one of them: the org, or the sandbox at that URL")
        if target == "org" and not (client_id and secret_s) and not token_s:
            raise ConfigError("RECOPS_TARGET=org needs credentials",
                              "set GENESYSCLOUD_OAUTHCLIENT_ID and GENESYSCLOUD_OAUTHCLIENT_SECRET "
                              "(or GENESYSCLOUD_ACCESS_TOKEN) and GENESYSCLOUD_REGION")
        has_creds = bool(token_s) or bool(client_id and secret_s)
        if has_creds and region is None and not sandbox_url and target != "sandbox":
            region = resolve("us-east-1")
            sources["region"] = "default (us-east-1, as the SDK)"
        out = cls(
            client_id=client_id,
            client_secret=Secret(secret_s) if secret_s else None,
            access_token=Secret(token_s) if token_s else None,
            region=region,
            sandbox_url=sandbox_url,
            target_override=target,
            journal_path=Path(raw["journal_path"]).expanduser() if raw.get("journal_path") else default_journal_path(),
            connect_timeout=_number(raw, "connect_timeout", DEFAULT_CONNECT_TIMEOUT),
            read_timeout=_number(raw, "read_timeout", DEFAULT_READ_TIMEOUT),
            max_retry_after=_number(raw, "max_retry_after", DEFAULT_MAX_RETRY_AFTER),
            max_attempts=_whole(raw, "max_attempts", DEFAULT_MAX_ATTEMPTS, minimum=1),
            cache_dir=Path(raw["cache_dir"]).expanduser() if raw.get("cache_dir") else default_cache_dir(),
            seat=seat,
            sources=sources,
        )
        return out


def _seat_card(raw: dict[str, Any], sources: dict[str, str]) -> SeatCard | None:
    """A seat card fills in the sandbox URL (unless one is set) and the client credentials
    (which must not be set as well). ``raw`` and ``sources`` are completed in place."""
    value = raw.get("seat_card")
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    from .seat_card import SeatCard, read_seat_card

    source = sources.get("seat_card", "RECOPS_SEAT_CARD")
    card = value if isinstance(value, SeatCard) else read_seat_card(str(value).strip(), source)
    given = [sources.get(k, k) for k in ("client_id", "client_secret", "access_token") if _text(raw.get(k))]
    if given:
        raise ConfigError(f"a seat card ({source}) and credentials ({', '.join(given)}) are both set",
                          f"unset {', '.join(given)}: the seat card carries the seat's credentials")
    if _text(raw.get("target")) == "org":
        raise ConfigError(f"RECOPS_TARGET=org contradicts the seat card ({source}): a seat is a training room's "
                          "sandbox org", "unset one of them")
    if not _text(raw.get("sandbox_url")):
        raw["sandbox_url"], sources["sandbox_url"] = card.url, "seat card"
    raw["client_id"], sources["client_id"] = card.client_id, "seat card"
    raw["client_secret"], sources["client_secret"] = card.client_secret, "seat card"
    return card


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _counterpart(source: str, missing_field: str) -> str:
    """The variable that completes the pair the user started, e.g. GENESYS_CLIENT_ID -> GENESYS_CLIENT_SECRET."""
    have_field = "client_id" if missing_field == "client_secret" else "client_secret"
    if source in ENV_NAMES[have_field]:
        return ENV_NAMES[missing_field][ENV_NAMES[have_field].index(source)]
    if source == "profile":
        return f"{missing_field} in the profile"
    if source == "argument":
        return f"the {missing_field} argument"
    return f"{ENV_NAMES[missing_field][1]} (or {ENV_NAMES[missing_field][0]})"


def _number(raw: dict[str, Any], key: str, default: float, minimum: float = 0.001) -> float:
    value = raw.get(key)
    if value is None:
        return default
    if isinstance(value, bool):
        raise ConfigError(f"{key} must be a number, not {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key} must be a number, not {value!r}") from None
    if not math.isfinite(number):
        raise ConfigError(f"{key} must be a finite number, not {value!r}")
    if number < minimum:
        raise ConfigError(f"{key} must be at least {minimum}, not {value!r}")
    return number


def _whole(raw: dict[str, Any], key: str, default: int, minimum: int = 1) -> int:
    number = _number(raw, key, default, minimum)
    if not float(number).is_integer():
        raise ConfigError(f"{key} must be a whole number, not {raw.get(key)!r}")
    return int(number)


def _profile(env: Mapping[str, str], profile: str | None, profile_file: str | Path | None) -> dict[str, Any]:
    name = profile or env.get("RECOPS_PROFILE")
    path = Path(profile_file or env.get("RECOPS_PROFILE_FILE") or default_profile_file()).expanduser()
    if not path.is_file():
        if name or profile_file or env.get("RECOPS_PROFILE_FILE"):
            raise ConfigError(f"profile file {path} does not exist",
                              "create it (see recops/api/settings.py) or unset RECOPS_PROFILE/RECOPS_PROFILE_FILE")
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"cannot read profile file {path}: {e}") from None
    section = data.get("profiles", {}).get(name) if name else data.get("default")
    if section is None:
        if name:
            names = sorted(data.get("profiles", {}))
            raise ConfigError(f"no profile [profiles.{name}] in {path}",
                              f"known profiles: {', '.join(names) or 'none'}")
        return {}
    unknown = set(section) - PROFILE_KEYS
    if unknown:
        raise ConfigError(f"unknown key(s) {sorted(unknown)} in profile file {path}", f"known: {sorted(PROFILE_KEYS)}")
    return dict(section)
