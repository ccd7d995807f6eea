"""The one place that talks to pluggy.

The registry loads the built-in plugins and the installed ones (entry-point
group ``nst_pipeline``), collects the spec records each hook declares, and
resolves names for the rest of the program. A broken third-party plugin is
reported by name and skipped; it never takes the others down.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import importlib.util
import importlib.metadata as md
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pluggy

from . import hookspecs
from .errors import ConfigError, PluginError
from .specs import BackboneSpec, FrameSourceSpec, LossTermSpec

#: Set to any non-empty value (other than 0) to skip entry-point plugins (tests use it).
DISABLE_AUTOLOAD_ENV = "NST_DISABLE_PLUGIN_AUTOLOAD"
#: Comma-separated plugin (entry-point) names that must not be loaded.
BLOCK_ENV = "NST_BLOCK_PLUGINS"

BUILTIN_MODULES = (
    "nst_pipeline.builtins.backbones",
    "nst_pipeline.builtins.losses",
    "nst_pipeline.builtins.sources",
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
}


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


class Registry:
    """Every backbone, loss term and frame source known to this process."""

    def __init__(self, *, autoload: bool | None = None, extra_plugins: Iterable[Any] = ()) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, PluginInfo] = {}
        self.broken: list[BrokenPlugin] = []
        self._specs: dict[str, dict[str, Any]] = {kind: {} for kind in KINDS}
        if autoload is None:
            autoload = os.environ.get(DISABLE_AUTOLOAD_ENV, "") in ("", "0")
        blocked = {n.strip() for n in os.environ.get(BLOCK_ENV, "").split(",") if n.strip()}
        for module_name in BUILTIN_MODULES:
            self._register_builtin(module_name)
        for module_name in OPTIONAL_BUILTIN_MODULES:
            if importlib.util.find_spec(module_name) is not None:
                self._register_builtin(module_name)
        if autoload:
            self._load_entry_points(blocked)
        for plugin in extra_plugins:
            name = getattr(plugin, "__name__", None) or type(plugin).__name__
            if name not in blocked:
                self._register(plugin, PluginInfo(name, "", "", builtin=False))
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
            if ep.name in blocked or ep.name in self.plugins:
                continue
            try:
                plugin = ep.load()
            except Exception as exc:  # a broken plugin must not break the tool
                self.broken.append(BrokenPlugin(ep.name, dist, f"import failed: {_describe(exc)}"))
                continue
            self._register(plugin, PluginInfo(ep.name, dist, version, builtin=False))

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
        for kind, (hook_name, spec_cls, label) in KINDS.items():
            caller = getattr(self.pm.hook, hook_name)
            # pluggy calls the last registered first; walk in registration order so
            # built-ins claim their names before third parties.
            for impl in reversed(caller.get_hookimpls()):
                self._collect_from(impl, kind, spec_cls, label)

    def _collect_from(self, impl: Any, kind: str, spec_cls: type, label: str) -> None:
        plugin_name = impl.plugin_name
        info = self.plugins.get(plugin_name)
        dist = info.distribution if info else ""
        try:
            specs = list(impl.function() or ())
            bad = [s for s in specs if not isinstance(s, spec_cls)]
            if bad:
                raise TypeError(f"expected {spec_cls.__name__} records, got {type(bad[0]).__name__}")
        except Exception as exc:
            self.broken.append(BrokenPlugin(plugin_name, dist, f"{impl.function.__name__}: {_describe(exc)}"))
            return
        table = self._specs[kind]
        for spec in specs:
            spec = dataclasses.replace(spec, plugin=plugin_name)
            if spec.name in table:
                owner = table[spec.name].plugin
                self.broken.append(BrokenPlugin(
                    plugin_name, dist,
                    f"{label} name {spec.name!r} is already provided by plugin {owner!r}; "
                    f"the one from {plugin_name!r} was skipped",
                ))
                continue
            table[spec.name] = spec

    # -- lookups -----------------------------------------------------------
    def names(self, kind: str) -> list[str]:
        return sorted(self._specs[kind])

    def specs(self, kind: str) -> list[Any]:
        return [self._specs[kind][n] for n in self.names(kind)]

    def get(self, kind: str, name: str) -> Any:
        table = self._specs[kind]
        if name in table:
            return table[name]
        label = KINDS[kind][2]
        raise ConfigError(unknown_name_message(label, name, list(table)))

    def backbone(self, name: str) -> BackboneSpec:
        return self.get("backbone", name)

    def loss(self, name: str) -> LossTermSpec:
        return self.get("loss", name)

    def source(self, name: str) -> FrameSourceSpec:
        return self.get("source", name)

    def require_healthy(self) -> None:
        """Raise if any plugin was skipped (used by ``nst plugins check``)."""
        if self.broken:
            names = ", ".join(b.name for b in self.broken)
            raise PluginError(f"broken plugins: {names}")


def unknown_name_message(label: str, name: str, valid: Iterable[str]) -> str:
    valid = sorted(valid)
    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return f"unknown {label} {name!r}.{hint} Available: {', '.join(valid) or '(none)'}."


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


_default: Registry | None = None


def get_registry() -> Registry:
    """The process-wide registry, built on first use."""
    global _default
    if _default is None:
        _default = Registry()
    return _default


def reset_registry() -> None:
    global _default
    _default = None
