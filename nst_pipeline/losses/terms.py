"""The classic Gatys terms, normalized so default weights behave alike at any size.

Content and style distances are *relative*: squared error divided by the
squared norm of the target. That removes the dependence on image size, on
feature magnitude (Caffe vs torchvision preprocessing) and on the layer, so
one set of default weights serves every backbone and resolution.
"""

from __future__ import annotations

import torch

from .base import LossTerm, Targets

EPS = 1e-8


def gram(features: torch.Tensor) -> torch.Tensor:
    """Gram matrix per batch item, averaged over positions: ``F F^T / (H W)``."""
    n, c, h, w = features.shape
    flat = features.reshape(n, c, h * w)
    if flat.dtype in (torch.float16, torch.bfloat16):
        # Gram sums over many positions: in half precision it overflows / loses the style signal
        flat = flat.float()
    return flat @ flat.transpose(1, 2) / (h * w)


def relative_sq_error(x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return (x - target).pow(2).sum() / (target.pow(2).sum() + EPS)


class ContentLoss(LossTerm):
    """Relative squared distance between features of the image and of the content."""

    default_layers_from = "content"

    def prepare(self, targets: Targets) -> None:
        self.targets = targets.content_features(self.layers)

    def forward(self, feats, image):
        return sum(w * relative_sq_error(feats[l], self.targets[l]) for l, w in zip(self.layers, self.layer_weights()))


class GramStyleLoss(LossTerm):
    """Relative squared distance between Gram matrices; several styles blend their Grams."""

    default_layers_from = "style"

    def prepare(self, targets: Targets) -> None:
        blend = targets.blend_weights()
        per_style = targets.style_features(self.layers)
        self.targets = {
            l: sum(b * gram(f[l]) for b, f in zip(blend, per_style)) for l in self.layers
        }

    def forward(self, feats, image):
        return sum(w * relative_sq_error(gram(feats[l]), self.targets[l]) for l, w in zip(self.layers, self.layer_weights()))


def total_variation(image: torch.Tensor) -> torch.Tensor:
    """Mean squared difference between neighbouring pixels (both directions)."""
    dh = image[..., 1:, :] - image[..., :-1, :]
    dw = image[..., :, 1:] - image[..., :, :-1]
    return dh.pow(2).mean() + dw.pow(2).mean()


class TotalVariationLoss(LossTerm):
    """Smoothness prior on the image itself; needs no features."""

    def bind(self, backbone) -> None:
        self.layers = ()

    def forward(self, feats, image):
        return total_variation(image)
