"""``nst plugins list`` and ``nst plugins check``."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import PluginError
from ..plugin_loading import KINDS
from ..registry import Registry, get_registry
from .common import console

#: importing a plugin module that declares specs should take a few milliseconds; torch takes a second
SLOW_IMPORT_S = 0.2

plugins_app = typer.Typer(help="List installed plugins and check that they conform.", no_args_is_help=True)


@plugins_app.command("list")
def list_command() -> None:
    """Every backbone, loss term, frame source and method, with its plugin, distribution and version."""
    registry = get_registry()
    rows = [("KIND", "NAME", "PLUGIN", "DISTRIBUTION", "VERSION", "SUMMARY")]
    for kind in KINDS.values():
        for spec in registry.specs(kind.key):
            info = registry.info(spec)
            rows.append((kind.label, spec.name, "builtin" if info.builtin else spec.plugin,
                         info.distribution or "-", info.version or "-", spec.summary))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for row in rows:
        line = "  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[5]
        _say(line)
    idle = [p for p in registry.plugins.values() if not p.builtin and not registry.provided_by(p.name)]
    for p in idle:
        _say(f"note: plugin {p.name} ({p.distribution or 'no distribution'}) is loaded but declares nothing")
    for b in registry.blocked:
        _say(f"blocked: {b.name} ({b.distribution or 'no distribution'}) by NST_BLOCK_PLUGINS")
    if registry.broken:
        _say(f"{len(registry.broken)} broken plugin(s), skipped:")
        for b in registry.broken:
            _say(f"  {b.name} ({b.distribution or 'no distribution'}): {b.error}")


def _say(line: str) -> None:
    # the table goes to stdout, plain and never wrapped: people grep it (`nst plugins list | grep mine`)
    typer.echo(line)


@plugins_app.command("check")
def check_command(
    names: Annotated[Optional[list[str]], typer.Argument(help="Plugin, distribution, backbone, loss or source names (default: every installed plugin).", show_default=False)] = None,
    builtins: Annotated[bool, typer.Option("--builtins", help="Also check the built-in backbones, losses and sources.")] = False,
    sample: Annotated[Optional[list[Path]], typer.Option("--sample", help="A file to check frame sources on (repeatable).")] = None,
) -> None:
    """Run the conformance kit (nst_pipeline.testing) on installed plugins."""
    registry = get_registry()
    registry.load_all()  # before the kit imports torch: a plugin importing torch is timed doing it
    from .. import testing

    chosen = _select(registry, names, builtins)
    broken = [b for b in registry.broken if not names or {b.name, b.distribution} & set(names)]
    if not chosen and not broken:
        if names:
            raise PluginError(f"no plugin matches {', '.join(names)}")
        _say("no third-party plugins are installed: nothing to check (--builtins checks the built-ins)")
        return
    _warn_slow_imports(registry, chosen, names)
    failures = len(broken)
    for b in broken:
        _say(f"FAIL {b.name} ({b.distribution or 'no distribution'}): {b.error}")
    with tempfile.TemporaryDirectory(prefix="nst-check-") as tmp:
        samples = [*(sample or []), *testing.write_samples(tmp)]
        for kind, spec in chosen:
            label = f"{KINDS[kind].label} {spec.name} ({registry.info(spec).distribution or spec.plugin})"
            try:
                passed = testing.check_spec(kind, spec, samples)
            except testing.NotExercised as exc:
                _say(f"skip {label}: {exc}")
                continue
            except Exception as exc:  # a failing plugin is reported, the others still run
                failures += 1
                _say(f"FAIL {label}: {type(exc).__name__}: {exc}")
                continue
            _say(f"ok   {label}")
            for line in passed:
                _say(f"       - {line}")
    if failures:
        raise PluginError(f"{failures} plugin check(s) failed")


def _warn_slow_imports(registry: Registry, chosen: list[tuple[str, object]], names: list[str] | None) -> None:
    # every name the module declares costs that import, and so does every `nst video` for a source
    asked = {spec.plugin for _, spec in chosen} | set(names or ())
    for p in registry.plugins.values():
        if p.import_seconds > SLOW_IMPORT_S and (not names or {p.name, p.distribution} & asked):
            console.print(f"warning: plugin {p.name} ({p.distribution or 'no distribution'}) took "
                          f"{p.import_seconds:.2f} s to import, and a run that needs any of its names pays that; "
                          "import heavy modules (torch, ...) inside the factory, not at the module's top "
                          "(docs/plugins.md, \"Keep the import light\")")


def _select(registry: Registry, names: list[str] | None, builtins: bool) -> list[tuple[str, object]]:
    chosen = []
    for kind in KINDS:
        for spec in registry.specs(kind):
            info = registry.info(spec)
            if not names and (builtins or not info.builtin):
                chosen.append((kind, spec))
            elif names and {spec.name, spec.plugin, info.distribution} & set(names):
                chosen.append((kind, spec))
    return chosen
