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
# # 5 · Training walkthrough
#
# A guided session for a training room, on the **sandbox** (no real org needed). Each exercise
# has a cell to complete and a self-check that compares your answer with the sandbox's live
# state. The completed answers are in place so the notebook runs top to bottom; a trainer can
# clear them (`answer = None`) before class.

# %% tags=["parameters"]
target = "sandbox"  # the walkthrough is written for the sandbox's demo org
reset_sandbox = True  # start from the demo scenario

# %%
from IPython.display import display

import recops
from recops import discover, intervals, training
from recops.widgets import ControlPanel, banner

rc = recops.connect(target=target)
sandbox = discover.sandbox_control(rc)
if sandbox is None:
    raise recops.ConfigError("the walkthrough runs on the sandbox", "unset the credentials or pass target='sandbox'")
if reset_sandbox:
    sandbox.reset()
banner(rc)

# %% [markdown]
# ## Exercise 1 — read a recording state
# What is the `recordingState` of conversation `c0a80001-0000-4000-8000-000000000002`?
# (Hint: `rc.status(id).recording_state`.)

# %%
ex1 = "c0a80001-0000-4000-8000-000000000002"
answer = rc.status(ex1).recording_state  # your answer, e.g. "ACTIVE"
training.check_state(rc, "exercise 1", ex1, answer)

# %% [markdown]
# ## Exercise 2 — secure-pause a call
# Pause conversation `c0a80001-0000-4000-8000-000000000001`. Which endpoint did recops use?

# %%
ex2 = "c0a80001-0000-4000-8000-000000000001"
outcome = rc.pause(ex2)  # your turn
display(outcome)
training.check_reached(rc, "exercise 2", ex2, "PAUSED", secure_pause=True)

# %% [markdown]
# ## Exercise 3 — pause it again
# What happens when you pause an already paused call? (The well-known tutorial says 409.
# The real API documents no 409: a repeat succeeds and changes nothing.)

# %%
again = rc.pause(ex2)
display(again)
training.Check("exercise 3", again.skipped, "recops read the state first and sent nothing"
               if again.skipped else "a request was sent")

# %% [markdown]
# ## Exercise 4 — resume with the control panel
# Click **Resume** below, then run the check. (For an unattended run the next cell clicks it.)

# %%
panel = ControlPanel(rc, ex2)
panel

# %%
if panel.recording_state == "PAUSED":
    panel.resume_button.click()  # what your click does
training.check_reached(rc, "exercise 4", ex2, "ACTIVE", secure_pause=False)

# %% [markdown]
# ## Exercise 5 — stop an agent's ad-hoc recording
# Conversation `c0a80001-0000-4000-8000-000000000004` is recorded only because agent Ben
# started an ad-hoc recording. Stopping it needs a **participant's user token**: client
# credentials get 400 `not.a.user` or 403. On the sandbox, `rc.as_sandbox_user(user_id)` mints one.

# %%
ex5 = "c0a80001-0000-4000-8000-000000000004"
ben = next(p for p in rc.status(ex5).participants if p.purpose == "agent")
caught = None
try:
    rc.stop(ex5, ben.id)  # with the supervisor's client credentials
except recops.ApiError as e:
    caught = e
    display(e)
training.check_error("exercise 5a", caught, "missing.any.permissions")

# %%
as_ben = rc.as_sandbox_user(ben.user_id)
display(as_ben.stop(ex5, ben.id))
training.check_adhoc(rc, "exercise 5b", ex5, ben.id, on=False)

# %% [markdown]
# ## Exercise 6 — what share of last week's calls was recorded?

# %%
interval = intervals.last(7 * 24)
week = rc.interval(interval, media_type="voice")
share = float(week["recorded"].mean())  # your answer
training.check_share(rc, "exercise 6", interval, share)
