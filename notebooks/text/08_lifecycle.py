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
# # 8 · The end of a recording's life: coverage, retention, legal hold, bulk jobs
#
# Which conversations of an interval have no usable recording, and why; when their recordings
# will be archived or deleted; keeping some from deletion (legal hold); and a bulk job
# (`DELETE`, `ARCHIVE` or `EXPORT` over a conversation query, `/api/v2/recording/jobs`)
# **rehearsed on the sandbox, then planned for your target** — planned only: a job runs when
# you type its exact recording count (`rc.run_recording_job(plan, confirm_count=N)`, or
# `recops jobs run JOB --confirm-count N`), never from this notebook on a real org.
# Every change is journaled. The path and its evidence: `docs/lifecycle.md`.

# %% tags=["parameters"]
interval = None  # ISO-8601 "start/end"; None: the last 7 days
queue = None  # a queue id to look at only its conversations; None: every queue
action = "DELETE"  # the bulk job to rehearse and plan: "DELETE" or "ARCHIVE" ("EXPORT" needs an S3 integration id)
action_in_days = 365  # the job's action date, this many days from now (on the rehearsal: minutes, see below)
hold = 2  # how many conversations to put under legal hold (kept through the rehearsed job), then release
target = None  # None (from the environment), "sandbox" or "org"

# %%
from datetime import datetime, timedelta, timezone

from IPython.display import display

import recops
from recops.genesys import intervals
from recops.kit import discover
from recops.kit.widgets import banner
from recops.lifecycle.charts import gaps_by_reason, retention_overview

rc = recops.connect(target=target)
sandbox = discover.sandbox_control(rc)  # None on a real org
interval = interval or intervals.last(hours=7 * 24)
banner(rc)

# %% [markdown]
# ## Coverage: every conversation, and why some have no usable recording
# One row per conversation: its recordings' file states, archive and delete dates, legal hold,
# and for a conversation without a usable recording the reason — *not recorded*, *orphaned*
# (its recording is an orphan naming it), *transcoding*, *archived*, *deleted* (by a policy, or
# *by a recops job* this journal ran). Finished days are kept and never fetched again.

# %%
cov = rc.coverage(interval, queue=queue)
cov

# %%
gaps = gaps_by_reason(cov)  # the figure shows below the cell

# %% [markdown]
# The rows stay queryable with SQL, beside the interval tables:

# %%
rc.store.sql("select reason, count(*) as conversations from coverage where not usable group by reason order by 2 desc")

# %% [markdown]
# ## Retention overview: what will be archived or deleted, month by month
# A retention policy never changes recordings that already exist; their dates do. Per month,
# the conversations whose recordings are due to be archived or deleted then, and how many of
# those to delete are under legal hold (protection overrides a delete date while it lasts).

# %%
retention_overview(cov)

# %% [markdown]
# ## Orphan recordings
# Recordings that matched no conversation or policy stay on the Edge until someone acts. One
# naming a conversation that exists can be attached to it (journaled); the coverage then shows
# that conversation usable. Those naming none (or one that does not exist) need a conversation
# given: `rc.reattach_orphan(orphan_id, conversation_id=...)`.

# %%
orphans = rc.orphans()
orphans

# %%
orphaned = cov.frame[cov.frame["reason"] == "orphaned"]  # conversations whose recording is an orphan
if sandbox is not None and len(orphaned):  # on a real org: rc.reattach_orphan(orphan_id, confirm=True)
    display(rc.reattach_orphan(orphaned["orphan_id"].iloc[0]))

# %% [markdown]
# ## Legal hold: protect and check
# At most 100 conversations a request and 1,000 an org; recops refuses before any change that
# would pass the cap, showing the count it knows (Genesys has no GET of protected
# conversations). Here a few conversations with a usable recording are protected and checked
# (on a real org each change needs `confirm=True`; this notebook changes nothing there).

# %%
usable = cov.frame[cov.frame["usable"].fillna(False).astype(bool)]["conversation_id"].head(hold).tolist()
if sandbox is not None and usable:
    display(rc.protect(usable))
    display(rc.protected(usable))

# %% [markdown]
# A delete date on a protected conversation is refused before anything is sent (a dry run shows it):

# %%
if sandbox is not None and usable:
    display(rc.set_retention(usable[:1], delete_date=datetime.now(timezone.utc) + timedelta(days=action_in_days),
                             dry_run=True))

# %% [markdown]
# ## A bulk job, rehearsed on the sandbox
# The same calls as on the real org, on a few conversations of the sandbox (the one this
# notebook runs on, or the embedded one when your target is a real org). The plan's counts are
# the job's own `READY` counts, and it names the protected conversations the job will skip (the
# ones held above are among them); the run needs that exact count typed; the job is followed to
# its end and its failed recordings listed. The action date is two minutes away, then the
# sandbox clock moves on three, so the effect shows in the coverage.

# %%
rehearsal = rc if sandbox is not None else recops.connect(target="sandbox")
practice = rehearsal.coverage(interval if sandbox is not None else intervals.last(hours=7 * 24), progress=False)
ids = practice.frame[practice.frame["usable"].fillna(False).astype(bool)]["conversation_id"].head(hold + 2).tolist()
plan = rehearsal.recording_job(action, ids=ids, interval=practice.interval,
                               action_date=datetime.now(timezone.utc) + timedelta(minutes=2))
plan

# %%
outcome = rehearsal.run_recording_job(plan, confirm_count=plan.total_recordings)
outcome

# %%
discover.sandbox_control(rehearsal).advance_clock(180)
after = rehearsal.coverage(practice.interval, refresh=True, progress=False)
after.frame[after.frame["conversation_id"].isin(ids)][["conversation_id", "usable", "reason", "protected", "detail"]]

# %% [markdown]
# ## Release the hold

# %%
if sandbox is not None and usable:
    display(rc.revoke(usable))

# %% [markdown]
# ## The same job planned for your target
# Over the whole interval (and queue): created and counted by Genesys, **not run**. Run it from
# a terminal with the count it shows, or cancel it; `recops jobs reconcile` finds it if this
# session stops here.

# %%
target_plan = rc.recording_job(action, interval=interval, queue=queue,
                               action_date=datetime.now(timezone.utc) + timedelta(days=action_in_days))
target_plan

# %%
if sandbox is not None:  # on the sandbox nothing waits for it: cancel it
    display(rc.cancel_recording_job(target_plan.job_id))
rc.recording_jobs()
