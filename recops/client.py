"""An authenticated SDK ``ApiClient`` on recops's transport, built on first use.

- The SDK (~1.8 s to import) is imported only when the first call needs it.
- The host is always passed explicitly and the SDK's process-wide gateway is ignored, so a
  ``~/.genesyscloudpython/config`` cannot redirect a recops client.
- Client-credentials tokens are fetched through the same transport (timeouts, no hidden
  retries) and renewed once when a call answers 401.
- With no credentials, the target is the sandbox: the embedded one (started once per process)
  or the one at ``RECOPS_SANDBOX_URL``, with its demo credentials.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import ConfigError, RecopsError, from_exception
from .settings import Settings, Target

if TYPE_CHECKING:
    from .sandbox.server import SandboxServer
    from .transport import Exchange, RecopsHttpClient, Wait

T = TypeVar("T")

DEMO_CLIENT_ID = "sandbox-supervisor"
PAUSE_OTHERS = "conversation:recording:pauseOthers"

_embedded: SandboxServer | None = None
_embedded_lock = threading.Lock()


def embedded_sandbox() -> SandboxServer:
    """The process's embedded sandbox (demo scenario), started on first use."""
    global _embedded
    with _embedded_lock:
        if _embedded is None:
            from .sandbox.server import SandboxServer

            _embedded = SandboxServer(scenario="demo").start()
            atexit.register(_embedded.stop)
        return _embedded


def sandbox_demo_credentials(url: str) -> tuple[str, str]:
    """The sandbox's demo client: ``sandbox-supervisor`` if present, else one that may pause."""
    from .sandbox.control_client import SandboxClient, SandboxControlError

    try:
        clients = SandboxClient(url, timeout=10).clients()
    except (SandboxControlError, OSError, Exception) as e:  # any failure: not a sandbox we can read
        raise ConfigError(f"cannot read demo credentials from the sandbox at {url} ({type(e).__name__})",
                          "check RECOPS_SANDBOX_URL, or set credentials explicitly") from None
    chosen = next((c for c in clients if c["clientId"] == DEMO_CLIENT_ID), None)
    chosen = chosen or next((c for c in clients if PAUSE_OTHERS in c.get("permissions", [])), None)
    chosen = chosen or (clients[0] if clients else None)
    if chosen is None:
        raise ConfigError(f"the sandbox at {url} has no OAuth clients",
                          "load a scenario (POST /_sandbox/reset) or create one (POST /_sandbox/clients)")
    return chosen["clientId"], chosen["clientSecret"]


class Client:
    """One principal on one target. Thread-safe for calls; ``api_client`` is built once."""

    def __init__(self, settings: Settings | None = None, *,
                 on_wait: Callable[[Wait], None] | None = None,
                 on_exchange: Callable[[Exchange], None] | None = None) -> None:
        self.settings = settings or Settings.load()
        self.target: Target = self.settings.target
        self.on_wait = on_wait
        self.on_exchange = on_exchange
        self._api: Any = None
        self._http: RecopsHttpClient | None = None
        self._lock = threading.Lock()
        self._token_lock = threading.Lock()
        self._client_id: str | None = self.settings.client_id
        self._secret: str | None = self.settings.client_secret.get() if self.settings.client_secret else None
        self.base_url: str | None = None
        self._user: str | None = None

    # --- who and where ----------------------------------------------------------------------

    @property
    def auth_kind(self) -> str:
        return "user_token" if self.settings.access_token else "client_credentials"

    @property
    def principal(self) -> str:
        """Who acts, for the journal and the UI: a client id, never a secret."""
        if self.settings.access_token:
            return self._user_principal()
        self._ensure()
        return f"client:{self._client_id}"

    def _user_principal(self) -> str:
        """``user:<id> (<name>)`` from GET /api/v2/users/me, read once; ``user-token`` if the
        token cannot say who it is."""
        if self._user is None:
            try:
                me = self.call("GET", "/api/v2/users/me", self.sdk().UsersApi(self._ensure()).get_users_me)
                self._user = f"user:{me.id}" + (f" ({me.name})" if me.name else "")
            except RecopsError:
                self._user = "user-token"
        return self._user

    def describe(self) -> str:
        return self.target.describe() if self.base_url is None else (
            f"SANDBOX at {self.base_url}" if self.target.is_sandbox else self.target.describe())

    # --- SDK objects ------------------------------------------------------------------------

    @property
    def api_client(self) -> Any:
        return self._ensure()

    @property
    def http(self) -> RecopsHttpClient:
        self._ensure()
        assert self._http is not None
        return self._http

    def sdk(self) -> Any:
        from .sdk import load  # the SDK in part: only the modules recops uses (recops/sdk.py)

        return load()

    @property
    def conversations_api(self) -> Any:
        return self.sdk().ConversationsApi(self._ensure())

    @property
    def recording_api(self) -> Any:
        return self.sdk().RecordingApi(self._ensure())

    @property
    def analytics_api(self) -> Any:
        return self.sdk().AnalyticsApi(self._ensure())

    def call(self, method: str, path: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run an SDK call; any failure leaves as a recops error naming ``method path``."""
        self._ensure()
        try:
            return fn(*args, **kwargs)
        except RecopsError:
            raise
        except Exception as e:
            raise from_exception(e, method, path) from e

    def last_status(self) -> int | None:
        """The HTTP status of this thread's last exchange (thread-safe, unlike last_response)."""
        ex = self.http.last_exchange()
        return ex.status if ex else None

    def last_context_id(self) -> str | None:
        ex = self.http.last_exchange()
        return ex.context_id if ex else None

    # --- construction -----------------------------------------------------------------------

    def _ensure(self) -> Any:
        if self._api is not None:
            return self._api
        with self._lock:
            if self._api is None:
                self._api = self._build()
        return self._api

    def _resolve_url(self) -> str:
        if self.target.is_sandbox:
            url = self.target.api_url or embedded_sandbox().url
            if not (self._client_id and self._secret) and not self.settings.access_token:
                self._client_id, self._secret = sandbox_demo_credentials(url)
            return url
        if self.target.api_url is None:
            raise ConfigError("no region for the real org", "set GENESYSCLOUD_REGION, e.g. eu-west-1")
        return self.target.api_url

    def _build(self) -> Any:
        url = self._resolve_url()
        self.base_url = url
        from .transport import RecopsHttpClient, RetryPolicy

        sdk = self.sdk()
        api = sdk.ApiClient(host=url)
        api.gateway_configuration = None  # pin: the SDK config file's [gateway] cannot redirect us
        s = self.settings
        self._http = RecopsHttpClient(
            connect_timeout=s.connect_timeout, read_timeout=s.read_timeout,
            policy=RetryPolicy(max_attempts=s.max_attempts, max_retry_after=s.max_retry_after),
            on_wait=self._emit_wait, on_exchange=self._emit_exchange,
            renew=None if s.access_token else self._renew,
        )
        api.set_http_client(self._http)
        if s.access_token:
            api.access_token = s.access_token.get()
        else:
            self._login(api)
        return api

    def _login(self, api: Any) -> None:
        assert self._client_id and self._secret
        try:
            api.get_client_credentials_token(self._client_id, self._secret)
        except Exception as e:
            raise from_exception(e, "POST", "/oauth/token") from e

    def _renew(self, rejected: str = "") -> str:
        """A token to replace ``rejected``: when several threads hit the expiry together, the
        first one logs in and the others reuse its token (one renewal, not one per thread)."""
        with self._token_lock:
            assert self._api is not None
            current = self._api.access_token
            if current and rejected and current != rejected:
                return current
            self._login(self._api)
            return self._api.access_token

    def _emit_wait(self, wait: Wait) -> None:
        if self.on_wait is not None:
            self.on_wait(wait)

    def _emit_exchange(self, exchange: Exchange) -> None:
        if self.on_exchange is not None:
            self.on_exchange(exchange)
