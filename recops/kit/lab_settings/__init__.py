"""Settings for JupyterLab that `recops lab` points it at (JSON overrides); data only."""
