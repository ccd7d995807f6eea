"""``build_backbone``: a named backbone with its options, for runs, ONNX export and scoring alike."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..options import build_options, split_pairs

if TYPE_CHECKING:  # the registry and the backbone classes (torch) are needed only by the caller
    from ..registry import Registry
    from .base import Backbone


def build_backbone(registry: Registry, name: str, options: Sequence[str] = (), *, pooling: str | None = None,
                   weights: Path | None = None) -> Backbone:
    """The named backbone with its options: the one builder for runs, export and scoring.
    ``name`` may be ``kind:argument`` (e.g. ``onnx:FILE`` = spec ``onnx`` with option model=FILE)."""
    name, sep, argument = name.partition(":")
    spec = registry.backbone(name)
    pairs = dict(split_pairs(options, "backbone option"))
    if sep:
        pairs["model"] = argument
    if pooling is not None:
        pairs["pooling"] = pooling
    if weights is not None:
        pairs["weights"] = str(weights)
    return spec.factory(build_options(spec.options, pairs, f"backbone {spec.name!r}"))
