"""Content and style distances of a finished image, for judging quality.

One fixed yardstick: relative feature distance at the content layers and relative
Gram distance at the style layers (averaged over layers), the same quantities the
default loss terms minimize, computed without weights or normalization tricks.
``encode`` is any callable ``(image, layers) -> {layer: features}``: a torch
backbone or an ONNX-backed one, so both give the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import torch

from .losses.terms import gram, relative_sq_error

Encode = Callable[[torch.Tensor, Sequence[str]], dict]


@dataclass(frozen=True)
class Distances:
    content: float
    style: float
    per_layer: dict[str, float]

    def as_dict(self) -> dict:
        return asdict(self)


@torch.no_grad()
def distances(encode: Encode, image: torch.Tensor, content: torch.Tensor, styles: Sequence[torch.Tensor],
              content_layers: Sequence[str], style_layers: Sequence[str], blend: Sequence[float] | None = None) -> Distances:
    """All images are 1x3xHxW RGB in [0, 1]; ``content`` must have ``image``'s size."""
    blend = list(blend or [1.0] * len(styles))
    blend = [b / sum(blend) for b in blend]
    layers = list(dict.fromkeys([*content_layers, *style_layers]))
    fi = {k: torch.as_tensor(v) for k, v in encode(image, layers).items()}
    fc = {k: torch.as_tensor(v) for k, v in encode(content, list(content_layers)).items()}
    fs = [{k: torch.as_tensor(v) for k, v in encode(s, list(style_layers)).items()} for s in styles]
    per_layer = {}
    for l in content_layers:
        per_layer[f"content:{l}"] = float(relative_sq_error(fi[l], fc[l]))
    for l in style_layers:
        target = sum(b * gram(f[l]) for b, f in zip(blend, fs))
        per_layer[f"style:{l}"] = float(relative_sq_error(gram(fi[l]), target))
    content_d = sum(per_layer[f"content:{l}"] for l in content_layers) / len(content_layers)
    style_d = sum(per_layer[f"style:{l}"] for l in style_layers) / len(style_layers)
    return Distances(content_d, style_d, per_layer)
