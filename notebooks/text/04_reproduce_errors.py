# ---
# jupyter:
#   jupytext:
#     formats: ipynb,text//py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
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
race_rounds = 3  # the pause race: how many times the two supervisors write at the same moment
target = None  # None (from the environment), "sandbox" or "org"

# %%
from IPython.display import display

import recops
from recops.history.display import readable
from recops.kit import discover
from recops.live.collect import collect
from recops.ops.diagnostics import raw
from recops.ops.race import pause_race

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
# ## A pause race: "pause returned 200 but the call kept recording"
# A customer reports that a supervisor's secure pause answered 200, yet the call went on
# recording. Often a second person (or integration) wrote to the same call at about the same
# moment: `PUT …/calls/{id}/recordingstate` answers 200 with the result of *its own* write, so a
# pause that a resume overtakes a millisecond later still answers `PAUSED`, and nothing in either
# answer says the other write happened. Two snapshots a second apart cannot say which came last.
#
# Here two supervisors (on the sandbox: the supervisor client, and the user Sam Supervisor with a
# token the sandbox mints) write to the same call from two threads at the same moment, round after
# round: the first pauses, the second resumes. Their own answers come first: each got 200 and the
# state it asked for, so each thinks it won (`read_after`, each one's read right after its answer,
# may already show the other's write). Then the Notifications stream, watched through the call's
# agent (`rc.watch(conversations=[...])`), shows the order the platform really applied them: one
# transition per change, for each participant (a write that repeats the current state changes
# nothing and shows nothing), and its last transition is the state the call is in now. Which
# interleaving you get varies from run to run; that the stream tells the true one does not.
# On a real org this section is skipped: it pauses and resumes a live call from two identities.

# %%
second = discover.second_supervisor(rc)  # the sandbox's supervisor user; None on a real org
if second is not None:
    with rc.watch(conversations=[conversation_id]) as stream:
        race = pause_race([rc, second], conversation_id, rounds=race_rounds)  # rc pauses, the other resumes
        seen = collect(stream, idle=3.0, timeout=30)  # ends by itself: 3 s with nothing new, or 30 s
    display(readable(race.frame()))
    print(race.summary())
else:
    print("skipped on a real org: run it on the sandbox (it pauses and resumes a live call from two identities)")

# %%
if second is not None:  # what the platform applied, in order: the true story
    display(readable(seen))
    last = seen.iloc[-1]["new"] if len(seen) else "(no change)"
    print(f"the call now (REST): {race.final}; the stream's last transition: → {last}")
    if race.final == "PAUSED":
        rc.resume(conversation_id)  # the call recording again, as the earlier sections found it

# %% [markdown]
# ## Looking up any error
# Paste a status, a code, an error body or a whole `ApiException` printout.

# %%
display(recops.explain("403 missing.any.permissions"), recops.explain("not.a.user"))
