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
# # 7 · Export recordings: the calls you found, on disk, with a manifest
#
# The recorded conversations of an interval (optionally one queue), the rows you select, their
# recordings downloaded through the batch download API
# (`POST /api/v2/recording/batchrequests`, at most 100 per batch, polled, each result URL fetched
# before it expires) into a folder, with `manifest.csv` / `manifest.json`: conversation,
# recording, file, bytes, SHA-256, media type, start/end, status or the reason it failed.
# Exporting only reads recordings; nothing changes on the org. Running the same export again
# continues where it stopped and never fetches a file it already has.

# %% tags=["parameters"]
interval = None  # ISO-8601 "start/end"; None: the last 24 hours
queue = None  # a queue id to export only its conversations; None: every queue
dest = None  # the destination folder; None: your exports folder (recops.api.settings.output_dir("exports"))
rows = 3  # how many rows (the first ones) to select here; None: every row
dry_run = False  # True: only list what would be fetched
demo_deleted = True  # sandbox only: also select a call whose recording was deleted, to show a failure
target = None  # None (from the environment), "sandbox" or "org"

# %%
import recops
from recops.api.settings import output_dir
from recops.genesys import intervals
from recops.history.display import readable
from recops.kit import discover
from recops.kit.widgets import ExportPanel, banner

rc = recops.connect(target=target)
sandbox = discover.sandbox_control(rc)  # None on a real org
interval = interval or intervals.last(hours=24)
dest = dest or str(output_dir("exports"))
banner(rc)

# %% [markdown]
# ## The recorded conversations of the interval
# Only ended calls have recordings to download.

# %%
frame = rc.interval(interval, queue_id=queue, recorded=True)
frame = frame[frame["ended"].fillna(False).astype(bool)].reset_index(drop=True)
print(f"{len(frame)} ended, recorded conversations in {interval}" + (f" on queue {queue}" if queue else ""))
readable(frame[["conversation_id", "conversation_start", "conversation_end", "queue_names", "agent_names"]].head())

# %% [markdown]
# ## The export panel
# Click rows in the table to select them (a click adds or removes its row; shift-click selects a
# range; or *Select all*), check the destination, then *Dry run* to list what would be fetched, or
# *Export selected*. *Cancel* stops between downloads; exporting again
# continues. The cells below do the same without clicks.

# %%
panel = ExportPanel(rc, frame, dest=dest)
selected = list(range(len(frame) if rows is None else min(rows, len(frame))))
if sandbox is not None and demo_deleted and len(frame) > len(selected):
    gone = frame["conversation_id"].iloc[len(selected)]  # the next row: its recording deleted, then selected
    for recording in rc.recordings(gone).recordings:
        sandbox.set_file_state(gone, recording.id, "DELETED")
    selected.append(len(selected))
panel.select_rows(selected)
panel

# %% [markdown]
# ## Dry run: what would be fetched

# %%
planned = panel.run(dry_run=True)
print(planned.summary())
readable(planned.manifest.head(10))

# %% [markdown]
# ## Export

# %%
result = planned if dry_run else panel.run()
print(result.summary())
print("manifest:", result.manifest_csv, result.manifest_json)  # None for a dry run: it writes nothing
readable(result.manifest.head(10))

# %%
result.counts

# %% [markdown]
# ## Not exported, and why
# Deleted or archived recordings, unknown ids, missing permissions: a row each, with the reason;
# the rest of the export went on.

# %%
readable(result.failures[["conversation_id", "recording_id", "status", "error"]])

# %% [markdown]
# ## The files are what the manifest says
# Each exported file hashed again on disk and compared with the manifest's SHA-256.

# %%
import hashlib
from pathlib import Path

exported = result.manifest[result.manifest["status"] == "exported"]
on_disk = exported["file"].map(lambda f: hashlib.sha256((Path(result.dest) / f).read_bytes()).hexdigest())
print(f"{int((on_disk == exported['sha256']).sum())} of {len(exported)} files match the manifest's SHA-256")
assert (on_disk == exported["sha256"]).all(), "a file on disk differs from its manifest row"

# %% [markdown]
# ## The same from a terminal
# ```sh
# recops export --interval 2026-11-30T00:00:00Z/2026-12-01T00:00:00Z --queue QUEUE_ID --dest ~/recordings --dry-run
# recops export --interval 2026-11-30T00:00:00Z/2026-12-01T00:00:00Z --queue QUEUE_ID --dest ~/recordings
# recops export --from-file ids.csv --dest ~/recordings      # or "-" to read ids from stdin
# ```
# Re-running the same command after an interruption (Ctrl-C, a killed process) continues where it
# stopped; `--json` prints the result for scripts.
