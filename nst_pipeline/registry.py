"""The registry: every backbone, loss term, frame source and method known to this process.

Loading (built-ins, entry points, broken and blocked plugins) lives in
:mod:`nst_pipeline.plugin_loading`; this module resolves names for the rest of the
program, with did-you-mean suggestions and the reason a plugin was skipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import ConfigError, InputError, unknown_name_message
from .plugin_loading import (  # noqa: F401  (re-exported: the registry's public names)
    BLOCK_ENV, DISABLE_AUTOLOAD_ENV, KINDS, BrokenPlugin, PluginInfo, PluginLoader, autoload_enabled,
    blocked_names, check_spec,
)
from .specs import BackboneSpec, FrameSourceSpec, LossTermSpec, MethodSpec


class Registry(PluginLoader):
    """Name lookups over what the plugins declared."""

    def names(self, kind: str) -> list[str]:
        return sorted(self._specs[kind])

    def specs(self, kind: str) -> list[Any]:
        return [self._specs[kind][n] for n in self.names(kind)]

    def get(self, kind: str, name: str) -> Any:
        table = self._specs[kind]
        if name in table:
            return table[name]
        label = KINDS[kind][2]
        message = unknown_name_message(label, name, list(table))
        skipped = [b for b in self.broken if b.name == name or b.distribution == name]
        if skipped:
            message += f" (plugin {skipped[0].name!r} is installed but broken: {skipped[0].error})"
        raise ConfigError(message)

    def backbone(self, name: str) -> BackboneSpec:
        return self.get("backbone", name)

    def loss(self, name: str) -> LossTermSpec:
        return self.get("loss", name)

    def source(self, name: str) -> FrameSourceSpec:
        return self.get("source", name)

    def method(self, name: str) -> MethodSpec:
        return self.get("method", name)

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

    def info(self, spec: Any) -> PluginInfo:
        """Which plugin (and distribution, version) declared ``spec``."""
        return self.plugins.get(spec.plugin) or PluginInfo(spec.plugin, "", "", builtin=False)

    def provided_by(self, plugin_name: str) -> list[tuple[str, Any]]:
        """``(kind, spec)`` for everything one plugin declared."""
        return [(kind, s) for kind in KINDS for s in self.specs(kind) if s.plugin == plugin_name]

    def require_healthy(self) -> None:
        """Raise if any plugin was skipped (used by ``nst plugins check``)."""
        if self.broken:
            names = ", ".join(b.name for b in self.broken)
            raise PluginError(f"broken plugins: {names}")


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


def _opened(spec, location: str, options, role: str):
    """``spec``'s source for ``location``; its input errors say which file it was (``role``)."""
    try:
        return spec.factory(location, options if options is not None else spec.options())
    except InputError as exc:
        if role == "input" or str(exc).startswith(role):
            raise
        raise InputError(f"{role}: {exc}") from None
