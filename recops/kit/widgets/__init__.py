"""ipywidgets for recops: every state change needs an explicit click; every callback's output
goes to an ``Output``-based log panel; a SANDBOX / REAL ORG banner is always visible.

    from . import ControlPanel, StateTable, ConversationPicker, BulkActions, WorkflowRunner
    from . import ExportPanel
"""

from .bulk import BulkActions
from .common import LogPanel, banner
from .control_panel import ControlPanel
from .export import ExportPanel
from .picker import ConversationPicker
from .tables import StateTable
from .workflow import WorkflowRunner

__all__ = ["BulkActions", "ControlPanel", "ConversationPicker", "ExportPanel", "LogPanel", "StateTable",
           "WorkflowRunner", "banner"]
