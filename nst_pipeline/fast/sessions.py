"""onnxruntime sessions for the two networks: planned for one input shape, made on a thread of
their own, and kept optimized on disk so that the next run skips the graph optimization.

Measured on the idle 2-core CPU VM (docs/benchmarks.md, ## Fast method): the transfer session
for 384x512 inputs starts in 0.18 s from the free-shape ONNX file, 0.11 s planned for that
shape, 0.04 s from the optimized ORT-format file this module saves (the style network: 0.09,
0.07, 0.03 s). Start-up is most of a one-picture ``--method fast`` run, so this is worth the
disk: about 0.7 MB per frame shape, 2.7 MB for the style network.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from ..cache import cache_dir
from ..errors import OutputError
from ..images import atomic_write
from ..onnxrt.session import CPU, session_options

#: optimized sessions kept on disk (one per network x input shape); the oldest go first
KEEP = 32
SUFFIX = ".ort"


def compiled_dir() -> Path:
    return cache_dir() / "fast-compiled"


class SessionMaker:
    """Makes sessions with one set of options; on the CPU, through the on-disk cache."""

    def __init__(self, ort, options, providers: list, cache: Path | None) -> None:
        self.ort, self.options, self.providers = ort, options, providers
        # only the CPU provider: a CUDA session's saved graph would tie the file to one GPU setup
        self.cache = cache if providers == [CPU] else None

    def __call__(self, raw: bytes):
        if self.cache is None:
            return self.ort.InferenceSession(raw, self.options, providers=self.providers)
        path = self.cache / f"{self._key(raw)}{SUFFIX}"
        if path.is_file():
            try:
                return self._load(path)
            except Exception:  # a truncated or foreign file: make it again
                path.unlink(missing_ok=True)
        return self._make_and_keep(raw, path)

    def _key(self, raw: bytes) -> str:
        # the saved graph depends on the model bytes (shape included) and onnxruntime's version
        digest = hashlib.sha256(raw)
        digest.update(self.ort.__version__.encode())
        return digest.hexdigest()[:24]

    def _load(self, path: Path):
        options = self._options(self.ort.GraphOptimizationLevel.ORT_DISABLE_ALL)  # optimized already
        session = self.ort.InferenceSession(str(path), options, providers=self.providers)
        os.utime(path)  # recently used: pruned last
        return session

    def _make_and_keep(self, raw: bytes, path: Path):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # written beside its final name and renamed: a reader never loads half a file
            session = atomic_write(path, lambda tmp: self._make_saving(raw, tmp))
        except (OSError, OutputError):  # a read-only cache: run without it
            return self.ort.InferenceSession(raw, self.options, providers=self.providers)
        prune(path.parent)
        return session

    def _make_saving(self, raw: bytes, tmp: str):
        # EXTENDED, not ALL: ALL adds layout changes for this very CPU, which a cache shared by
        # machines (a home directory on several hosts) must not hold
        options = self._options(self.ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED)
        options.optimized_model_filepath = tmp
        options.add_session_config_entry("session.save_model_format", "ORT")
        return self.ort.InferenceSession(raw, options, providers=self.providers)

    def _options(self, level):
        # the run's thread count, at another graph optimization level
        return session_options(self.options.intra_op_num_threads, level=level)


def prune(folder: Path, keep: int = KEEP) -> None:
    """Remove all but the ``keep`` most recently used sessions (not the dot-named files
    another process is still writing)."""
    try:
        kept = [p for p in folder.glob(f"*{SUFFIX}") if not p.name.startswith(".")]
        files = sorted(kept, key=lambda p: p.stat().st_mtime, reverse=True)
        for old in files[keep:]:
            old.unlink(missing_ok=True)
    except OSError:  # another process pruned first
        pass


class Pending:
    """A session being made on a thread of its own: onnxruntime releases the GIL while it plans
    a graph, so a still's transfer session is made while the painting is embedded."""

    def __init__(self, make, raw: bytes) -> None:
        self._session = self._error = None
        self._thread = threading.Thread(target=self._run, args=(make, raw), daemon=True)
        self._thread.start()

    def _run(self, make, raw: bytes) -> None:
        try:
            self._session = make(raw)
        except BaseException as exc:  # re-raised on the thread that asks for the session
            self._error = exc

    def result(self):
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._session
