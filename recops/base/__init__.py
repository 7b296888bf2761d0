"""Plumbing with no Genesys knowledge, shared by every layer: a durable SQLite file (WAL,
fsync), typed pandas frames, progress and cancellation, and the shared display styles (colours,
badges, HTML escaping) that result types use to render themselves.

Imports only the standard library and third-party packages, never another recops package.
"""
