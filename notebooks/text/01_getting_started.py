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
# # 1 · Getting started
#
# Where recops acts, as whom, and what one conversation's recording looks like.
#
# - **With no credentials set** (the default), everything runs against the **sandbox**: a local
#   emulator of the Genesys Cloud API with a demo org. Nothing here can touch a real org.
# - **With credentials set** (`GENESYSCLOUD_OAUTHCLIENT_ID`, `GENESYSCLOUD_OAUTHCLIENT_SECRET`,
#   `GENESYSCLOUD_REGION` — or `GENESYSCLOUD_ACCESS_TOKEN`), the same cells read a real org.
#   The banner below says which, in green or in red.

# %% tags=["parameters"]
conversation_id = None  # a live conversation; None: the demo's first call, or the latest live one
ended_conversation_id = None  # an ended, recorded conversation
target = None  # None (from the environment), "sandbox" or "org"

# %%
import pandas as pd
from IPython.display import display

import recops
from recops.history.display import readable
from recops.kit import discover
from recops.kit.widgets import banner

rc = recops.connect(target=target)
banner(rc)

# %% [markdown]
# ## Target and credentials
# `describe()` never shows a secret: only where the value came from.

# %%
pd.Series(rc.settings.describe(), name="setting").to_frame()

# %% [markdown]
# ## One conversation's recording state
# `recordingState` is `ACTIVE`, `PAUSED` or `NONE`; `securePause` says whether a *secure pause*
# is on (a hold can also read `PAUSED`). Each participant's `recording` flag and ad-hoc recorder
# come from the conversation's calls.

# %%
conversation_id = conversation_id or discover.live_conversation(rc)
status = rc.status(conversation_id)
display(status)  # renders itself: state, securePause, participants, recording files
readable(pd.DataFrame([vars(p) for p in status.participants]))  # names first, ids to the right, one line each

# %% [markdown]
# ## Recordings
# While a call is live (or its media is still being transcoded) the API answers **202 with no
# body** — the SDK turns that into an empty list. recops says `transcoding` instead.

# %%
live = rc.recordings(conversation_id)
print(conversation_id, "->", live.state)

# %%
ended_conversation_id = ended_conversation_id or discover.ended_conversation(rc)
done = rc.recordings(ended_conversation_id, wait=10)
print(ended_conversation_id, "->", done.state)
readable(pd.DataFrame([vars(r) for r in done.recordings]))
