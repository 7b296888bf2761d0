"""Facts about the real Genesys Cloud API, and nothing else: the table of error codes (meaning,
remedy, evidence), the region hosts, the error tree that a Genesys answer becomes, ``explain()``,
and the API's interval notation.

Pure: no I/O, no SDK, no settings. Imported by the client side and by the sandbox alike, so it
may import only the standard library and ``recops.base``.
"""
