"""Built-in frame sources, declared through the public ``nst_frame_sources`` hook."""

from __future__ import annotations

from ..hookspecs import hookimpl
from ..specs import FrameSourceSpec
from . import lazy

StillImageSource = lazy(".sources.still", "StillImageSource")
probe_still = lazy(".sources.still", "probe_still")


@hookimpl
def nst_frame_sources():
    return [
        FrameSourceSpec("image", lambda loc, o: StillImageSource(loc), probe_still,
                        "a still image file (PNG, JPEG, TIFF, WebP, ...) as one frame", priority=10),
    ]
