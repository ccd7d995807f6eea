"""The torch side of the mean-and-covariance style loss (see the package docstring)."""

from __future__ import annotations

import torch

from nst_pipeline.plugin import LossTerm, Targets


def feature_moments(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``N x C x H x W`` -> mean ``(C,)`` and covariance ``(C, C)`` over all positions."""
    c = features.shape[1]
    flat = features.transpose(0, 1).reshape(c, -1)
    mean = flat.mean(dim=1)
    centered = flat - mean[:, None]
    return mean, centered @ centered.T / flat.shape[1]


def sym_sqrt(matrix: torch.Tensor) -> torch.Tensor:
    """Square root of a symmetric positive semi-definite matrix (negative round-off clipped)."""
    values, vectors = torch.linalg.eigh(matrix)
    return (vectors * values.clamp(min=0).sqrt()) @ vectors.T


def capped_sqrt(x: torch.Tensor, floor: torch.Tensor | float) -> torch.Tensor:
    """sqrt(x) above ``floor``, the chord x / sqrt(floor) below it: continuous, 0 at 0, and
    with a finite slope where sqrt's would blow up (relu features leave many zero eigenvalues)."""
    floor = torch.as_tensor(floor, dtype=x.dtype, device=x.device)
    if float(floor) <= 0:
        return x.clamp(min=0).sqrt()
    return torch.where(x > floor, x.clamp(min=floor).sqrt(), x / floor.sqrt())


def wasserstein2_sq(mean: torch.Tensor, cov: torch.Tensor, target_mean: torch.Tensor,
                    target_cov: torch.Tensor, target_sqrt: torch.Tensor, eps: float = 0.0) -> torch.Tensor:
    """Squared W2 between N(mean, cov) and N(target_mean, target_cov); ``target_sqrt`` = target_cov^1/2."""
    cross = target_sqrt @ cov @ target_sqrt
    cross = (cross + cross.T) / 2  # symmetric in exact arithmetic; eigvalsh wants it exactly so
    floor = eps * target_cov.trace().clamp(min=1e-12) / cov.shape[0]
    root_trace = capped_sqrt(torch.linalg.eigvalsh(cross), floor).sum()
    return (mean - target_mean).pow(2).sum() + cov.trace() + target_cov.trace() - 2 * root_trace


class MeanCovStyleLoss(LossTerm):
    """Relative squared 2-Wasserstein distance between Gaussian fits of the features."""

    default_layers_from = "style"

    def __init__(self, layers=None, layer_weights=None, eps: float = 1e-6) -> None:
        super().__init__(layers, layer_weights)
        self.eps = eps

    def prepare(self, targets: Targets) -> None:
        blend = targets.blend_weights()
        per_style = targets.style_features(self.layers)
        self.targets = {}
        for layer in self.layers:
            # mixture moments: E[x] and E[x x^T] average over styles, then re-centre
            moments = [feature_moments(f[layer].double()) for f in per_style]
            mean = sum(b * m for b, (m, _) in zip(blend, moments))
            second = sum(b * (s + torch.outer(m, m)) for b, (m, s) in zip(blend, moments))
            cov = second - torch.outer(mean, mean)
            dtype = per_style[0][layer].dtype
            scale = (mean.pow(2).sum() + cov.trace()).clamp(min=1e-12)
            self.targets[layer] = tuple(t.to(dtype) for t in (mean, cov, sym_sqrt(cov), scale))

    def forward(self, feats, image):
        total = image.new_zeros(())
        for layer, weight in zip(self.layers, self.layer_weights()):
            mean, cov = feature_moments(feats[layer])
            t_mean, t_cov, t_sqrt, scale = self.targets[layer]
            total = total + weight * wasserstein2_sq(mean, cov, t_mean, t_cov, t_sqrt, self.eps) / scale
        return total
