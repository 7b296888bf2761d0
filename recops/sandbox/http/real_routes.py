"""The real Genesys Cloud routes, as the installed SDK names them: which ``/api/v2`` requests
the sandbox must answer 501 ``sandbox.not.emulated`` (a real route it does not serve) rather
than 404 ``not.found`` (no such route anywhere).

The list is generated from the SDK's api modules (each operation's ``resource_path`` and the
method of its ``call_api``) and committed as ``sdk_routes.py``, so the server never imports
the 1.8 s SDK: ``parse_sdk`` reads the modules as text. A test keeps the committed list equal
to what the installed SDK names; regenerate it after an SDK upgrade with

    python -m recops.sandbox.http.real_routes --write

Matching works like the route table (``routes.Route``): one segment per ``{name}``; among
the real routes that match a request, the one with the most literal segments (earliest
literal first) is the route meant. ``shadowed`` answers the other half of the rule: a
request that an emulated capture row would take (``routing/queues/{queueId}``) but that a
real literal route names (``routing/queues/divisionviews``) is that real route, not an
unknown queue id.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

from ..model import errors
from ..model.errors import ApiError

_PATH = re.compile(r"resource_path = '([^']*)'")
_CALL = re.compile(r"call_api\(resource_path, '([A-Z]+)'")
_DEF = re.compile(r"^    def ([a-z0-9_]+)\(self")
_SUFFIX = "_with_http_info"


@dataclass(frozen=True)
class RealRoute:
    method: str
    path: str  # "/api/v2/…/{name}/…"
    operation: str  # "RecordingApi.post_recording_jobs"

    @cached_property
    def pattern(self) -> tuple[str, ...]:
        return tuple(self.path.strip("/").split("/"))

    def line(self) -> str:
        return f"{self.method} {self.path} {self.operation}"


def _api_class(module: Path) -> str:
    return "".join(part.capitalize() for part in module.stem.removesuffix("_api").split("_")) + "Api"


def parse_sdk(sdk_dir: Path | None = None) -> list[RealRoute]:
    """Every (method, path) the SDK's api modules call, first operation naming it kept, sorted.
    Reads the files as text (never imports the SDK)."""
    if sdk_dir is None:
        spec = importlib.util.find_spec("PureCloudPlatformClientV2")
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError("PureCloudPlatformClientV2 is not installed: install the project's dependencies")
        sdk_dir = Path(next(iter(spec.submodule_search_locations)))
    seen: dict[tuple[str, str], RealRoute] = {}
    for module in sorted((sdk_dir / "apis").glob("*_api.py")):
        operation, path = "", ""
        for text in module.read_text(encoding="utf-8").splitlines():
            if (m := _DEF.match(text)) is not None:
                operation = m.group(1).removesuffix(_SUFFIX)
            elif (m := _PATH.search(text)) is not None:
                path = m.group(1).replace("{format}", "json")
            elif (m := _CALL.search(text)) is not None and path:
                key = (m.group(1), path)
                seen.setdefault(key, RealRoute(key[0], path, f"{_api_class(module)}.{operation}"))
    return sorted(seen.values(), key=lambda r: (r.path, r.method))


def sdk_version(sdk_dir: Path | None = None) -> str:
    from importlib.metadata import version

    return version("PureCloudPlatformClientV2") if sdk_dir is None else "?"


def _literals(pattern: tuple[str, ...]) -> tuple[bool, ...]:
    return tuple(not s.startswith("{") for s in pattern)


def _matches(pattern: tuple[str, ...], segments: tuple[str, ...]) -> bool:
    return all(want.startswith("{") or want == got for want, got in zip(pattern, segments, strict=True))


Key = tuple[str, int, str]  # method, number of segments, the segment after /api/v2 ("" if a capture)


def _key(method: str, segments: tuple[str, ...]) -> Key:
    third = segments[2] if len(segments) > 2 and not segments[2].startswith("{") else ""
    return method, len(segments), third


class RealRoutes:
    """The real routes indexed by (method, number of segments, the segment after ``/api/v2``),
    most specific first."""

    def __init__(self, routes: list[RealRoute]) -> None:
        self.routes = tuple(routes)
        self._index: dict[Key, list[RealRoute]] = {}
        self._shadows: dict[tuple[str, tuple[str, ...]], list[RealRoute]] = {}
        for r in routes:
            self._index.setdefault(_key(r.method, r.pattern), []).append(r)
        for rows in self._index.values():  # literal before capture, segment by segment
            rows.sort(key=lambda r: tuple(not lit for lit in _literals(r.pattern)))

    def _rows(self, method: str, segments: tuple[str, ...]) -> list[RealRoute]:
        rows = self._index.get(_key(method, segments), [])
        captured = self._index.get((method, len(segments), ""), [])  # a capture right after /api/v2
        return rows + captured if captured and rows is not captured else rows

    def find(self, method: str, segments: tuple[str, ...]) -> RealRoute | None:
        for r in self._rows(method, segments):
            if _matches(r.pattern, segments):
                return r
        return None

    def shadowed(self, method: str, segments: tuple[str, ...], emulated: tuple[str, ...]) -> RealRoute | None:
        """The real route ``segments`` names when it is more specific than the ``emulated``
        pattern that matched (a literal where the emulated row has a capture), else None.
        The candidates of each emulated pattern are found once (most emulated rows have none)."""
        key = (method, emulated)
        candidates = self._shadows.get(key)
        if candidates is None:
            mine = _literals(emulated)
            candidates = self._shadows[key] = [
                r for r in self._rows(method, emulated)
                if _literals(r.pattern) > mine and all(
                    a.startswith("{") or b.startswith("{") or a == b for a, b in zip(r.pattern, emulated, strict=True))]
        for r in candidates:
            if _matches(r.pattern, segments):
                return r
        return None


@cache
def real_routes() -> RealRoutes:
    """The committed list (``sdk_routes.py``), parsed once on first use."""
    from .sdk_routes import ROUTES

    rows = []
    for line in ROUTES:
        method, path, operation = line.split(" ")
        rows.append(RealRoute(method, path, operation))
    return RealRoutes(rows)


def not_emulated(route: RealRoute) -> ApiError:
    """501 ``sandbox.not.emulated`` naming the real route and its SDK operation."""
    return errors.not_emulated(f"{route.method} {route.path}",
                               f"(SDK {route.operation}; docs/sandbox.md §9 lists what is emulated.)")


def render(routes: list[RealRoute], version: str) -> str:
    body = "".join(f'    "{r.line()}",\n' for r in routes)
    head = ("# ruff: noqa: E501\n"
            '"""Generated by ``python -m recops.sandbox.http.real_routes --write`` from\n'
            f"PureCloudPlatformClientV2 {version}: every ``METHOD path operation`` its api modules call\n"
            f'({len(routes)} routes). Do not edit."""\n\n')
    return f'{head}SDK_VERSION = "{version}"\n\nROUTES: tuple[str, ...] = (\n{body})\n'


def main(argv: list[str]) -> int:
    target = Path(__file__).with_name("sdk_routes.py")
    text = render(parse_sdk(), sdk_version())
    if argv[1:] == ["--write"]:
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target}")
        return 0
    same = target.exists() and target.read_text(encoding="utf-8") == text
    print("sdk_routes.py matches the installed SDK" if same else "sdk_routes.py is stale: run with --write")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
