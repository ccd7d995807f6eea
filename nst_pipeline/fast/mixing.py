"""Pure numpy steps around the networks: mixing embeddings, keeping colors, steadying video."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..frames import rgb_to_yiq, yiq_to_rgb


def blend_embeddings(embeddings: Sequence[np.ndarray], weights: Sequence[float] | None = None) -> np.ndarray:
    """Weighted mean of style embeddings (``--style-blend``; weights need not sum to 1)."""
    w = np.asarray(weights if weights is not None else [1.0] * len(embeddings), dtype=np.float64)
    if len(w) != len(embeddings):
        raise ValueError(f"{len(w)} blend weights for {len(embeddings)} styles")
    stacked = np.stack([np.asarray(e, dtype=np.float64).reshape(-1) for e in embeddings])
    return (w / w.sum() @ stacked).astype(np.float32)


def with_strength(style: np.ndarray, own: np.ndarray, strength: float) -> np.ndarray:
    """Interpolate from the content's own embedding (0) to the painting's (1): the network then
    paints the photo in (almost) its own style at 0, which keeps its look."""
    return ((1.0 - strength) * own + strength * style).astype(np.float32)


def keep_colors(stylized: np.ndarray, content: np.ndarray) -> np.ndarray:
    """Luminance (Y) of ``stylized`` with the chroma (I, Q) of ``content`` (both HxWx3 in [0, 1])."""
    out = rgb_to_yiq(content.astype(np.float32))
    out[..., 0] = rgb_to_yiq(stylized.astype(np.float32))[..., 0]
    return np.clip(yiq_to_rgb(out), 0.0, 1.0)


def temporal_alpha(weight: float, confidence: np.ndarray) -> np.ndarray:
    """How much of the warped previous result a pixel keeps: ``w / (1 + w) * confidence``.

    ``w`` reads as "the previous frame counts w times as much as the new pass": 0 is per-frame,
    1 an even mix, and it never reaches 1, so a new frame always shows through. Occluded or
    newly revealed pixels (confidence 0) take the new pass only.
    """
    w = max(float(weight), 0.0)
    return (w / (1.0 + w)) * np.clip(confidence, 0.0, 1.0).astype(np.float32)


def steady(current: np.ndarray, warped: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Per-pixel blend ``alpha * warped + (1 - alpha) * current`` (alpha HxW)."""
    a = alpha[..., None]
    return (a * warped + (1.0 - a) * current).astype(np.float32)
