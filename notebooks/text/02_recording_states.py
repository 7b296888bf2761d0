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
# # 2 · Recording states: the analyst's table
#
# Every conversation that started in an interval, with its recording flags, from
# `POST /api/v2/analytics/conversations/details/query`: all pages, de-duplicated by
# conversation id, intervals over 7 days split. Then pandas: by queue, by agent, by day.

# %% tags=["parameters"]
interval = None  # ISO-8601 "start/end"; None: the last 7 days
history_interval = None  # any length and age; None: the 30 days before the last 7
history_via = "auto"  # "auto", "query" or "jobs" (the asynchronous analytics jobs)
seed_history = True  # sandbox only: seed a month of history first (its demo org holds one week)
csv_path = None  # None: recording_states.csv in your tables folder (recops.api.settings.output_dir("tables"))
target = None  # None (from the environment), "sandbox" or "org"

# %%
import matplotlib.pyplot as plt

import recops
from recops.api.settings import table_path
from recops.genesys import intervals
from recops.history.charts import weekly_share
from recops.history.display import readable
from recops.history.names import add_names
from recops.kit.widgets import ConversationPicker, StateTable, banner

rc = recops.connect(target=target)
interval = interval or intervals.last(hours=7 * 24)
banner(rc)

# %%
frame = rc.interval(interval)
print(f"{len(frame)} conversations in {interval}")
readable(frame.head())  # names, states and times first; the ids to the right (the frame itself is unchanged)

# %%
frame.dtypes

# %% [markdown]
# ## Recorded share by queue and by agent
# Queues and agents by name (`queue_names`, `agent_names`, looked up in batches and cached); a
# client without `routing:queue:view` gets the queue ids instead, and a note says so.

# %%
for note in frame.attrs.get("notes", []):
    print("note:", note)

# %%
by_queue = (frame.assign(queue=frame["queue_names"].fillna("(no queue)"))  # names (ids without routing:queue:view)
            .groupby("queue")["recorded"].agg(conversations="size", recorded="sum"))
by_queue["recorded_share"] = (by_queue["recorded"] / by_queue["conversations"]).round(3)
by_queue

# %%
by_agent = (frame.assign(agent=frame["agent_names"].fillna("(no agent)"))
            .groupby("agent")["recorded"].agg(conversations="size", recorded="sum")
            .sort_values("conversations", ascending=False))
by_agent.head(10)

# %% [markdown]
# ## Conversations per day, recorded or not

# %%
per_day = (frame.assign(day=frame["conversation_start"].dt.floor("D").dt.date,
                        recorded=frame["recorded"].map({True: "recorded", False: "not recorded"}))
           .pivot_table(index="day", columns="recorded", values="conversation_id", aggfunc="count", fill_value=0))
ax = per_day.plot(kind="bar", stacked=True, figsize=(8, 3), title="conversations per day")
ax.set_xlabel("")
plt.tight_layout()
plt.show()

# %%
ax = by_queue["recorded_share"].plot(kind="barh", figsize=(8, 2.5), title="recorded share by queue", xlim=(0, 1))
plt.tight_layout()
plt.show()

# %%
top = by_agent.head(10).sort_values("conversations")
ax = top[["recorded", "conversations"]].plot(kind="barh", figsize=(8, 3), title="conversations by agent (top 10)")
ax.set_ylabel("")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Export
# To `csv_path`, or by default to your tables folder: never into the notebooks' folder.

# %%
csv_path = table_path(csv_path, "recording_states.csv")
frame.to_csv(csv_path, index=False)
print(f"wrote {len(frame)} rows to {csv_path}")

# %% [markdown]
# ## History: any interval, any age
# The details query reaches 35 days back, 7 days at a time; `rc.interval` reads longer or older
# intervals through the asynchronous analytics jobs (one per day, read page by page), and
# caches every settled day as Parquet (`rc.store`): reading the same month again is instant,
# and an interrupted read (the stop button) resumes with the days already fetched.

# %%
from datetime import datetime, timedelta, timezone

if history_interval is None:
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    history_interval = f"{intervals.iso(today - timedelta(days=37))}/{intervals.iso(today - timedelta(days=7))}"
if rc.is_sandbox and seed_history:
    from recops.sandbox.control_client import SandboxClient

    SandboxClient(rc.client.base_url).seed(count=3000, seed=2, interval=history_interval)

history = rc.interval(history_interval, via=history_via)
print(f"{len(history)} conversations in {history_interval}; {len(rc.store.days())} days cached in {rc.store.path}")

# %% [markdown]
# The store answers SQL (DuckDB) over the cached days without loading them into pandas; the
# queue names come from the same look-up as the tables' (`add_names`: cached, ids without
# `routing:queue:view`):

# %%
by_queue_sql = add_names(rc.store.sql("""
    select queue_ids, count(*) as conversations, round(avg(recorded::int), 3) as recorded_share
    from conversations group by 1 order by 2 desc
"""), rc)
readable(by_queue_sql)

# %%
weekly = rc.store.sql("""
    select date_trunc('week', conversation_start) as week, count(*) as conversations,
           round(avg(recorded::int), 3) as recorded_share
    from conversations group by 1 order by 1
""")
fig = weekly_share(weekly)  # one tick per week, labelled by its Monday ("Mon 23 Nov")
plt.show()

# %% [markdown]
# ## Live states of conversations you pick
# Query an interval (or paste ids) in the picker, select rows, then load their live state.

# %%
picker = ConversationPicker(rc, days=1)
picker

# %%
live = frame[~frame["ended"].astype(bool)]["conversation_id"].tolist()
states = StateTable(rc, live)
picker.observe(lambda change: states.load(change["new"]) if change["new"] else None, names="ids")
states

# %%
states.frame.groupby("recording_state", dropna=False).size() if states.frame is not None else None
