"""The emulated Genesys Cloud services, one module per service, each with its handler class and
its own route rows (``ROUTES``): ``oauth``, ``conversations``, ``recordings`` (+ ``annotations``,
the media host in ``media``), ``analytics_query`` (the sync details query, over ``analytics``
and ``analytics_select``), ``analytics_jobs``, ``batch_downloads``, ``deletion_protection`` (legal hold),
``recording_jobs`` (bulk DELETE/ARCHIVE/EXPORT jobs, writing exports through ``export_bucket``),
``orphans``,
``directory`` (users, queues) and ``notifications`` (channels, subscriptions, the WebSocket;
issue 20). ``base`` holds the checks every handler shares, ``render`` the wire views of
conversations and recordings.

``SERVICES`` lists them in route-table order (a literal segment before a capture: see
``http.routes``); ``sandbox.app`` builds each handler object once from it. Adding an endpoint
to a service touches its module only; adding a service, its module and this list.

Imports: ``sandbox.model``, ``sandbox.http``, ``sandbox.seeds``; never the control plane or
the room.
"""

from __future__ import annotations

from .analytics_jobs import AnalyticsJobsApi
from .analytics_query import AnalyticsQueryApi
from .batch_downloads import BatchDownloadApi
from .conversations import ConversationsApi
from .deletion_protection import DeletionProtectionApi
from .directory import DirectoryApi
from .media import MediaHost
from .notifications import NotificationsApi
from .oauth import OAuthApi
from .orphans import OrphanMediaHost, OrphansApi
from .recording_jobs import RecordingJobsApi
from .recordings import RecordingsApi

# route-table order (literal segments before captures across services too:
# conversations/calls/{cid} before conversations/{cid}/recordings)
SERVICES = (OAuthApi, ConversationsApi, RecordingsApi, AnalyticsQueryApi, AnalyticsJobsApi, DirectoryApi,
            BatchDownloadApi, DeletionProtectionApi, RecordingJobsApi, OrphansApi, MediaHost, OrphanMediaHost,
            NotificationsApi)

__all__ = ["SERVICES"]
