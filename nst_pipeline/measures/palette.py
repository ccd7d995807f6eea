"""Colour-palette distance: how far the colours of one picture are from another's, wherever
they sit in the picture (a stylized output against its painting, or against the photo).

The sliced Wasserstein-2 distance of the two pictures' CIE Lab colours (D65, sRGB input):
both colour clouds are projected on fixed directions, each projection's sorted values are
matched, and the mean squared gap is taken over the directions. The directions come in
orthonormal triples (random rotations from a fixed seed), so their second moment is exactly
I/3 and ``sqrt(3 * mean)`` is in Lab units: moving every pixel by the same Lab vector ``v``
gives ``|v|``, the CIE76 colour difference (white against black: 100; a just noticeable
difference is about 2.3). A picture in the painting's colours scores a few units; a photo
against a painting of other colours scores tens.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: pixels drawn per picture (a fixed-seed draw; every pixel when the picture has fewer)
MAX_PIXELS = 1 << 14
#: random rotations; each gives three orthonormal directions
ROTATIONS = 32
#: quantile levels at which the sorted projections are compared
LEVELS = 4096
SEED = 22

_SRGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                         [0.2126729, 0.7151522, 0.0721750],
                         [0.0193339, 0.1191920, 0.9503041]])
_D65 = _SRGB_TO_XYZ.sum(axis=1)  # the white point: sRGB white maps to L=100, a=b=0 exactly


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """...x3 sRGB in [0, 1] -> ...x3 CIE Lab (L in 0..100)."""
    c = np.clip(np.asarray(rgb, dtype=np.float64), 0.0, 1.0)
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    t = (linear @ _SRGB_TO_XYZ.T) / _D65
    eps = (6 / 29) ** 3
    f = np.where(t > eps, np.cbrt(np.maximum(t, eps)), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


def directions(rotations: int = ROTATIONS, seed: int = SEED) -> np.ndarray:
    """``3 * rotations`` unit vectors in rows, in orthonormal triples (QR of Gaussian matrices)."""
    rng = np.random.default_rng(seed)
    triples = []
    for _ in range(rotations):
        q, r = np.linalg.qr(rng.standard_normal((3, 3)))
        triples.append((q * np.sign(np.diag(r))).T)  # sign fix: a Haar-random rotation
    return np.concatenate(triples)


def lab_pixels(rgb: np.ndarray, count: int, seed: int = SEED) -> np.ndarray:
    """``count`` Lab colours of an HxWx3 picture: every pixel when it has no more than ``count``,
    else a fixed-seed draw without repeats (deterministic for a given size)."""
    flat = np.asarray(rgb, dtype=np.float64).reshape(-1, 3)
    if len(flat) > count:
        flat = flat[np.sort(np.random.default_rng(seed).choice(len(flat), count, replace=False))]
    return rgb_to_lab(flat)


def _quantiles(projected: np.ndarray, levels: int) -> np.ndarray:
    """Per row (one direction), the sorted values read at ``levels`` evenly spaced quantiles."""
    ranked = np.sort(projected, axis=1)
    n = ranked.shape[1]
    at = ((np.arange(levels) + 0.5) * n / levels).astype(np.int64)
    return ranked[:, np.minimum(at, n - 1)]


def sliced_wasserstein(a: np.ndarray, b: np.ndarray, levels: int = LEVELS) -> float:
    """Sliced W2 of two Nx3 / Mx3 point clouds, scaled so a rigid shift by ``v`` gives ``|v|``."""
    dirs = directions()
    qa, qb = _quantiles(dirs @ a.T, levels), _quantiles(dirs @ b.T, levels)
    return float(np.sqrt(3.0 * np.mean((qa - qb) ** 2)))


def palette_distance(image: np.ndarray, others: Sequence[np.ndarray], blend: Sequence[float] | None = None,
                     max_pixels: int = MAX_PIXELS) -> float:
    """Lab palette distance of HxWx3 RGB ``image`` to ``others`` (one painting, or several mixed by
    ``blend``: each gives a share of the pixels). Symmetric for one other; 0 for equal palettes."""
    others = list(others)
    weights = np.asarray(blend if blend is not None else [1.0] * len(others), dtype=np.float64)
    if len(weights) != len(others) or not np.all(weights >= 0) or weights.sum() <= 0:
        raise ValueError("one non-negative blend weight per picture, not all zero")
    weights = weights / weights.sum()
    mine = lab_pixels(image, max_pixels)
    pooled = [lab_pixels(o, max(1, round(w * max_pixels)), SEED + i) for i, (o, w) in enumerate(zip(others, weights))
              if w > 0]
    return sliced_wasserstein(mine, np.concatenate(pooled))
