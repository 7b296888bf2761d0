"""``Secret``: a credential (a client secret, an access token) as a value that never prints itself.

Settings, seat cards, targets and the seat picker all hold credentials this way, so a secret
cannot end up in a repr, an error message or a log line by accident; ``get()`` is the one way to
the value.
"""

from __future__ import annotations


class Secret:
    """A string that does not print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)
