"""Synthetic shots for the scene-cut and segmentation tests."""

from __future__ import annotations

import numpy as np


def shot(n: int, seed: int, size=(48, 64)) -> list[np.ndarray]:
    """A panning shot: one random smooth picture, shifted one pixel per frame."""
    rng = np.random.default_rng(seed)
    h, w = size
    base = rng.uniform(0, 255, (h // 8 + 2, (w + n) // 8 + 2, 3)).astype(np.float32)
    import cv2

    big = cv2.resize(base, ((w + n + 16), h + 16), interpolation=cv2.INTER_CUBIC)
    return [np.clip(big[8:8 + h, 8 + i:8 + i + w], 0, 255).astype(np.uint8) for i in range(n)]
