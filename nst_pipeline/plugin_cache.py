"""Installed plugins without importing them: found from their entry points, and which names
each declares, remembered across runs.

Importing a plugin module can cost seconds (one that imports torch at its top), so the
registry imports a plugin only when it needs one of its names. To know which plugin that is,
the first import of each plugin records what it declared in a small JSON file in the cache
folder: ``{entry point: {kind: [names]}}``. The file is valid for one set of installed plugins
(distribution, version, entry point, folder: installing, upgrading or removing one changes
it), and each entry for as long as its module file is unchanged (an editable install edited
in place). A missing, stale or corrupt file only costs time: plugins nobody has recorded are
"unknown" and get imported whenever a name is not found elsewhere.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import json
import os
import sys
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import NSTError
from .hookspecs import ENTRY_POINT_GROUP
from .plugin_loading import KINDS, BrokenPlugin, PluginInfo, blocked_names

#: Path of the index file (default: ``plugin-index.json`` in :func:`nst_pipeline.cache.cache_dir`).
INDEX_ENV = "NST_PLUGIN_INDEX"
INDEX_FILE = "plugin-index.json"
FORMAT = 1


@dataclass(frozen=True)
class Installed:
    """An installed plugin, known from its entry point and not imported yet."""

    entry_point: md.EntryPoint
    info: PluginInfo

    @property
    def name(self) -> str:
        return self.info.name

    def module_file(self) -> str | None:
        """The imported module's file (once loaded), to notice later edits."""
        return getattr(sys.modules.get(self.entry_point.module), "__file__", None)


@dataclass(frozen=True)
class Discovery:
    plugins: list[Installed]      # to load on need, in entry-point order
    blocked: list[PluginInfo]     # by NST_BLOCK_PLUGINS
    clashes: list[BrokenPlugin]   # an entry-point name another distribution has already
    #: every installed entry point, blocked ones too: (distribution, version, name, value, folder)
    fingerprint: list[tuple[str, str, str, str, str]]


def discover(taken: Collection[str]) -> Discovery:
    """Every entry point of group ``nst_pipeline``, read from metadata: nothing is imported."""
    blocked = blocked_names()
    owners = {name: "nst_pipeline" for name in taken}
    found, skipped, clashes, fingerprint = [], [], [], []
    for ep in md.entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if ep.dist else ""
        version = ep.dist.version if ep.dist else ""
        info = PluginInfo(ep.name, dist, version, builtin=False)
        fingerprint.append((dist, version, ep.name, ep.value, str(ep.dist.locate_file("")) if ep.dist else ""))
        if ep.name in blocked or (dist and dist in blocked):
            skipped.append(info)
        elif ep.name in owners:
            clashes.append(BrokenPlugin(ep.name, dist, (
                f"plugin name {ep.name!r} is already taken by distribution {owners[ep.name] or '(none)'!r}; skipped")))
        else:
            owners[ep.name] = dist
            found.append(Installed(ep, info))
    return Discovery(found, skipped, clashes, sorted(fingerprint))


def index_path() -> Path:
    override = os.environ.get(INDEX_ENV)
    if override:
        return Path(override).expanduser()
    from .cache import cache_dir

    return cache_dir() / INDEX_FILE


def index_key(fingerprint: Sequence[Sequence[str]]) -> str:
    return hashlib.sha256(json.dumps([list(row) for row in fingerprint]).encode()).hexdigest()


class PluginIndex:
    """What each installed plugin declared when it was last imported, and what to import for a name."""

    def __init__(self, key: str, order: Sequence[str], path: Path | None = None) -> None:
        self.path = path or index_path()
        self.key = key
        self.order = list(order)  # entry-point order: the first plugin to declare a name keeps it
        self.entries = _read(self.path, key)
        self._changed = False

    def known(self, plugin: str) -> bool:
        return plugin in self.entries

    def providers(self, kind: str, name: str) -> list[str]:
        """The plugins that declared ``kind`` ``name``, with every earlier plugin that shares a name
        with them: loaded together, each name goes to the same plugin as when all of them load."""
        chosen = {p for p in self.order if name in self._declares(p).get(kind, ())}
        while chosen:
            claims = set().union(*(self._claims(p) for p in chosen))
            last = max(self.order.index(p) for p in chosen)
            rivals = {p for p in self.order[:last] if self._claims(p) & claims} - chosen
            if not rivals:
                break
            chosen |= rivals
        return [p for p in self.order if p in chosen]

    def may_declare(self, kind: str) -> list[str]:
        """The plugins that declared something of ``kind``, and the unknown ones."""
        return [p for p in self.order if not self.known(p) or self._declares(p).get(kind)]

    def record(self, plugin: str, declares: dict[str, list[str]], module_file: str | None) -> None:
        entry = {"declares": declares, "file": module_file, "mtime_ns": _mtime_ns(module_file)}
        if self.entries.get(plugin) != entry:
            self.entries[plugin] = entry
            self._changed = True

    def save(self) -> None:
        """Write the index if it changed. A failure is ignored: the index only saves time."""
        if not self._changed:
            return
        from .images import atomic_write

        text = json.dumps({"format": FORMAT, "key": self.key, "plugins": self.entries}, indent=1, sort_keys=True)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.path, lambda tmp: Path(tmp).write_text(text))
        except (OSError, NSTError):  # a read-only cache folder must not stop a run
            return
        self._changed = False

    def _declares(self, plugin: str) -> dict[str, list[str]]:
        entry = self.entries.get(plugin)
        return entry["declares"] if entry else {}

    def _claims(self, plugin: str) -> set[tuple[str, str]]:
        return {(kind, name) for kind, names in self._declares(plugin).items() for name in names}


def _read(path: Path, key: str) -> dict[str, dict]:
    """The entries still valid for ``key``; anything unreadable or malformed reads as none."""
    try:
        data = json.loads(path.read_text())
        if data["format"] != FORMAT or data["key"] != key:
            return {}
        return {name: entry for name, entry in data["plugins"].items() if _valid(entry)}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}


def _valid(entry) -> bool:
    declares = entry["declares"]
    well_formed = isinstance(declares, dict) and all(
        kind in KINDS and isinstance(names, list) and all(isinstance(n, str) for n in names)
        for kind, names in declares.items())
    return well_formed and entry.get("mtime_ns") == _mtime_ns(entry.get("file"))


def _mtime_ns(file) -> int | None:
    if not isinstance(file, str) or not file:
        return None
    try:
        return os.stat(file).st_mtime_ns
    except OSError:
        return None
