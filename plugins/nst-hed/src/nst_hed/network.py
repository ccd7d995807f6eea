"""VGG-16 with the HED (Xie & Tu, ICCV 2015) edge-detection weights, as an nst_pipeline backbone.

HED fine-tunes VGG-16's convolutions (from ImageNet) to find the edges people draw, so its
features care about contours more than texture: styles follow the outlines of the photo.
The side outputs and the fusion layer are kept too, for :func:`edges`, which checks that the
weights were converted correctly (and draws an edge map).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from nst_pipeline.plugin import Backbone, ConfigError

from .weights import VGG16_BLOCKS

WIDTHS = (64, 128, 256, 512, 512)
#: HED's mean pixel (BGR, 0..255), from the original Caffe model
MEAN_BGR = (104.00699, 116.66877, 122.67892)


class HEDPreprocess(nn.Module):
    description = "rgb[0,1] -> bgr*255 - mean_bgr(104.007,116.669,122.679)"

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("mean_bgr", torch.tensor(MEAN_BGR).view(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flip(1) * 255.0 - self.mean_bgr


def hed_layers(pooling: str) -> list[tuple[str, nn.Module]]:
    if pooling not in ("max", "avg"):
        raise ConfigError(f"unknown pooling {pooling!r}; use 'max' or 'avg'")
    layers: list[tuple[str, nn.Module]] = []
    channels = 3
    for block, (n_convs, width) in enumerate(zip(VGG16_BLOCKS, WIDTHS), start=1):
        if block > 1:
            # Keras 'same' pooling rounds up: ceil_mode keeps odd sizes identical to HED's
            pool = nn.MaxPool2d(2, 2, ceil_mode=True) if pooling == "max" else nn.AvgPool2d(2, 2, ceil_mode=True)
            layers.append((f"pool{block - 1}", pool))
        for i in range(1, n_convs + 1):
            layers.append((f"conv{block}_{i}", nn.Conv2d(channels, width, 3, padding=1)))
            layers.append((f"relu{block}_{i}", nn.ReLU(inplace=False)))
            channels = width
    return layers  # HED has no pool5: its last block feeds only a side output


class HEDVGG16(Backbone):
    default_content_layers = ("relu4_2",)
    default_style_layers = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
    preprocessing = HEDPreprocess.description

    def __init__(self, pooling: str = "max") -> None:
        super().__init__(HEDPreprocess(), hed_layers(pooling))
        self.side = nn.ModuleDict({f"dsn{i}": nn.Conv2d(w, 1, 1) for i, w in enumerate(WIDTHS, start=1)})
        self.fuse = nn.Conv2d(5, 1, 1)
        self.freeze()

    def load(self, tensors: dict[str, torch.Tensor]) -> "HEDVGG16":
        modules = {**{n: m for n, m in self.body.items() if n.startswith("conv")}, **self.side, "fuse": self.fuse}
        with torch.no_grad():
            for name, module in modules.items():
                for param in ("weight", "bias"):
                    value = tensors.get(f"{name}.{param}")
                    target = getattr(module, param)
                    if value is None or value.shape != target.shape:
                        got = None if value is None else tuple(value.shape)
                        raise ValueError(f"{name}.{param}: got {got}, need {tuple(target.shape)}")
                    target.copy_(value)
        return self

    @torch.no_grad()
    def edges(self, image: torch.Tensor) -> torch.Tensor:
        """HED's fused edge probability, 1x1xHxW in [0, 1]."""
        taps = [f"relu{b}_{n}" for b, n in enumerate(VGG16_BLOCKS, start=1)]
        feats = self(image, taps)
        size = image.shape[-2:]
        sides = [F.interpolate(self.side[f"dsn{i}"](feats[t]), size=size, mode="bilinear", align_corners=False)
                 for i, t in enumerate(taps, start=1)]
        return torch.sigmoid(self.fuse(torch.cat(sides, dim=1)))
