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
# # 6 · The pause ledger: which recordings were paused, for how long, and which never were
#
# For every recording of an ended, recorded conversation in an interval: how many secure
# pauses, how long the recording was securely paused and hold-suppressed, the share of the
# recording paused, whether a secure pause was still open when the call ended, and who paused
# it (where the API says). Read from the recordings' pause annotations
# (`GET /api/v2/conversations/{id}/recordings`); the columns and their evidence: `docs/ledger.md`.

# %% tags=["parameters"]
interval = None  # ISO-8601 "start/end"; None: the last 24 hours
csv_path = None  # None: pause_ledger.csv in your tables folder (recops.api.settings.output_dir("tables"))
unpaused_csv_path = None  # None: unpaused_conversations.csv in the same folder
parquet_path = None  # a path to also write the ledger as Parquet (needs pyarrow); None: no Parquet
demo_pauses = True  # sandbox only: first make a few calls with real secure pauses and holds
target = None  # None (from the environment), "sandbox" or "org"

# %%
import matplotlib.pyplot as plt

import recops
from recops.api.settings import table_path
from recops.genesys import intervals
from recops.history.display import readable
from recops.kit import discover
from recops.kit.widgets import banner

rc = recops.connect(target=target)
sandbox = discover.sandbox_control(rc)  # None on a real org
banner(rc)

# %% [markdown]
# ## On the sandbox: a few calls paused for real
# Six calls that started half an hour ago: four are securely paused with real `PAUSED` /
# `ACTIVE` writes (one never resumed before the caller hangs up), one is put on hold with hold
# suppression on, one is never paused. The sandbox clock moves the time on.

# %%
if sandbox is not None and demo_pauses:
    # the demo's queues and agents (named), taken from its live calls
    staff = [(c["queueId"], p["userId"]) for c in sandbox.conversations(active=True) if c["queueId"]
             for p in c["participants"] if p["purpose"] == "agent" and p["userId"]]
    calls = []
    for i in range(6):
        queue_id, user_id = staff[i % len(staff)]
        calls.append(sandbox.add_conversation(
            startedSecondsAgo=1800 + i, holdSuppression=(i == 4), queueId=queue_id,
            participants=[{"purpose": "customer", "name": "Customer", "address": "tel:+13175550100"},
                          {"purpose": "agent", "name": "Agent", "userId": user_id}])["id"])
    card, card2, card3, open_pause, held, never = calls
    for cid in (card, card2, card3, open_pause):
        rc.pause(cid)
    agent = next(p["id"] for p in sandbox.conversation(held)["participants"] if p["purpose"] == "agent")
    sandbox.hold(held, agent, True)
    sandbox.advance_clock(35)
    rc.resume(card)
    sandbox.advance_clock(25)
    rc.resume(card2)
    sandbox.hold(held, agent, False)
    sandbox.advance_clock(40)
    rc.resume(card3)
    sandbox.advance_clock(10)  # the callers say goodbye
    for cid in calls:
        sandbox.disconnect(cid)  # open_pause ends while securely paused
    sandbox.advance_clock(5)  # past the transcoding delay: the recordings are available
    print("paused for 35 s, 60 s and 100 s; one pause left open at hang-up; 60 s of hold; one call never paused")

# %%
interval = interval or intervals.last(hours=24)
ledger = rc.ledger(interval)
ledger  # the summary, the recordings with the most securely paused time, and the notes

# %%
readable(ledger.table.head(10))  # names and times first, the ids to the right (display only)

# %% [markdown]
# ## How long do secure pauses last?
# One row per pause annotation in `ledger.pauses`; a card payment typically takes a minute or two.

# %%
secure = ledger.pauses[ledger.pauses["reason"] == "SecurePause"]
if len(secure):
    ax = (secure["duration_ms"].astype(float) / 1000).plot(kind="hist", bins=20, figsize=(8, 3),
                                                            title="secure pause durations")
    ax.set_xlabel("seconds")
    plt.tight_layout()
    plt.show()
else:
    print("no secure pause in this interval")
(secure["duration_ms"] / 1000).describe()  # seconds

# %%
by_agent = (ledger.table.dropna(subset=["recording_id"])
            .assign(agent=lambda t: t["agent_names"].fillna("(no agent)"))
            .groupby("agent")
            .agg(recordings=("recording_id", "size"), secure_pauses=("pause_count", "sum"),
                 secure_paused_s=("secure_paused_ms", lambda ms: ms.sum() / 1000),
                 hold_s=("hold_paused_ms", lambda ms: ms.sum() / 1000),
                 open_at_end=("open_at_end", "sum"))
            .sort_values("secure_paused_s", ascending=False))
by_agent

# %% [markdown]
# ## Secure pauses still open when the call ended
# The pause ran to the end of the recording: the caller (or the agent) hung up while paused.

# %%
readable(ledger.table[ledger.table["open_at_end"].fillna(False).astype(bool)][
    ["conversation_id", "recording_id", "agent_names", "pause_count", "secure_paused_ms", "paused_by_names"]])

# %% [markdown]
# ## Recorded conversations with no secure pause
# For teams whose policy requires one (for example every card payment). Conversations whose
# recordings could not be read yet (still transcoding) are not listed here: see the notes.

# %%
print(f"{len(ledger.unpaused)} recorded conversation(s) with no secure pause")
readable(ledger.unpaused.head(20))

# %%
for note in ledger.notes:
    print("note:", note)

# %% [markdown]
# ## Export
# To `csv_path` and `unpaused_csv_path`, or by default to your tables folder: never into the
# notebooks' folder.

# %%
csv_path = table_path(csv_path, "pause_ledger.csv")
unpaused_csv_path = table_path(unpaused_csv_path, "unpaused_conversations.csv")
ledger.to_csv(csv_path)
ledger.unpaused.to_csv(unpaused_csv_path, index=False)
print(f"wrote {len(ledger.table)} rows to {csv_path} and {len(ledger.unpaused)} to {unpaused_csv_path}")
if parquet_path:
    parquet_path = table_path(parquet_path, "pause_ledger.parquet")
    ledger.to_parquet(parquet_path)
    print(f"wrote {parquet_path}")
