"""``explain(text)``: what an error means and what to do, for a status, a Genesys code, a pasted
error body (or a whole ``ApiException`` printout), or a call copied from the well-known but
wrong tutorial (``PUT /api/v2/recordings/{id}``, ``PlatformClient``, ``euw1.pure.cloud`` ...).
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import asdict, dataclass
from html import escape
from typing import Any

from recops.base.display import BLUE, box, html_rows, rich_text

from . import codes
from .errors import parse_body, permissions_from, remedy_for


@dataclass(frozen=True)
class Explanation:
    topic: str
    meaning: str
    remedy: str
    evidence: str
    status: int | None = None
    code: str | None = None
    context_id: str | None = None
    permissions: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    def head(self) -> str:
        """``403 missing.any.permissions``; the topic when there is neither status nor code."""
        return " ".join(str(x) for x in (self.status, self.code) if x) or self.topic

    def lines(self) -> list[tuple[str, str]]:
        """(label, text): what it means, the permissions it needs, what to do, how we know, contextId."""
        lines = [("meaning", self.meaning)]
        if self.permissions:
            lines.append(("needs any of", ", ".join(self.permissions)))
        lines += [("do", self.remedy), ("evidence", self.evidence)]
        if self.context_id:
            lines.append(("contextId", f"{self.context_id} (quote it to Genesys support)"))
        return lines

    @staticmethod
    def label(label: str) -> str:
        """``  meaning:  ``: the label padded so the texts start in one column ("needs any of:" goes past it)."""
        return f"  {label + ':':<9} "

    def __str__(self) -> str:
        return "\n".join([self.head(), *(self.label(label) + text for label, text in self.lines())])

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # IPython's plain text: the explanation, not the repr
        p.text(str(self))

    def __rich_console__(self, console: Any, options: Any) -> Any:
        """What str() says, styled, and wrapped to the terminal's width at word boundaries, each
        text beside its label (an id or path is never split at its hyphens; only a word longer
        than the column is)."""
        styles = {"do": "yellow", "evidence": "dim"}
        yield rich_text((self.head(), "bold"))
        for label, text in self.lines():
            prefix = self.label(label)
            chunks = textwrap.wrap(text, max(20, options.max_width - len(prefix)), break_on_hyphens=False) or [""]
            yield rich_text((prefix, styles.get(label, "bold")), chunks[0])
            for chunk in chunks[1:]:
                yield rich_text(" " * len(prefix) + chunk)

    def _repr_html_(self) -> str:
        head = f"<b>{escape(self.head())}</b>" + (f" <i>{escape(self.topic)}</i>" if self.topic != self.code else "")
        return box("recops-explanation", BLUE, f"<div>{head}</div>{html_rows(self.lines())}")


TUTORIAL_EVIDENCE = codes.Evidence("documented", "the SDK, CLI and spec have no such name "
                                   "(docs/genesys-api.md, 'Common misinformation')")
TUTORIAL: list[tuple[re.Pattern[str], str, str, str]] = [
    # --- the end of a recording's life (issue 19, engineer L): invented names from generated pages ---
    (re.compile(r"/api/v2/recordings/jobs\b", re.I),
     "POST /api/v2/recordings/jobs (plural: an invented route)",
     "There is no /api/v2/recordings/jobs: 404 not.found. Bulk recording jobs live at /api/v2/recording/jobs "
     "(singular), created 202 PENDING, READY with counts, executed by PUT {\"state\": \"PROCESSING\"}.",
     "POST /api/v2/recording/jobs (RecordingApi.post_recording_jobs, recording:job:add); then GET it until READY "
     "and PUT {\"state\":\"PROCESSING\"} with the count checked — `recops jobs plan` then "
     "`recops jobs run JOB_ID --confirm-count N`."),
    (re.compile(r"wss://api\.[\w.]+/api/v2/notifications/stream|/api/v2/notifications/stream", re.I),
     "wss://api.mypurecloud.com/api/v2/notifications/stream (an invented WebSocket URL)",
     "No such endpoint. A notification channel is created with POST /api/v2/notifications/channels, whose "
     "connectUri is wss://streaming.{environment}/channels/{channelId}; it lives 24 hours (not 30 minutes), "
     "kept alive by re-subscribing.",
     "POST /api/v2/notifications/channels, subscribe topics with POST …/channels/{id}/subscriptions, then open "
     "the channel's connectUri."),
    (re.compile(r"recording:job:(control|execute|run|write|manage)|recording:(jobs|bulk|retention|legalhold):\w+",
                re.I),
     "invented recording-job scopes (recording:job:control, ...)",
     "These are not Genesys permissions, and client-credentials clients ignore scopes: roles decide.",
     "Recording jobs need recording:job:add (create), recording:job:view (read, list, failed recordings), "
     "recording:job:edit plus recording:recording:editRetention (and the screenRecording/snippetRecording "
     "editRetention) to execute, recording:job:delete to cancel; legal hold needs "
     "recording:deletionProtection:apply / :revoke."),
    (re.compile(r"(PUT|PATCH|POST)?\s*/api/v2/recordings/(?!(deletionprotection|retention|screensessions)\b)"
                r"[^/\s]+(/control)?\b", re.I),
     "PUT /api/v2/recordings/{id} (the tutorial's pause call)",
     "There is no such route, so it answers 404 not.found. Recording state lives on the conversation, "
     "and /api/v2/recordings/... only has deletionprotection, retention/query and screensessions.",
     "Secure pause / resume: PUT /api/v2/conversations/calls/{conversationId}/recordingstate with "
     "{\"recordingState\": \"PAUSED\"|\"ACTIVE\"} (conversation:recording:pauseOthers) — `recops pause ID`. "
     "A participant's recording on/off: PATCH /api/v2/conversations/calls/{id}/participants/{pid} "
     "{\"recording\": true|false} — `recops start|stop ID --participant PID`."),
    (re.compile(r"/api/v2/conversations/voice/|/recording-sessions|/recording/start", re.I),
     "an invented /conversations/voice/... or /recording-sessions route",
     "No such route exists in the API: 404 not.found.",
     "Use /api/v2/conversations/calls/{id}/recordingstate (pause/resume) or the participant PATCH (start/stop)."),
    (re.compile(r"\bPlatformClient\b|set_environment|authenticate_client_credentials|genesys-cloud-sdk|"
                r"purecloud_platform_client_v2", re.I),
     "PlatformClient / set_environment / authenticate_client_credentials",
     "These names exist in no Genesys SDK. The package is PureCloudPlatformClientV2.",
     "ApiClient(host=PureCloudRegionHosts.eu_west_1.get_api_host()).get_client_credentials_token(id, secret) "
     "— or just recops.connect()."),
    (re.compile(r"ConversationApi\b|get_conversation_by_id", re.I),
     "ConversationApi.get_conversation_by_id",
     "The class is ConversationsApi (plural) and the method get_conversation(conversation_id).",
     "ConversationsApi(api).get_conversation(id), or get_conversations_call(id) for the call view "
     "— or recops status ID."),
    (re.compile(r"put_recording_by_id|Recording\(status", re.I),
     "RecordingApi.put_recording_by_id / Recording(status=...)",
     "No such method; Recording has no status, and models take no constructor arguments. "
     "RecordingApi.put_conversation_recording only edits retention dates.",
     "Change recording state on the conversation (recops pause / resume)."),
    (re.compile(r"euw1\.pure\.cloud|auw2\.pure\.cloud", re.I),
     "an invented region host",
     "euw1.pure.cloud and auw2.pure.cloud do not exist. eu-west-1 is mypurecloud.ie; Sydney is mypurecloud.com.au.",
     "Set GENESYSCLOUD_REGION=eu-west-1 (or ap-southeast-2)."),
    (re.compile(r"recording:write|recording:control|conversation:recording:write|analytics:conversation:read", re.I),
     "invented scopes",
     "These are not Genesys scopes, and client-credentials clients ignore scopes altogether: roles decide.",
     "Give the OAuth client's role conversation:recording:pauseOthers (pause/resume), recording:recording:view, "
     "analytics:conversationDetail:view."),
    (re.compile(r"X-Rate-Limit", re.I),
     "X-Rate-Limit-* headers",
     "Genesys sends inin-ratelimit-count / inin-ratelimit-allowed / inin-ratelimit-reset, and Retry-After on 429.",
     "Read the inin-ratelimit-* headers (recops paces itself on them)."),
]


def explain(text: str | int) -> Explanation:
    """Explain a status (``404``), a code (``not.a.user``), ``"403 missing.any.permissions"``, a
    pasted error body or ApiException printout, or a tutorial call."""
    raw = str(text).strip()
    if not raw:
        raise ValueError("nothing to explain: give a status, a code, an error body or a call")
    body = parse_body(raw) or _embedded_body(raw)
    if body.get("code") or body.get("error"):
        status = body.get("status")
        if not isinstance(status, int):  # e.g. the token endpoint's body: the printout's "(400)"
            lead = re.match(r"^\(?(\d{3})\b", raw)
            status = int(lead.group(1)) if lead else None
        return _from_code(status, str(body.get("code") or body.get("error")), body)
    for pattern, topic, meaning, remedy in TUTORIAL:
        if pattern.search(raw):
            return Explanation(topic=topic, meaning=meaning, remedy=remedy,
                               evidence=str(TUTORIAL_EVIDENCE), status=404 if "/api/v2" in raw else None,
                               code="not.found" if "/api/v2" in raw else None)
    # "404", "(403)", "403 missing.any.permissions", "400 invalid_client"; a code needs a dot or an
    # underscore, so "404 Not Found" or a printout's "(500)\nReason: ..." is read as a bare status.
    m = re.match(r"^\(?(\d{3})\)?(?:[ \t]+([a-z][\w]*[._][\w.]*))?(?![\w.])", raw)
    if m:
        status = int(m.group(1))
        return _from_code(status, m.group(2) or codes.code_for_status(status), {})
    if re.match(r"^[a-z_][\w.]*$", raw):
        return _from_code(None, raw, {})
    raise ValueError(f"cannot explain {raw[:80]!r}: give a status (404), a code (not.a.user), "
                     "a pasted error body, or an API call")


def _embedded_body(raw: str) -> dict[str, object]:
    """The first JSON object with a ``code`` or ``error`` inside pasted text, e.g. the body in
    ``str(ApiException)``, which also prints the headers as ``HTTPHeaderDict({...})`` first."""
    decoder = json.JSONDecoder()
    marker = raw.find("HTTP response body:")
    starts = [raw.find("{", marker)] if marker >= 0 else []
    starts += [m.start() for m in re.finditer(r"\{", raw)]
    for start in starts:
        if start < 0:
            continue
        try:
            value, _ = decoder.raw_decode(raw, start)
        except ValueError:
            continue
        if isinstance(value, dict) and (value.get("code") or value.get("error")):
            return value
    return {}


def _from_code(status: int | None, code: str, body: dict[str, object]) -> Explanation:
    row = codes.code_row(code)
    meaning = row.meaning if row is not None else codes.UNKNOWN_MEANING
    evidence = row.evidence if row is not None else codes.UNKNOWN_EVIDENCE
    permissions = tuple(permissions_from(body)) if body else ()
    remedy = remedy_for(status or 0, code, list(permissions))
    context_id = body.get("contextId") if body else None
    if body.get("message") and row is None:
        meaning = f"{meaning} Genesys said: {body['message']}"
    return Explanation(topic=code, meaning=meaning, remedy=remedy, evidence=str(evidence), status=status,
                       code=code, context_id=str(context_id) if context_id else None, permissions=permissions)
