"""recops: operate call recordings in Genesys Cloud from Jupyter.

``import recops`` is cheap: the official SDK (``PureCloudPlatformClientV2``, ~1.8 s to import)
is loaded only when the first call needs it; pandas only when a table is built.

    import recops
    rc = recops.connect()                       # the sandbox unless credentials are set
    rc.status("c0a80001-0000-4000-8000-000000000001")
"""

from .bulk import Outcomes
from .client import Client
from .errors import (
    ApiError,
    AuthError,
    BadRequest,
    CallDisconnected,
    Cancelled,
    ConfigError,
    ConfirmationRequired,
    Conflict,
    ConnectionFailed,
    InvalidTransition,
    JobFailed,
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
from .explain import explain
from .export import ExportResult
from .files import RecordingsResult
from .journal import Journal
from .ledger import Ledger
from .names import Names
from .progress import CancelToken, HistoryProgress
from .recording import Failure, Outcome, ParticipantState, RecordingFile, RecordingStatus
from .regions import REGIONS, Region
from .regions import resolve as resolve_region
from .session import Session, connect
from .settings import Secret, Settings, Target
from .store import Store

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
