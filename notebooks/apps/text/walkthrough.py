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
# # Training walkthrough (app)
#
# Pick your seat, then work through the exercises; each **Check** says PASSED or NOT YET.

# %%
from recops.kit.widgets.apps import walkthrough_app

walkthrough_app()
