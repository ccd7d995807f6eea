"""The registry: every backbone, loss term, frame source and method known to this process.

Loading (built-ins, entry points, broken and blocked plugins) lives in
:mod:`nst_pipeline.plugin_loading`; this module resolves names for the rest of the
program, with did-you-mean suggestions and the reason a plugin was skipped.

Installed plugins cost nothing until used. A name a built-in provides never imports a
plugin (built-ins always keep their names). Another name imports the plugins that
declared it the last time they were imported (:mod:`nst_pipeline.plugin_cache`), and only
when it is still not found, all of them (for the suggestion and the "installed but broken"
note). Listing imports every plugin that may declare what is listed: ``names`` and ``specs``
those of one kind (``open_source`` without a kind: the frame sources), ``plugins`` and
``broken`` all of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError, InputError, unknown_name_message
from .plugin_cache import Installed, PluginIndex, discover, index_key
from .plugin_loading import (
    BACKBONE, KINDS, LOSS, METHOD, SOURCE, BrokenPlugin, Declared, Kind, PluginInfo, PluginLoader, S,
    autoload_enabled, blocked_names, builtin_modules,
)
from .specs import BackboneSpec, FrameSourceSpec, LossTermSpec, MethodSpec


@dataclass
class SpecTables:
    """What the loaded plugins declared, one typed table per kind; the first to claim a name keeps it."""

    backbone: dict[str, BackboneSpec] = field(default_factory=dict)
    loss: dict[str, LossTermSpec] = field(default_factory=dict)
    source: dict[str, FrameSourceSpec] = field(default_factory=dict)
    method: dict[str, MethodSpec] = field(default_factory=dict)

    def of(self, kind: str) -> dict[str, Any]:
        return getattr(self, KINDS[kind].key)


@dataclass
class _Waiting:
    """Installed plugins not imported yet, and what the index says they declare."""

    plugins: dict[str, Installed]
    index: PluginIndex


class Registry:
    """Name lookups over what the plugins declared; installed plugins are imported on first need."""

    def __init__(self, *, autoload: bool | None = None, extra_plugins: Iterable[Any] = ()) -> None:
        self.loader = PluginLoader()
        self.tables = SpecTables()
        self._autoload = autoload_enabled() if autoload is None else autoload
        self._waiting: _Waiting | None = None  # found on first need: reading metadata costs too
        self._blocked: list[PluginInfo] = []
        for module_name in builtin_modules():
            self._claim(self.loader.register_builtin(module_name))
        blocked = blocked_names()
        for plugin in extra_plugins:  # plugin objects given in code (tests, embedding programs)
            name = getattr(plugin, "__name__", None) or type(plugin).__name__
            info = PluginInfo(name, "", "", builtin=False)
            if name in blocked:
                self._blocked.append(info)
            else:
                self._claim(self.loader.register(plugin, info))

    # -- lookups -----------------------------------------------------------
    def backbone(self, name: str) -> BackboneSpec:
        return self._find(BACKBONE, self.tables.backbone, name)

    def loss(self, name: str) -> LossTermSpec:
        return self._find(LOSS, self.tables.loss, name)

    def source(self, name: str) -> FrameSourceSpec:
        return self._find(SOURCE, self.tables.source, name)

    def method(self, name: str) -> MethodSpec:
        return self._find(METHOD, self.tables.method, name)

    def get(self, kind: str, name: str) -> Any:
        return self._find(KINDS[kind], self.tables.of(kind), name)

    def names(self, kind: str) -> list[str]:
        self._load_kind(kind)
        return sorted(self.tables.of(kind))

    def specs(self, kind: str) -> list[Any]:
        self._load_kind(kind)
        table = self.tables.of(kind)
        return [table[n] for n in sorted(table)]

    def open_source(self, location: str, kind: str | None = None, options=None, role: str = "input"):
        """Open ``location`` with the named source kind, or the first registered one that accepts it.
        ``role`` names the file in messages ("video input", "content image")."""
        if kind is not None:
            if location != "-" and not any(ch in location for ch in "*?[") and not Path(location).exists():
                raise InputError(f"{role} not found: {location}")
            return _opened(self.source(kind), location, options, role)
        for spec in sorted(self.specs("source"), key=lambda s: -s.priority):
            try:
                accepts = spec.probe(location)
            except Exception:
                accepts = False  # a probe that crashes just declines
            if accepts:
                return _opened(spec, location, options, role)
        if location != "-" and not Path(location).exists():
            raise InputError(f"{role} not found: {location}")
        raise InputError(f"no frame source can read {role} {location!r}")

    # -- plugins -------------------------------------------------------------
    @property
    def plugins(self) -> dict[str, PluginInfo]:
        """Every plugin that loaded (installed ones are imported to answer)."""
        self.load_all()
        return self.loader.plugins

    @property
    def broken(self) -> list[BrokenPlugin]:
        """Every plugin that was skipped, with why (installed ones are imported to answer)."""
        self.load_all()
        return self.loader.broken

    @property
    def blocked(self) -> list[PluginInfo]:
        """Plugins found but not loaded because of NST_BLOCK_PLUGINS."""
        self._pending()
        return self._blocked

    def info(self, spec: Any) -> PluginInfo:
        """Which plugin (and distribution, version) declared ``spec``."""
        return self.loader.plugins.get(spec.plugin) or PluginInfo(spec.plugin, "", "", builtin=False)

    def provided_by(self, plugin_name: str) -> list[tuple[str, Any]]:
        """``(kind, spec)`` for everything one loaded plugin declared."""
        found = []
        for kind in KINDS:
            table = self.tables.of(kind)
            found += [(kind, table[n]) for n in sorted(table) if table[n].plugin == plugin_name]
        return found

    def load_all(self) -> None:
        """Import every installed plugin not imported yet."""
        waiting = self._pending()
        if waiting is not None:
            self._load(list(waiting.plugins))

    # -- lazy loading ----------------------------------------------------------
    def _find(self, kind: Kind[S], table: dict[str, S], name: str) -> S:
        waiting = self._pending() if name not in table else None
        if waiting is not None:
            self._load(waiting.index.providers(kind.key, name))
            if name not in table:
                self.load_all()
        if name in table:
            return table[name]
        message = unknown_name_message(kind.label, name, list(table))
        skipped = [b for b in self.broken if b.name == name or b.distribution == name]
        if skipped:
            message += f" (plugin {skipped[0].name!r} is installed but broken: {skipped[0].error})"
        raise ConfigError(message)

    def _load_kind(self, kind: str) -> None:
        waiting = self._pending()
        if waiting is not None:
            self._load(waiting.index.may_declare(kind))

    def _pending(self) -> _Waiting | None:
        if not self._autoload:
            return None
        if self._waiting is None:
            found = discover(taken=self.loader.plugins)
            self._blocked += found.blocked
            self.loader.broken += found.clashes
            index = PluginIndex(index_key(found.fingerprint), [p.name for p in found.plugins])
            self._waiting = _Waiting({p.name: p for p in found.plugins}, index)
        return self._waiting

    def _load(self, names: Iterable[str]) -> None:
        """Import the named waiting plugins (in entry-point order), claim their names, remember them."""
        waiting = self._pending()
        for name in names:
            entry = waiting.plugins.pop(name, None)
            if entry is None:
                continue
            declared = self.loader.load(entry.entry_point, entry.info)
            if declared is not None:
                names_by_kind = {kind: [s.name for s in specs] for kind, specs in declared.items() if specs}
                waiting.index.record(name, names_by_kind, entry.module_file())
                self._claim(declared)
        waiting.index.save()

    def _claim(self, declared: Declared | None) -> None:
        for kind, specs in (declared or {}).items():
            table = self.tables.of(kind)
            for spec in specs:
                if spec.name in table:
                    self.loader.broken.append(self._taken(KINDS[kind], spec, table[spec.name].plugin))
                else:
                    table[spec.name] = spec

    def _taken(self, kind: Kind, spec: Any, owner: str) -> BrokenPlugin:
        return BrokenPlugin(spec.plugin, self._dist(spec.plugin), (
            f"{kind.label} name {spec.name!r} is already provided by plugin {owner!r} "
            f"({self._dist(owner) or 'no distribution'}); the one from {spec.plugin!r} was skipped"))

    def _dist(self, plugin_name: str) -> str:
        info = self.loader.plugins.get(plugin_name)
        return info.distribution if info else ""


_default: Registry | None = None


def get_registry() -> Registry:
    """The process-wide registry, built on first use."""
    global _default
    if _default is None:
        _default = Registry()
    return _default


def _opened(spec, location: str, options, role: str):
    """``spec``'s source for ``location``; its input errors say which file it was (``role``)."""
    try:
        return spec.factory(location, options if options is not None else spec.options())
    except InputError as exc:
        if role == "input" or str(exc).startswith(role):
            raise
        raise InputError(f"{role}: {exc}") from None
