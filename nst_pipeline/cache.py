"""Where downloaded or converted model files live, and how they are pinned (no torch here:
the fast method and plugins that only fetch files use it too)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

CACHE_ENV = "NST_CACHE_DIR"


def cache_dir() -> Path:
    """The user cache directory for weights (``$NST_CACHE_DIR`` overrides it)."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("nst_pipeline")) / "weights"


def sha256_of(path: Path) -> str:
    """The sha256 hex digest of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
