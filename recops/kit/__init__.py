"""The notebook kit and the classroom: ipywidgets (picker, tables, control panel, workflow,
export panel, seat picker, apps), ``recops lab`` (JupyterLab / Voilà on the user's working copy of the notebooks), the
training checks and trainee forms, and the JupyterHub hooks.

The top layer beside the CLI: may import everything below (``recops.session`` and the
capability packages), never the CLI.
"""
