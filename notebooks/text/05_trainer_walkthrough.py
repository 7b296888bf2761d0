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
# has a cell for you to complete and, below it, a self-check that compares your answer with the
# sandbox's live state: it says **PASSED**, or **NOT YET** and what is missing. Fill in the
# cell, run it, then run its check.

# %% [markdown] tags=["trainer"]
# **Trainer form.** The answers are filled in (the cells tagged `solution`), so this notebook
# runs top to bottom and every check says PASSED. The trainee form,
# `05_trainee_exercises.ipynb`, is generated from this one: each answer is a blank
# (`answer = None`), the exercises and the checks are the same. Edit only this form, then run
# `recops training forms` to regenerate the trainee form (`--check` says whether it is stale).

# %% tags=["parameters"]
target = "sandbox"  # the walkthrough is written for the sandbox's demo org
reset_sandbox = True  # start from the demo scenario

# %%
import recops
from recops.genesys import intervals
from recops.kit import discover, training
from recops.kit.widgets import ControlPanel, banner

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

# %% tags=["solution"]
answer = rc.status(ex1).recording_state  # your answer, e.g. "ACTIVE"

# %% tags=["check"]
training.check_state(rc, "exercise 1", ex1, answer)

# %% [markdown]
# ## Exercise 2 — secure-pause a call
# Pause conversation `c0a80001-0000-4000-8000-000000000001` with `rc.pause(id)`. Which endpoint
# did recops use? (Display what it returns.)

# %%
ex2 = "c0a80001-0000-4000-8000-000000000001"

# %% tags=["solution"]
outcome = rc.pause(ex2)  # your turn: pause ex2
outcome

# %% tags=["check"]
training.check_reached(rc, "exercise 2", ex2, "PAUSED", secure_pause=True, todo="pause ex2 with rc.pause")

# %% [markdown]
# ## Exercise 3 — pause it again
# What happens when you pause an already paused call? (The well-known tutorial says 409.
# The real API documents no 409: a repeat succeeds and changes nothing.)

# %% tags=["solution"]
again = rc.pause(ex2)  # your turn: pause ex2 again
again

# %% tags=["check"]
training.check_skipped("exercise 3", again)

# %% [markdown]
# ## Exercise 4 — resume with the control panel
# Click **Resume** below, then run the check.

# %%
panel = ControlPanel(rc, ex2)
panel

# %% tags=["solution"]
# Nothing to write here: click Resume in the panel above.
if panel.recording_state == "PAUSED":  # the trainer form clicks it, for an unattended run
    panel.resume_button.click()

# %% tags=["check"]
training.check_clicked(rc, "exercise 4", panel, "resume", "ACTIVE")

# %% [markdown]
# ## Exercise 5a — stop an agent's ad-hoc recording with the client's credentials
# Conversation `c0a80001-0000-4000-8000-000000000004` is recorded only because agent Ben
# started an ad-hoc recording. Stopping it needs a **participant's user token**: client
# credentials get 400 `not.a.user` or 403. Try it with the supervisor's client first.

# %%
ex5 = "c0a80001-0000-4000-8000-000000000004"
ben = next(p for p in rc.status(ex5).participants if p.purpose == "agent")

# %% tags=["solution"]
# First with the supervisor's client credentials: rc.stop(ex5, ben.id) raises a recops.ApiError;
# catch it and keep it in `caught`.
caught = None  # the error you caught
try:
    rc.stop(ex5, ben.id)
except recops.ApiError as e:
    caught = e
caught

# %% tags=["check"]
training.check_error("exercise 5a", caught, "missing.any.permissions")

# %% [markdown]
# ## Exercise 5b — stop it as the agent
# On the sandbox, `rc.as_sandbox_user(user_id)` mints a participant's user token: stop the
# recording as Ben.

# %% tags=["solution"]
# As Ben, with his user token: as_ben.stop(ex5, ben.id).
as_ben = rc.as_sandbox_user(ben.user_id)  # a session acting as Ben
as_ben.stop(ex5, ben.id)

# %% tags=["check"]
training.check_adhoc(rc, "exercise 5b", ex5, ben.id, on=False)

# %% [markdown]
# ## Exercise 6 — what share of last week's calls was recorded?
# (Hint: `rc.interval(interval, media_type="voice")` is a table with a `recorded` column.)

# %%
interval = intervals.last(7 * 24)

# %% tags=["solution"]
week = rc.interval(interval, media_type="voice")  # last week's voice calls
share = float(week["recorded"].mean())  # your answer, a number from 0 to 1

# %% tags=["check"]
training.check_share(rc, "exercise 6", interval, share)
