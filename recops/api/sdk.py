"""The official SDK (``PureCloudPlatformClientV2``), loaded in part.

``import PureCloudPlatformClientV2`` runs a package ``__init__`` that imports every one of its
~6,650 model modules and 89 API modules (1.5-2 s and ~100 MB before the first call); recops uses
four API classes and a dozen models. :func:`load` registers the package and its ``models`` and
``apis`` subpackages in ``sys.modules`` *without running their ``__init__``*, imports the core
(``api_client`` and what it imports: ``configuration``, ``rest``, ``abstract_http_client``...),
and resolves every other name the first time it is looked up (a module ``__getattr__``, PEP 562):
``sdk.ConversationsApi`` imports ``apis/conversations_api.py`` (which names the models of its
signatures), ``sdk.SetRecordingState`` imports ``models/set_recording_state.py``. Where a name
lives is read from the ``from .x import Name`` lines of the package's own ``__init__`` files, so
no name is guessed. The SDK's code runs unchanged: ``ApiClient`` finds a response type with
``eval('models.' + name)`` on the same lazy ``models`` module, and ``import
PureCloudPlatformClientV2`` elsewhere in the process gets this package, whose names all still
resolve (``__all__`` and ``dir()`` list them).

Any failure while setting this up undoes it and falls back to the full import;
``RECOPS_SDK_FULL_IMPORT=1`` forces the full import. An SDK already imported (in full or by
this module) is used as it is.

The SDK's ``Configuration`` (a process-wide singleton) reads ``~/.genesyscloudpython/config`` and
then, unless the file says ``live_reload_config = false``, watches it for changes with a
``watchdog`` observer *recursively on the nearest folder that exists*: without that folder, the
whole home directory, with an inotify watch on every subfolder, and every file written under it
(notebook saves, the journal, caches) handled by the observer's thread in every process. Measured
in a 40-seat benchmark: those events were most of each seat process's CPU. recops makes the
singleton without the watcher (the file is still read once), and stops it when the SDK was
imported in full; a configuration file changed during a session never changes where its calls go.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

PACKAGE = "PureCloudPlatformClientV2"
FULL_IMPORT_ENV = "RECOPS_SDK_FULL_IMPORT"
LAZY_MARK = "__recops_lazy__"

_FROM_IMPORT = re.compile(r"^from \.([\w.]+) import (\w+)[ \t]*$", re.M)
_lock = threading.RLock()


def full_import_requested(env: dict[str, str] | None = None) -> bool:
    value = (os.environ if env is None else env).get(FULL_IMPORT_ENV, "")
    return value.strip().lower() in ("1", "true", "yes", "on")


def load() -> ModuleType:
    """The SDK package: loaded in part when it can be, else imported in full."""
    if PACKAGE in sys.modules:
        pkg = importlib.import_module(PACKAGE)  # waits for an import under way in another thread
        config = getattr(pkg, "configuration", None)
        if config is not None:  # imported in full by someone else: its watcher goes too
            stop_watcher(config)
        return pkg
    with _lock:
        if PACKAGE in sys.modules:
            return sys.modules[PACKAGE]
        if full_import_requested():
            return _full_import()
        try:
            return _load_lazy()
        except Exception:  # any surprise in the SDK's layout: the full import is always right
            _forget()
            return _full_import()


def _full_import() -> ModuleType:
    pkg = importlib.import_module(PACKAGE)
    stop_watcher(pkg.configuration)
    return pkg


def submodule(name: str) -> ModuleType:
    """``PureCloudPlatformClientV2.<name>`` (e.g. ``rest``), the package loaded first by :func:`load`."""
    load()
    return importlib.import_module(f"{PACKAGE}.{name}")


def is_lazy() -> bool:
    """Was the SDK of this process loaded in part (by :func:`load`)?"""
    pkg = sys.modules.get(PACKAGE)
    return pkg is not None and pkg.__dict__.get(LAZY_MARK, False) is True


def loaded_modules() -> list[str]:
    """The SDK modules this process has imported (to show what the lazy load saved)."""
    return sorted(m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + "."))


# --- the lazy package ------------------------------------------------------------------------------


def _names(init: Path) -> dict[str, str]:
    """``{Name: relative module}`` from the ``from .module import Name`` lines of an ``__init__``."""
    return {name: module for module, name in _FROM_IMPORT.findall(init.read_text(encoding="utf-8"))}


class _Table:
    """Where each public name of a package lives, read from its ``__init__`` on first need."""

    def __init__(self, init: Path) -> None:
        self.init = init
        self._names: dict[str, str] | None = None

    @property
    def names(self) -> dict[str, str]:
        if self._names is None:
            self._names = _names(self.init)
        return self._names


def _install_getattr(module: ModuleType, table: _Table, extra: Callable[[str], object] | None = None) -> None:
    qualified = module.__name__

    def __getattr__(name: str) -> object:
        where = table.names.get(name)
        if where is not None:
            value = getattr(importlib.import_module(f"{qualified}.{where}"), name)
            setattr(module, name, value)  # the next look-up is a plain attribute
            return value
        if name == "__all__":
            return sorted(table.names)
        if extra is not None and not name.startswith("__"):
            return extra(name)
        raise AttributeError(f"module {qualified!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(module.__dict__) | set(table.names))

    module.__getattr__ = __getattr__  # type: ignore[attr-defined]
    module.__dir__ = __dir__  # type: ignore[attr-defined]


def _package(name: str) -> ModuleType:
    """The package ``name``, registered in ``sys.modules`` with its ``__path__`` and ``__spec__``
    but its ``__init__`` not run."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations or not spec.origin:
        raise ImportError(f"{name} is not a package on this path")
    module = importlib.util.module_from_spec(spec)
    module.__dict__[LAZY_MARK] = True
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)
    return module


def _load_lazy() -> ModuleType:
    pkg = _package(PACKAGE)
    root = Path(pkg.__spec__.origin).parent  # type: ignore[union-attr,arg-type]

    def submodule_or_error(name: str) -> object:
        if importlib.util.find_spec(f"{PACKAGE}.{name}") is None:
            raise AttributeError(f"module {PACKAGE!r} has no attribute {name!r}")
        return importlib.import_module(f"{PACKAGE}.{name}")

    _install_getattr(pkg, _Table(root / "__init__.py"), submodule_or_error)
    models = _package(f"{PACKAGE}.models")
    _install_getattr(models, _Table(root / "models" / "__init__.py"))
    apis = _package(f"{PACKAGE}.apis")
    _install_getattr(apis, _Table(root / "apis" / "__init__.py"))

    api_client = importlib.import_module(f"{PACKAGE}.api_client")
    if getattr(api_client, "models", None) is not models or not hasattr(api_client, "ApiClient"):
        raise ImportError("the SDK's api_client does not resolve models through its models package")
    configuration = importlib.import_module(f"{PACKAGE}.configuration")
    # as the package's __init__ ends: `configuration = Configuration()` (a singleton)
    pkg.configuration = configuration_without_watcher(configuration)  # type: ignore[attr-defined]
    return pkg


def _singleton_class(factory: Callable[[], object]) -> type:
    """The class behind the SDK's ``@singleton`` factory (held in the factory's closure)."""
    for cell in getattr(factory, "__closure__", None) or ():
        if isinstance(cell.cell_contents, type):
            return cell.cell_contents
    raise ImportError("the SDK's Configuration is not the @singleton factory this module knows")


def configuration_without_watcher(configuration: ModuleType) -> object:
    """``Configuration()``, made with its config-file watcher's two steps (the observer thread and
    the recursive schedule) as no-ops, then ``live_reload_config`` off so nothing schedules it later."""
    cls = _singleton_class(configuration.Configuration)
    run, update = cls._run_observer, cls._config_updater  # type: ignore[attr-defined]
    with _lock:
        cls._run_observer = lambda self: None  # type: ignore[attr-defined]
        cls._config_updater = lambda self: None  # type: ignore[attr-defined]
        try:
            config = configuration.Configuration()
        finally:
            cls._run_observer, cls._config_updater = run, update  # type: ignore[attr-defined]
    stop_watcher(config)
    return config


def stop_watcher(config: object) -> None:
    """Turn off a made ``Configuration``'s config-file watcher (an SDK imported in full made it
    with one): no later schedule, and the observer, if its thread has made it, unscheduled and stopped."""
    config.live_reload_config = False  # type: ignore[attr-defined]
    observer = getattr(config, "_observer", None)
    if observer is not None:
        try:
            observer.unschedule_all()
            observer.stop()
        except Exception:  # an observer in a state we do not know: it is left as the SDK made it
            pass


def _forget() -> None:
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]


__all__ = ["FULL_IMPORT_ENV", "PACKAGE", "full_import_requested", "is_lazy", "load", "loaded_modules", "submodule"]
