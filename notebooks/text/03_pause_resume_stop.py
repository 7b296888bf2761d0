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
# # 3 · Pause, resume, stop
#
# - **Secure pause / resume** writes `recordingState` `PAUSED` / `ACTIVE` on the conversation
#   (`PUT /api/v2/conversations/calls/{id}/recordingstate`, permission
#   `conversation:recording:pauseOthers`).
# - **Start / stop** turns one participant's *ad-hoc* recording on or off
#   (`PATCH …/participants/{pid}` `{"recording": true|false}`) and needs the user token of a
#   participant. On the sandbox, recops mints one for the agent on the call.
#
# Nothing changes until you click. Every change is journaled (intent before, outcome after).

# %% tags=["parameters"]
conversation_id = None  # None: the demo's first call, or the latest live one
workflow_conversation_id = None  # None: on the sandbox, the demo call recorded ad hoc; else conversation_id
run_workflow_headless = False  # True: run the pause → resume → stop workflow without clicks (papermill)
wait_seconds = 5.0
watch_queue = None  # a queue name or id to watch; None: the queue conversation_id went through
watch_changes = None  # None: on the sandbox only, pause and resume conversation_id while watching
watch_seconds = 20.0  # the watch section waits this long at most for the transitions
target = None  # None (from the environment), "sandbox" or "org"

# %%
from IPython.display import display

import recops
from recops.genesys import intervals
from recops.history.display import readable
from recops.kit import discover
from recops.kit.widgets import BulkActions, ControlPanel, StateTable, WorkflowRunner
from recops.live.collect import Collector
from recops.ops.participants import adhoc_rights

rc = recops.connect(target=target)
conversation_id = conversation_id or discover.live_conversation(rc)

# %% [markdown]
# ## Control panel
# Buttons are enabled only where the transition makes sense: Pause while recording and not
# secure-paused, Resume during a secure pause, Start/Stop per connected participant.

# %%
panel = ControlPanel(rc, conversation_id)
panel

# %% [markdown]
# ## Workflow: pause → wait → resume → wait → stop
# Edit the waits, run, cancel at any time; the timeline is plotted at the end.

# %%
workflow_conversation_id = workflow_conversation_id or discover.workflow_conversation(rc, conversation_id)
status = rc.status(workflow_conversation_id)
agent = adhoc_rights(rc, status).actor_participant_id  # the participant whose token may stop: the agent
runner = WorkflowRunner(rc, status.conversation_id, participant_id=agent,
                        wait_after_pause=wait_seconds, wait_after_resume=wait_seconds)
runner

# %%
if run_workflow_headless:
    runner.start()
    runner.done.wait(4 * wait_seconds + 60)
    print([step.name for step in runner.result.steps], "cancelled" if runner.result.cancelled else "done")

# %% [markdown]
# ## Bulk actions on a selection
# Select rows in the table, choose pause or resume, run. Rate-limit waits show as they happen.

# %%
live = rc.interval(intervals.last(24), media_type="voice")
table = StateTable(rc, live[~live["ended"].astype(bool)]["conversation_id"].tolist())
bulk = BulkActions(rc, lambda: table.selected_ids)
table

# %%
bulk

# %% [markdown]
# ## Watch a queue: pushed, not polled
# `rc.watch(queues=[...])` subscribes to the queue's topic
# (`v2.routing.queues.{id}.conversations.calls`) through the Notifications API: every change of a
# call's recording state on that queue arrives as a `Transition` (old → new, secure pause, held,
# topic, `recovered`) as soon as the platform publishes it. Polling (the state table above,
# `rc.states(...)`) reads every call again and again, spends the per-token request budget that
# history and export need, and misses a pause and a resume that fall between two reads; the stream
# sends one event per change and costs no request while nothing changes.
#
# Its limits (docs/live.md): a channel lives 24 hours (recops renews it before), 20 channels per
# user and application (a 21st silently evicts one: recops refuses first), 1,000 topics per
# channel, one socket per channel, and **no replay**: what happens while the socket is down is
# never sent. After any gap recops re-reads the calls it knows through REST and emits what changed,
# marked `recovered=True` (a pause *and* a resume inside one gap leave nothing to re-read). A call
# first seen on the stream shows `(first seen)` as its old state.
#
# The first cell starts the watch; it runs in the background. On the sandbox the next cell pauses
# and resumes this notebook's call while it watches; on a real org it changes nothing: click Pause
# and Resume in the control panel above, then run the third cell, which waits for four transitions
# (a pause and a resume, for each of the call's two participants) or `watch_seconds`, whichever
# comes first, and closes the watch.

# %%
watch_queue = watch_queue or discover.queue_of(rc, conversation_id)
seen = Collector()  # keeps every transition; the stream calls it from its own thread
stream = rc.watch(queues=[watch_queue], callback=seen)
print(f"watching {watch_queue}: {len(stream.channels)} channel(s), rejected topics: {stream.rejected or 'none'}")

# %%
if rc.is_sandbox if watch_changes is None else watch_changes:  # a short scripted sequence
    display(rc.pause(conversation_id), rc.resume(conversation_id))

# %%
seen.wait(count=4, timeout=watch_seconds)  # ends by itself: four transitions, or the time is up
stream.close()
readable(seen.frame())

# %% [markdown]
# ## The journal of what was done

# %%
readable(rc.journal.to_frame().tail(10))
