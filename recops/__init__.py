"""recops: operate call recordings in Genesys Cloud from Jupyter.

``import recops`` is cheap: the official SDK (``PureCloudPlatformClientV2``, ~1.8 s to import)
is loaded only when the first call needs it; pandas only when a table is built.

    import recops
    rc = recops.connect()                       # the sandbox unless credentials are set
    rc.status("c0a80001-0000-4000-8000-000000000001")
"""

from recops.api.client import Client
from recops.api.secret import Secret
from recops.api.settings import Settings, Target
from recops.base.progress import CancelToken, HistoryProgress
from recops.export.run import ExportResult
from recops.genesys.errors import (
    ApiError,
    AuthError,
    BadRequest,
    CallDisconnected,
    Cancelled,
    ConfigError,
    ConfirmationRequired,
    Conflict,
    ConnectionFailed,
    CountMismatch,
    HoldCapExceeded,
    InvalidTransition,
    JobFailed,
    JobNotReady,
    JournalError,
    NotAParticipant,
    NotAUser,
    NotFound,
    PermissionDenied,
    RateLimited,
    RecopsError,
    RegionError,
    ServerError,
    Timeout,
    TransportError,
)
from recops.genesys.explain import explain
from recops.genesys.regions import REGIONS, Region
from recops.genesys.regions import resolve as resolve_region
from recops.history.ledger import Ledger
from recops.history.names import Names
from recops.history.store import Store
from recops.lifecycle.coverage import Coverage  # issue 19, engineer C
from recops.lifecycle.hold import HoldResult  # issue 19 (L): the end of a recording's life
from recops.lifecycle.job_run import JobOutcome
from recops.lifecycle.jobs import JobPlan, JobStatus
from recops.lifecycle.retention import RetentionResult
from recops.ops.bulk import Outcomes
from recops.ops.files import RecordingsResult
from recops.ops.journal import Journal
from recops.ops.recording import Failure, Outcome, ParticipantState, RecordingFile, RecordingStatus

from .session import Session, connect

__version__ = "0.1.0"

__all__ = [
    "REGIONS",
    "ApiError",
    "AuthError",
    "BadRequest",
    "CallDisconnected",
    "CancelToken",
    "Cancelled",
    "Client",
    "ConfigError",
    "ConfirmationRequired",
    "Conflict",
    "ConnectionFailed",
    "Coverage",
    "ExportResult",
    "Failure",
    "HistoryProgress",
    "InvalidTransition",
    "JobFailed",
    "Journal",
    "JournalError",
    "Ledger",
    "Names",
    "NotAParticipant",
    "NotAUser",
    "NotFound",
    "Outcome",
    "Outcomes",
    "ParticipantState",
    "PermissionDenied",
    "RateLimited",
    "RecopsError",
    "RecordingFile",
    "RecordingStatus",
    "RecordingsResult",
    "Region",
    "RegionError",
    "Secret",
    "ServerError",
    "Session",
    "Settings",
    "Store",
    "Target",
    "Timeout",
    "TransportError",
    "__version__",
    "connect",
    "explain",
    "resolve_region",
]
# the end of a recording's life: jobs, retention, legal hold (issue 19, engineer L)
__all__ += [
    "CountMismatch",
    "HoldCapExceeded",
    "HoldResult",
    "JobNotReady",
    "JobOutcome",
    "JobPlan",
    "JobStatus",
    "RetentionResult",
]
# the live path: recording state pushed through the Notifications API (issue 20, W3); imported on
# first use, so `import recops` stays as cheap as before
_LIVE = {"Transition": "recops.live.transitions", "Watch": "recops.live.watch", "WatchSettings": "recops.live.watch",
         "open_watches": "recops.live.watch", "close_watches": "recops.live.watch"}
__all__ += list(_LIVE)


def __getattr__(name: str) -> object:
    if name in _LIVE:
        import importlib

        return getattr(importlib.import_module(_LIVE[name]), name)
    raise AttributeError(f"module 'recops' has no attribute {name!r}")
