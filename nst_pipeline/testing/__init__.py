"""Conformance kit: what a plugin's own tests call to check its spec records.

Each ``check_*`` function exercises one spec the way the pipeline will, raises
:class:`ConformanceError` (an ``AssertionError``, so pytest shows it plainly)
naming the first broken promise, and returns the list of checks that passed::

    from nst_pipeline.testing import check_loss_term
    from nst_mine import nst_loss_terms

    def test_conforms():
        for spec in nst_loss_terms():
            check_loss_term(spec)

Everything runs on the CPU at a few dozen pixels, with a tiny VGG-shaped
backbone (:func:`kit_backbone`: VGG-19 layer names, a handful of channels).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .backbones import check_backbone
from .common import ConformanceError, KitBackbone, NotExercised, kit_backbone, smooth_image
from .losses import check_loss_term
from .methods import check_method
from .sources import check_frame_source, write_samples

__all__ = [
    "ConformanceError", "NotExercised", "KitBackbone", "kit_backbone", "smooth_image",
    "check_loss_term", "check_backbone", "check_frame_source", "check_method", "write_samples", "check_spec",
]


def check_spec(kind: str, spec: Any, samples: Iterable[Path] = (), options: Any = None) -> list[str]:
    """Dispatch on ``kind`` (``backbone``, ``loss``, ``source``, ``method``); a source is checked on every
    sample its probe accepts, and a source that accepts none fails (pass your own sample)."""
    if kind == "backbone":
        return check_backbone(spec, options)
    if kind == "loss":
        return check_loss_term(spec, options)
    if kind == "method":
        return check_method(spec, options)
    if kind != "source":
        raise NotExercised(f"the kit has no checks for {kind} specs yet")
    samples = list(samples)
    accepted = [p for p in samples if _accepts(spec.probe, str(p))]
    if not accepted:
        names = ", ".join(Path(p).name for p in samples)
        raise NotExercised(f"{spec.name} accepts none of the samples ({names}); pass one with --sample")
    return [f"{Path(p).name}: {msg}" for p in accepted for msg in check_frame_source(spec, p, options)]


def _accepts(probe: Callable[[str], bool], location: str) -> bool:
    try:
        return bool(probe(location))
    except Exception:
        return False
