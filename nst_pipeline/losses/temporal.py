"""Short-term temporal consistency (Ruder, Dosovitskiy & Brox 2016, eq. 5).

``L = 1/D * sum_k c_k (x_k - w_k)^2`` with ``w`` the previous stylized frame warped
to the current one by optical flow, ``c`` the per-pixel confidence (0 where the
forward-backward check finds occlusion or a motion boundary, where the warp leaves the
frame, or where the frame looks unlike its warped predecessor: see ``video/warm.py``;
the start image takes the content frame at those new pixels) and ``D = C*H*W``.
Dividing by the pixel count, as the paper does, makes the term a mean: the same
weight behaves alike at every resolution. It works on pixels, not features.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .base import LossTerm, Targets


def temporal_loss(image: torch.Tensor, warped: torch.Tensor, confidence: torch.Tensor) -> torch.Tensor:
    """``image``, ``warped``: Nx3xHxW; ``confidence``: Nx1xHxW (or broadcastable) in [0, 1]."""
    return (confidence * (image - warped).pow(2)).mean()


def _fit(t: torch.Tensor, like: torch.Tensor, mode: str) -> torch.Tensor:
    t = t.to(like)
    if t.shape[-2:] != like.shape[-2:]:
        t = F.interpolate(t, size=like.shape[-2:], mode=mode)
    return t


class TemporalLoss(LossTerm):
    """Pulls the frame towards the flow-warped previous result where the flow is trusted."""

    wants_previous = True

    def __init__(self) -> None:
        super().__init__()
        self.warped: torch.Tensor | None = None
        self.confidence: torch.Tensor | None = None

    def bind(self, backbone) -> None:
        self.layers = ()  # pixels only: asks the backbone for nothing

    def prepare(self, targets: Targets) -> None:
        self.warped = targets.previous_warped
        self.confidence = targets.previous_confidence

    def forward(self, feats, image):
        if self.warped is None:
            return image.new_zeros(())  # first frame, or a still: nothing to be steady with
        warped = _fit(self.warped, image, "bilinear")
        confidence = self.confidence
        if confidence is None:
            confidence = torch.ones_like(image[:, :1])
        # nearest keeps the mask binary when a pyramid level differs from the flow's size
        return temporal_loss(image, warped, _fit(confidence, image, "nearest"))
