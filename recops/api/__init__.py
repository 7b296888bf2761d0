"""Where recops acts, and as whom: settings (environment, profiles, seat cards), the target
resolved before any request (a real region's org, or the sandbox: embedded, running, or a seat),
the lazy SDK loader, the one HTTP transport under the SDK (timeouts, explicit retries, pacing,
the connection pool every request and download shares) and the authenticated ``Client``.

May import ``recops.genesys``, ``recops.base`` and, for the embedded default target, the
sandbox's server and control client.
"""
