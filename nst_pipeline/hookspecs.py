"""Hook specifications: hooks *declare* things, they never do work.

Each hook returns an iterable of spec records (see :mod:`nst_pipeline.specs`).
The built-in backbones, loss terms, frame sources and methods register through exactly
these hooks, so a third-party plugin is a peer of the built-ins.
"""

from __future__ import annotations

from collections.abc import Iterable

import pluggy

PROJECT = "nst_pipeline"
ENTRY_POINT_GROUP = "nst_pipeline"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def nst_backbones() -> Iterable["BackboneSpec"]:  # noqa: F821
    """Return the feature-extractor backbones this plugin provides."""


@hookspec
def nst_loss_terms() -> Iterable["LossTermSpec"]:  # noqa: F821
    """Return the loss terms this plugin provides."""


@hookspec
def nst_frame_sources() -> Iterable["FrameSourceSpec"]:  # noqa: F821
    """Return the frame sources (image, video, folder, stream readers) this plugin provides."""


@hookspec
def nst_methods() -> Iterable["MethodSpec"]:  # noqa: F821
    """Return the methods (how a frame gets stylized: optimization, feed-forward, ...) this plugin provides."""
