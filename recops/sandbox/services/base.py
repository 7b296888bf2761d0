"""What every emulated ``/api/v2`` handler class shares: the state and the checks.

Check order inside a handler (the real order is [unknown]; the sandbox's choice): permissions
(403) / user context (400 ``not.a.user``), in the order the ``permissionCheckOrder``
assumption sets -> body (400/415) -> entity (404) -> state (400). Route, bearer token and rate
limit come before, in the pipeline (http/pipeline.py).
"""

from __future__ import annotations

from collections.abc import Callable

from ..model import errors
from ..model import permissions as perms
from ..model.errors import ApiError
from ..model.models import Conversation, Token
from ..model.state import SandboxState


class ApiHandlers:
    def __init__(self, state: SandboxState) -> None:
        self.state = state

    # --- checks -------------------------------------------------------------------------------

    def _require_any(self, token: Token, wanted: tuple[str, ...]) -> None:
        if not perms.holds_any(self.state.token_permissions(token), wanted):
            raise errors.missing_any_permissions(list(wanted))

    def _user_endpoint(self, token: Token, wanted: tuple[str, ...]) -> None:
        """Permissions and user context, in the order the ``permissionCheckOrder`` assumption sets."""
        user_first = self.state.settings.assumption("permissionCheckOrder") == "userContextFirst"
        if user_first and not token.is_user:
            raise errors.not_a_user()
        if wanted:
            self._require_any(token, wanted)
        if not token.is_user:
            raise errors.not_a_user()

    def _conversation(self, token: Token, cid: str, calls_route: bool = False,
                      not_found: Callable[[], ApiError] = errors.not_found) -> Conversation:
        conv = self.state.conversation(token.org, cid)  # another org's id is simply unknown
        if conv is None or (calls_route and conv.media_type != "call"):
            raise errors.conversation_not_found() if calls_route else not_found()
        return conv


# --- query parameters ---------------------------------------------------------------------


def positive_int(text: str | None, name: str, default: int) -> int:
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise errors.invalid_value(text, name, ["a positive whole number"]) from None
    if value <= 0:
        raise errors.invalid_value(text, name, ["a positive whole number"])
    return value


def bool_param(text: str | None, name: str) -> bool:
    if text is None:
        return False
    if text.lower() not in ("true", "false"):
        raise errors.invalid_value(text, name, ["true", "false"])
    return text.lower() == "true"
