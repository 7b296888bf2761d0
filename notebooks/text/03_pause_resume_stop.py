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
target = None  # None (from the environment), "sandbox" or "org"

# %%
import recops
from recops.genesys import intervals
from recops.history.display import readable
from recops.kit import discover
from recops.kit.widgets import BulkActions, ControlPanel, StateTable, WorkflowRunner
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
# ## The journal of what was done

# %%
readable(rc.journal.to_frame().tail(10))
