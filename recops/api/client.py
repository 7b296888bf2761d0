"""An authenticated SDK ``ApiClient`` on recops's transport, built on first use.

- The SDK (~1.8 s to import) is imported only when the first call needs it.
- The host is always passed explicitly and the SDK's process-wide gateway is ignored, so a
  ``~/.genesyscloudpython/config`` cannot redirect a recops client.
- Client-credentials tokens are fetched through the same transport (timeouts, no hidden
  retries) and renewed once when a call answers 401.
- Where and as whom is resolved one step before, by ``recops.api.targets`` (the org's URL, or the
  sandbox: embedded or at ``RECOPS_SANDBOX_URL``, with its demo credentials): the client gets
  an ``Endpoint`` (URL, credentials, description), or resolves the settings' on first use.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from recops.genesys.errors import RecopsError, from_exception

from .settings import Settings, Target
from .targets import Credentials, Endpoint, resolve

if TYPE_CHECKING:
    from .transport import Exchange, RecopsHttpClient, Wait

T = TypeVar("T")


class Client:
    """One principal on one target. Thread-safe for calls; ``api_client`` is built once.

    ``endpoint`` (URL, credentials, description) says where and as whom; without it the
    settings' target is resolved (``recops.api.targets.resolve``) when the first call needs it."""

    def __init__(self, settings: Settings | None = None, *, endpoint: Endpoint | None = None,
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
        self._given_endpoint = endpoint
        self.endpoint: Endpoint | None = None  # set on first use
        self.base_url: str | None = None
        self._user: str | None = None
        self._user_id: str | None = None

    # --- who and where ----------------------------------------------------------------------

    @property
    def credentials(self) -> Credentials:
        """The credentials in use (once resolved), else those the settings give."""
        if self.endpoint is not None:
            return self.endpoint.credentials
        if self._given_endpoint is not None:
            return self._given_endpoint.credentials
        s = self.settings
        return Credentials(s.client_id, s.client_secret, s.access_token)

    @property
    def auth_kind(self) -> str:
        return self.credentials.kind

    @property
    def principal(self) -> str:
        """Who acts, for the journal and the UI: a client id, never a secret."""
        if self.credentials.access_token:
            return self._user_principal()
        self._ensure()
        return f"client:{self.credentials.client_id}"

    def _user_principal(self) -> str:
        """``user:<id> (<name>)`` from GET /api/v2/users/me, read once; ``user-token`` if the
        token cannot say who it is."""
        if self._user is None:
            try:
                me = self.call("GET", "/api/v2/users/me", self.sdk().UsersApi(self._ensure()).get_users_me)
                self._user_id = me.id
                self._user = f"user:{me.id}" + (f" ({me.name})" if me.name else "")
            except RecopsError:
                self._user = "user-token"
        return self._user

    @property
    def user_id(self) -> str | None:
        """The id of the user behind a user token (GET /api/v2/users/me, read once); None for
        client credentials, or when the token cannot say who it is."""
        if not self.credentials.access_token:
            return None
        self._user_principal()
        return self._user_id

    def describe(self) -> str:
        return self.endpoint.description if self.endpoint is not None else self.target.describe()

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
        from .sdk import load  # the SDK in part: only the modules recops uses (recops/api/sdk.py)

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

    def _build(self) -> Any:
        endpoint = self._given_endpoint or resolve(self.settings)
        self.endpoint, self.base_url = endpoint, endpoint.url
        from .transport import RecopsHttpClient, RetryPolicy

        sdk = self.sdk()
        api = sdk.ApiClient(host=endpoint.url)
        api.gateway_configuration = None  # pin: the SDK config file's [gateway] cannot redirect us
        s = self.settings
        token = endpoint.credentials.access_token
        self._http = RecopsHttpClient(
            connect_timeout=s.connect_timeout, read_timeout=s.read_timeout,
            policy=RetryPolicy(max_attempts=s.max_attempts, max_retry_after=s.max_retry_after),
            on_wait=self._emit_wait, on_exchange=self._emit_exchange,
            renew=None if token else self._renew,
        )
        api.set_http_client(self._http)
        if token:
            api.access_token = token.get()
        else:
            self._login(api)
        return api

    def _login(self, api: Any) -> None:
        creds = self.credentials
        assert creds.client_id and creds.client_secret
        try:
            api.get_client_credentials_token(creds.client_id, creds.client_secret.get())
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
