# ---
# jupyter:
#   jupytext:
#     formats: ipynb,text//py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 4 · Reproducing errors (for support engineers)
#
# Each section sends the real request, shows the **raw exchange** (status, `inin-*` headers,
# `Retry-After`, body — the Authorization header is never shown), recops's **explanation**, and
# the **fix**; exchanges, explanations and errors render themselves (`display(x)`). On a real
# org only the reproductions that need no fault injection run; on the sandbox all of them do.
# Injected responses carry `X-Sandbox-Fault: injected`.

# %% tags=["parameters"]
conversation_id = None  # a live conversation; None: the demo's first call, or the latest live one
ended_conversation_id = None
target = None  # None (from the environment), "sandbox" or "org"

# %%
from IPython.display import display

import recops
from recops.kit import discover
from recops.ops.diagnostics import raw

rc = recops.connect(target=target)
sandbox = discover.sandbox_control(rc)  # None on a real org
conversation_id = conversation_id or discover.live_conversation(rc)
ended_conversation_id = ended_conversation_id or discover.ended_conversation(rc)
print(rc.target)

# %% [markdown]
# ## 401 — no token, and a bad or expired token

# %%
ex = raw(rc, "GET", f"/api/v2/conversations/{conversation_id}", token=None)
display(ex, ex.explain())

# %%
ex = raw(rc, "GET", f"/api/v2/conversations/{conversation_id}", token="not-a-real-token")
display(ex, ex.explain())

# %% [markdown]
# ## 403 — a client without `conversation:recording:pauseOthers`
# On the sandbox, the demo client `sandbox-readonly` lacks it.

# %%
if sandbox is not None:
    secret = next(c["clientSecret"] for c in sandbox.clients() if c["clientId"] == "sandbox-readonly")
    readonly = recops.connect(sandbox_url=rc.client.base_url, client_id="sandbox-readonly",
                              client_secret=secret, journal=rc.journal)
    try:
        readonly.pause(conversation_id)
    except recops.PermissionDenied as e:
        display(e)  # status, code, Genesys's message, contextId, the permissions that would do, the remedy
else:
    print("skipped on a real org: connect with a client that lacks pauseOthers to see it")

# %% [markdown]
# ## 404 — an unknown conversation, and the tutorial's invented endpoint
# There is no `PUT /api/v2/recordings/{id}`; recording state lives on the conversation.

# %%
ex = raw(rc, "GET", "/api/v2/conversations/00000000-0000-4000-8000-00000000dead")
display(ex, ex.explain())

# %%
ex = raw(rc, "PUT", f"/api/v2/recordings/{conversation_id}", body={"status": "paused"})
display(ex, recops.explain("PUT /api/v2/recordings/{id}"))

# %% [markdown]
# ## An ended conversation
# Reads still work; a change answers 400 `conversation.error.call.disconnected`. recops checks
# first and sends nothing.

# %%
ex = raw(rc, "PUT", f"/api/v2/conversations/calls/{ended_conversation_id}/recordingstate",
         body={"recordingState": "PAUSED"}) if sandbox is not None else None
display(ex if ex is not None else "(not sent on a real org)")
try:
    rc.pause(ended_conversation_id, confirm=False)
except recops.InvalidTransition as e:
    display(e)

# %% [markdown]
# ## 400 `not.a.user` — a participant's endpoint with client credentials
# `PATCH /api/v2/conversations/calls/{id}` (the participant's own secure pause) needs a user token.
# Even a client holding every permission gets `not.a.user`: on the sandbox, `sandbox-integration`.

# %%
caller = rc
if sandbox is not None:
    secret = next(c["clientSecret"] for c in sandbox.clients() if c["clientId"] == "sandbox-integration")
    caller = recops.connect(sandbox_url=rc.client.base_url, client_id="sandbox-integration",
                            client_secret=secret, journal=rc.journal)
ex = raw(caller, "PATCH", f"/api/v2/conversations/calls/{conversation_id}", body={"recordingState": "PAUSED"})
display(ex, ex.explain())

# %% [markdown]
# ## 409 — injected
# Genesys documents **no 409** for recording state: a repeated pause succeeds. A 409 here is an
# injected fault, and recops reports a generic conflict, never "already paused".

# %%
if sandbox is not None:
    sandbox.fault(method="PUT", path="/api/v2/conversations/*/recordingstate", status=409, code="general.conflict")
    ex = raw(rc, "PUT", f"/api/v2/conversations/calls/{conversation_id}/recordingstate",
             body={"recordingState": "PAUSED"})
    display(ex, ex.explain())
else:
    print("skipped on a real org: no documented way to produce a 409 here")

# %% [markdown]
# ## 429 with `Retry-After`
# The budget is per token per minute: 300 by default, the figure the explanation below quotes.
# To reach it in four requests, the cell lowers the sandbox's budget to 3 per minute on purpose,
# so the 429 says `inin-ratelimit-allowed: 3`; it puts 300 back afterwards. The SDK would silently
# retry a 429 up to 10 times; raw requests show it, and recops waits for `Retry-After` and says so.

# %%
if sandbox is not None:
    sandbox.settings(rateLimitPerMinute=3)  # on purpose: 3 per minute, so the fourth request gets the 429
    for _ in range(4):
        ex = raw(rc, "GET", f"/api/v2/conversations/{conversation_id}")
    display(ex, ex.explain())
    sandbox.settings(rateLimitPerMinute=300)  # the default again
else:
    print("skipped on a real org: exhausting the real budget would disturb other integrations")

# %% [markdown]
# ## Looking up any error
# Paste a status, a code, an error body or a whole `ApiException` printout.

# %%
display(recops.explain("403 missing.any.permissions"), recops.explain("not.a.user"))
