"""Deletion protection (legal hold): ``PUT /api/v2/recordings/deletionprotection?protect=true|false``
and ``POST /api/v2/recordings/deletionprotection`` (the check). There is no GET [documented].

- PUT: each direction needs its own permission (``…:apply`` / ``…:revoke``) [documented]; at most
  100 conversation ids a request and 1000 protected conversations per org [documented limits;
  the answers past them are the sandbox's choice: 400 ``bad.request`` for >100, the
  ``protectionCapAnswer`` assumption for the org cap]; answers SDK 269's
  ``ManageDeleteProtectionResult`` ``{"failedUpdates": [...]}`` [documented model]; unknown
  conversations and conversations without a recording follow ``protectionUnknownConversation``.
- POST: needs no permission [documented]; answers the given conversations that are protected, as
  ``AddressableEntityRef`` ``[{"id","selfUri"}]`` [subset reading inferred].

The effect on deletion lives in ``recordings`` (``protectedDeleteDate``). A hold applied or lifted
publishes the file states it moves at once (``recording_events.protection_changed``; issue 20).
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..http.routes import Row
from ..http.wire import Reply, Request, json_reply
from ..model import errors
from ..model.models import Token
from . import recording_events
from .base import ApiHandlers

APPLY = ("recording:deletionProtection:apply",)
REVOKE = ("recording:deletionProtection:revoke",)
MAX_IDS = 100  # per request [documented]
ORG_CAP = 1000  # protected conversations per org [documented]


def _ref(cid: str) -> dict[str, str]:
    return {"id": cid, "selfUri": f"/api/v2/conversations/{cid}"}


def _failed(cid: str, code: str, message: str) -> dict[str, Any]:
    return {"conversation": _ref(cid), "errorCode": code, "errorMessage": message}


class DeletionProtectionApi(ApiHandlers):
    def _ids(self, req: Request, required: bool) -> list[str]:
        body = req.json(required=required)
        if body is None:
            return []
        ids = body.get("conversationIds") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not all(isinstance(i, str) and i for i in ids):
            raise errors.bad_request("The body must be a ConversationDeletionProtectionQuery: "
                                     "{\"conversationIds\": [\"<conversation id>\", ...]}.")
        if len(ids) > MAX_IDS:
            raise errors.bad_request(f"conversationIds holds {len(ids)} ids; at most {MAX_IDS} are allowed "
                                     "a request. Send them in batches of 100.")
        return list(dict.fromkeys(ids))

    def _eligible(self, token: Token, ids: list[str]) -> tuple[list[str], list[dict[str, Any]]]:
        """The ids that can be protected, and the failed updates of the others (or 404)."""
        ok: list[str] = []
        failed: list[dict[str, Any]] = []
        as_404 = self.state.settings.assumption("protectionUnknownConversation") == "notFound"
        for cid in ids:
            conv = self.state.conversation(token.org, cid)
            if conv is None or not conv.recordings:
                if as_404:
                    raise errors.not_found()
                failed.append(_failed(cid, "not.found", "The conversation was not found.") if conv is None else
                              _failed(cid, "recording.not.found", "The conversation has no recording to protect."))
            else:
                ok.append(cid)
        return ok, failed

    def put_protection(self, req: Request) -> Reply:
        token = req.bearer
        protect = (req.q("protect") or "true").lower()
        if protect not in ("true", "false"):
            raise errors.invalid_value(req.q("protect"), "protect", ["true", "false"])
        applying = protect == "true"
        self._require_any(token, APPLY if applying else REVOKE)
        ids = self._ids(req, required=False)
        with self.state.lock:
            ok, failed = self._eligible(token, ids)
            if applying:
                held = self.state.org(token.org).protected
                new = [cid for cid in ok if cid not in held]
                room = max(0, ORG_CAP - len(held))
                if len(new) > room:
                    if self.state.settings.assumption("protectionCapAnswer") == "reject":
                        raise errors.bad_request(
                            f"Protecting {len(new)} more conversations would pass the organization's limit of "
                            f"{ORG_CAP} protected conversations ({len(held)} are protected now). Revoke "
                            "protection from some first.")
                    over = set(new[room:])
                    failed += [_failed(cid, "recording.protection.limit.exceeded",
                                       f"The organization already has {ORG_CAP} protected conversations.")
                               for cid in new[room:]]
                    ok = [cid for cid in ok if cid not in over]
            # a hold moves a recording whose delete date passed (DELETED while unprotected): published now
            recording_events.protection_changed(self.state, token.org, ok,
                                                lambda: self.state.set_protection(token.org, ok, applying))
        return json_reply(200, {"failedUpdates": failed})

    def post_check(self, req: Request) -> Reply:
        token = req.bearer  # "Requires no permissions" [documented]
        ids = self._ids(req, required=True)
        with self.state.lock:
            return json_reply(200, [_ref(cid) for cid in ids if self.state.is_protected(token.org, cid)])

    ROUTES: ClassVar[tuple[Row, ...]] = (
        Row("PUT", "api/v2/recordings/deletionprotection", put_protection),
        Row("POST", "api/v2/recordings/deletionprotection", post_check),
    )
