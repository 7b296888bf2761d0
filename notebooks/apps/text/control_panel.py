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
# # Control panel (app)
#
# Pick your seat, then pause, resume and stop the recording of your seat's calls.

# %%
from recops.kit.widgets.apps import control_panel_app

control_panel_app()
