"""Loading plugins: the one place that talks to pluggy.

The registry loads the built-in plugins and the installed ones (entry-point
group ``nst_pipeline``), collects the spec records each hook declares, and
resolves names for the rest of the program. A broken third-party plugin is
reported by name (plugin and distribution) and skipped; it never takes the
others down.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.metadata as md
import importlib.util
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

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

# kind -> (hook name, spec class, what a user calls it)
KINDS: dict[str, tuple[str, type, str]] = {
    "backbone": ("nst_backbones", BackboneSpec, "backbone"),
    "loss": ("nst_loss_terms", LossTermSpec, "loss term"),
    "source": ("nst_frame_sources", FrameSourceSpec, "frame source"),
    "method": ("nst_methods", MethodSpec, "method"),
}

# names end up in `--loss NAME:WEIGHT` and `--loss-option NAME.key=value`
VALID_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class PluginInfo:
    name: str
    distribution: str
    version: str
    builtin: bool


@dataclass(frozen=True)
class BrokenPlugin:
    name: str
    distribution: str
    error: str


class PluginLoader:
    """Loads built-in and installed plugins and collects the spec records their hooks declare."""

    def __init__(self, *, autoload: bool | None = None, extra_plugins: Iterable[Any] = ()) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, PluginInfo] = {}
        self.broken: list[BrokenPlugin] = []
        #: plugins that were found but not loaded because of NST_BLOCK_PLUGINS
        self.blocked: list[PluginInfo] = []
        self._specs: dict[str, dict[str, Any]] = {kind: {} for kind in KINDS}
        if autoload is None:
            autoload = autoload_enabled()
        blocked = blocked_names()
        for module_name in BUILTIN_MODULES:
            self._register_builtin(module_name)
        for module_name in OPTIONAL_BUILTIN_MODULES:
            if importlib.util.find_spec(module_name) is not None:
                self._register_builtin(module_name)
        if autoload:
            self._load_entry_points(blocked)
        for plugin in extra_plugins:
            name = getattr(plugin, "__name__", None) or type(plugin).__name__
            info = PluginInfo(name, "", "", builtin=False)
            if name in blocked:
                self.blocked.append(info)
            else:
                self._register(plugin, info)
        self._collect_specs()

    # -- loading ---------------------------------------------------------
    def _register_builtin(self, module_name: str) -> None:
        module = importlib.import_module(module_name)
        from . import __version__

        info = PluginInfo(module_name, "nst_pipeline", __version__, builtin=True)
        self.pm.register(module, name=module_name)
        self.pm.check_pending()  # a misspelt built-in hook is our bug: fail loudly
        self.plugins[module_name] = info

    def _load_entry_points(self, blocked: set[str]) -> None:
        for ep in md.entry_points(group=hookspecs.ENTRY_POINT_GROUP):
            dist = ep.dist.name if ep.dist else ""
            version = ep.dist.version if ep.dist else ""
            info = PluginInfo(ep.name, dist, version, builtin=False)
            if ep.name in blocked or (dist and dist in blocked):
                self.blocked.append(info)
                continue
            if ep.name in self.plugins:
                owner = self.plugins[ep.name]
                self.broken.append(BrokenPlugin(ep.name, dist, (
                    f"plugin name {ep.name!r} is already taken by distribution "
                    f"{owner.distribution or '(none)'!r}; skipped")))
                continue
            try:
                plugin = ep.load()
            except Exception as exc:  # a broken plugin must not break the tool
                self.broken.append(BrokenPlugin(ep.name, dist, f"import failed: {_describe(exc)}"))
                continue
            self._register(plugin, info)

    def _register(self, plugin: Any, info: PluginInfo) -> None:
        try:
            self.pm.register(plugin, name=info.name)
            self.pm.check_pending()
        except Exception as exc:
            if self.pm.is_registered(plugin):
                self.pm.unregister(plugin)
            self.broken.append(BrokenPlugin(info.name, info.distribution, _describe(exc)))
            return
        self.plugins[info.name] = info

    # -- collecting specs --------------------------------------------------
    def _collect_specs(self) -> None:
        # pluggy calls the last registered first; walk in registration order so
        # built-ins claim their names before third parties.
        declared: dict[str, list[tuple[str, list[Any]]]] = {}
        failed: set[str] = set()
        for kind, (hook_name, spec_cls, label) in KINDS.items():
            for impl in reversed(getattr(self.pm.hook, hook_name).get_hookimpls()):
                name = impl.plugin_name
                if name in failed:
                    continue
                try:
                    specs = _call_hook(impl, hook_name, spec_cls)
                except Exception as exc:
                    failed.add(name)
                    self._mark_broken(name, f"{hook_name}(): {_describe(exc)}")
                    continue
                declared.setdefault(name, []).append((kind, specs))
        # a plugin whose hook failed contributes nothing at all: half a plugin is worse than none.
        # Names are claimed in registration order (built-ins first), not in hook-call order.
        for name in list(self.plugins):
            for kind, specs in declared.get(name, []):
                for spec in specs:
                    self._add_spec(kind, dataclasses.replace(spec, plugin=name))

    def _add_spec(self, kind: str, spec: Any) -> None:
        table = self._specs[kind]
        if spec.name in table:
            owner = table[spec.name].plugin
            self.broken.append(BrokenPlugin(spec.plugin, self._dist(spec.plugin), (
                f"{KINDS[kind][2]} name {spec.name!r} is already provided by plugin {owner!r} "
                f"({self._dist(owner) or 'no distribution'}); the one from {spec.plugin!r} was skipped")))
            return
        table[spec.name] = spec

    def _mark_broken(self, plugin_name: str, error: str) -> None:
        info = self.plugins.pop(plugin_name, None)
        if info is not None and info.builtin:
            raise PluginError(f"built-in plugin {plugin_name} is broken: {error}")
        self.broken.append(BrokenPlugin(plugin_name, info.distribution if info else "", error))
        for table in self._specs.values():
            for key in [k for k, s in table.items() if s.plugin == plugin_name]:
                del table[key]

    def _dist(self, plugin_name: str) -> str:
        info = self.plugins.get(plugin_name)
        return info.distribution if info else ""

def _call_hook(impl: Any, hook_name: str, spec_cls: type) -> list[Any]:
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
