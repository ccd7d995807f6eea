"""The built-in plugins: registered through the same hooks as third-party ones.

Their spec records are cheap: factories and probes import their module on the first
call, so `nst plugins list`, `--help` and shell completion never load torch or cv2.
"""

from __future__ import annotations

import importlib


def lazy(module: str, name: str):
    """``nst_pipeline<module>.<name>``, imported when first called."""
    def call(*args, **kwargs):
        return getattr(importlib.import_module(module, "nst_pipeline"), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    return call
