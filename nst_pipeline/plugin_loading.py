"""Loading plugins: the one place that talks to pluggy.

The built-in plugins are registered when a registry is made. Installed plugins (entry-point
group ``nst_pipeline``) are found from their metadata without importing them
(:mod:`nst_pipeline.plugin_cache`); the registry imports one (:meth:`PluginLoader.load`) only
when it needs something the plugin declares, since a plugin module may import torch at its
top. A broken third-party plugin is reported by name (plugin and distribution) and skipped;
it never takes the others down.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.metadata as md
import importlib.util
import os
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import pluggy

from . import hookspecs
from .errors import PluginError
from .specs import BackboneSpec, FrameSourceSpec, LossTermSpec, MethodSpec, PluginOptions

#: Set to any non-empty value (other than 0) to skip entry-point plugins (tests use it).
DISABLE_AUTOLOAD_ENV = "NST_DISABLE_PLUGIN_AUTOLOAD"
#: Comma-separated plugin (entry-point) or distribution names that must not be loaded.
BLOCK_ENV = "NST_BLOCK_PLUGINS"

BUILTIN_MODULES = (
    "nst_pipeline.builtins.backbones",
    "nst_pipeline.builtins.losses",
    "nst_pipeline.builtins.sources",
    "nst_pipeline.builtins.methods",
    "nst_pipeline.builtins.fast",
)
#: built-in plugin modules that arrive with optional parts of the package (skipped if absent)
OPTIONAL_BUILTIN_MODULES = (
    "nst_pipeline.builtins.video",
    "nst_pipeline.builtins.onnx",
)

S = TypeVar("S", BackboneSpec, LossTermSpec, FrameSourceSpec, MethodSpec)


@dataclass(frozen=True)
class Kind(Generic[S]):
    """One kind of thing plugins declare: its key in the registry, its hook, its record, what users call it."""

    key: str
    hook: str
    spec_cls: type[S]
    label: str


BACKBONE = Kind("backbone", "nst_backbones", BackboneSpec, "backbone")
LOSS = Kind("loss", "nst_loss_terms", LossTermSpec, "loss term")
SOURCE = Kind("source", "nst_frame_sources", FrameSourceSpec, "frame source")
METHOD = Kind("method", "nst_methods", MethodSpec, "method")
KINDS: dict[str, Kind] = {kind.key: kind for kind in (BACKBONE, LOSS, SOURCE, METHOD)}

#: what one plugin declared: kind key -> its spec records (``plugin`` filled in)
Declared = dict[str, list[Any]]

# names end up in `--loss NAME:WEIGHT` and `--loss-option NAME.key=value`
VALID_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class PluginInfo:
    name: str
    distribution: str
    version: str
    builtin: bool
    #: seconds ``import`` of its module took (installed plugins; 0 when already imported)
    import_seconds: float = 0.0


@dataclass(frozen=True)
class BrokenPlugin:
    name: str
    distribution: str
    error: str


def builtin_modules() -> list[str]:
    return [*BUILTIN_MODULES, *(m for m in OPTIONAL_BUILTIN_MODULES if importlib.util.find_spec(m) is not None)]


class _HookFailed(Exception):
    """A plugin's hook raised or returned something malformed (the message names the hook)."""


class PluginLoader:
    """Registers plugins with pluggy and asks each what it declares; keeps why the broken ones were skipped."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, PluginInfo] = {}
        self.broken: list[BrokenPlugin] = []

    def register_builtin(self, module_name: str) -> Declared:
        from .version import __version__

        module = importlib.import_module(module_name)
        self.pm.register(module, name=module_name)
        self.pm.check_pending()  # a misspelt built-in hook is our bug: fail loudly
        try:
            declared = self._declarations(module_name)
        except _HookFailed as exc:
            raise PluginError(f"built-in plugin {module_name} is broken: {exc}") from None
        self.plugins[module_name] = PluginInfo(module_name, "nst_pipeline", __version__, builtin=True)
        return declared

    def load(self, entry_point: md.EntryPoint, info: PluginInfo) -> Declared | None:
        """Import one installed plugin, timing it, and register it; None when it is broken."""
        from . import plugin  # noqa: F401  (the plugin surface is charged to us, not to the first plugin)

        start = time.perf_counter()
        try:
            loaded = entry_point.load()
        except Exception as exc:  # a broken plugin must not break the tool
            self.broken.append(BrokenPlugin(info.name, info.distribution, f"import failed: {_describe(exc)}"))
            return None
        return self.register(loaded, dataclasses.replace(info, import_seconds=time.perf_counter() - start))

    def register(self, plugin: Any, info: PluginInfo) -> Declared | None:
        """Register ``plugin`` and call its hooks; None (and a :class:`BrokenPlugin`) when it is broken."""
        try:
            self.pm.register(plugin, name=info.name)
            self.pm.check_pending()
            declared = self._declarations(info.name)
        except Exception as exc:
            if self.pm.is_registered(plugin):
                self.pm.unregister(plugin)
            # a plugin whose hook failed contributes nothing at all: half a plugin is worse than none
            error = str(exc) if isinstance(exc, _HookFailed) else _describe(exc)
            self.broken.append(BrokenPlugin(info.name, info.distribution, error))
            return None
        self.plugins[info.name] = info
        return declared

    def _declarations(self, plugin_name: str) -> Declared:
        declared: Declared = {}
        for kind in KINDS.values():
            for impl in getattr(self.pm.hook, kind.hook).get_hookimpls():
                if impl.plugin_name != plugin_name:
                    continue
                try:
                    specs = _call_hook(impl, kind.spec_cls)
                except Exception as exc:
                    raise _HookFailed(f"{kind.hook}(): {_describe(exc)}") from exc
                declared[kind.key] = [dataclasses.replace(spec, plugin=plugin_name) for spec in specs]
        return declared


def _call_hook(impl: Any, spec_cls: type) -> list[Any]:
    """Call one plugin's hook and insist on a list of well-formed ``spec_cls`` records."""
    result = impl.function()
    if result is None:
        return []
    if isinstance(result, (str, bytes, dict)) or not isinstance(result, Iterable) or dataclasses.is_dataclass(result):
        raise TypeError(f"must return a list of {spec_cls.__name__} records, got {type(result).__name__}")
    specs = list(result)
    for spec in specs:
        check_spec(spec, spec_cls)
    return specs


def check_spec(spec: Any, spec_cls: type) -> None:
    """Raise ``TypeError`` naming what is wrong with one spec record."""
    if not isinstance(spec, spec_cls):
        raise TypeError(f"expected {spec_cls.__name__} records, got {type(spec).__name__}")
    if not isinstance(spec.name, str) or not VALID_NAME.match(spec.name):
        raise TypeError(f"{spec_cls.__name__} name {spec.name!r} must be letters, digits, '-' or '_'")
    if not callable(spec.factory):
        raise TypeError(f"{spec.name!r}: factory is not callable")
    if not (isinstance(spec.options, type) and issubclass(spec.options, PluginOptions)):
        raise TypeError(f"{spec.name!r}: options must be a PluginOptions subclass, got {spec.options!r}")
    if not isinstance(spec.summary, str):
        raise TypeError(f"{spec.name!r}: summary must be a string")
    if spec_cls is FrameSourceSpec and not callable(spec.probe):
        raise TypeError(f"{spec.name!r}: probe is not callable")


def autoload_enabled() -> bool:
    return os.environ.get(DISABLE_AUTOLOAD_ENV, "") in ("", "0")


def blocked_names() -> set[str]:
    return {n.strip() for n in os.environ.get(BLOCK_ENV, "").split(",") if n.strip()}


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
