"""nst_pipeline: neural style transfer (Gatys et al.) for images and video."""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import NSTError  # noqa: E402
from .hookspecs import hookimpl, hookspec  # noqa: E402
from .specs import BackboneSpec, FrameSourceSpec, LossTermSpec, NoOptions, PluginOptions  # noqa: E402


def __getattr__(name):
    # keep `import nst_pipeline` light: the API pulls in torch only when used
    if name in ("stylize_image", "stylize_video", "stylize_tensor"):
        from . import api

        return getattr(api, name)
    raise AttributeError(name)


__all__ = [
    "__version__", "NSTError", "hookimpl", "hookspec", "BackboneSpec", "LossTermSpec",
    "FrameSourceSpec", "PluginOptions", "NoOptions", "stylize_image", "stylize_video", "stylize_tensor",
]
