"""Checks shared by the control plane's JSON specs (clients, users, queues, faults, seeds)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def reject_unknown(spec: dict[str, Any], known: Iterable[str], what: str) -> None:
    """``ValueError`` naming the fields of ``spec`` that are not ``known``, and the known ones."""
    known = set(known)
    unknown = set(spec) - known
    if unknown:
        raise ValueError(f"unknown {what} field(s) {sorted(unknown)}; known: {sorted(known)}")
