"""nst_pipeline: neural style transfer (Gatys et al.) for images and video."""

from __future__ import annotations

from .errors import NSTError
from .hookspecs import hookimpl, hookspec
from .specs import BackboneSpec, FrameSourceSpec, LossTermSpec, NoOptions, PluginOptions
from .version import __version__


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
