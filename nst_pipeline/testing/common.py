"""What every check shares: the error types, the tiny kit backbone and the test pictures."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..backbones.base import Backbone

VGG19_BLOCKS = (2, 2, 4, 4, 4)


class ConformanceError(AssertionError):
    """A spec broke a promise the pipeline relies on."""


class NotExercised(Exception):
    """The kit had nothing to run a spec on (a frame source that accepts none of the samples)."""


def require(ok: bool, message: str) -> None:
    if not ok:
        raise ConformanceError(message)


def call(name: str, stage: str, function, *args):
    """Run a plugin's code; an exception becomes a ConformanceError naming the spec and stage."""
    try:
        return function(*args)
    except (ConformanceError, NotExercised):
        raise
    except Exception as exc:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise ConformanceError(f"{name}: {stage} raised {type(exc).__name__}{': ' + text if text else ''}") from exc


def options_for(spec: Any, options: Any) -> Any:
    return options if options is not None else spec.options()


class KitBackbone(Backbone):
    """VGG-19's layer names and shape, 4-8 channels wide, fixed random weights."""

    default_content_layers = ("relu4_2",)
    default_style_layers = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
    preprocessing = "rgb[0,1] -> x - 0.5"

    def __init__(self, seed: int = 0) -> None:
        gen = torch.Generator().manual_seed(seed)
        layers, channels = [], 3
        for block, n_convs in enumerate(VGG19_BLOCKS, start=1):
            width = 4 if block == 1 else 8
            for i in range(1, n_convs + 1):
                conv = nn.Conv2d(channels, width, 3, padding=1)
                with torch.no_grad():
                    conv.weight.copy_(torch.randn(conv.weight.shape, generator=gen) * (2.0 / (9 * channels)) ** 0.5)
                    conv.bias.copy_(torch.rand(conv.bias.shape, generator=gen) * 0.1)
                layers += [(f"conv{block}_{i}", conv), (f"relu{block}_{i}", nn.ReLU())]
                channels = width
            layers.append((f"pool{block}", nn.AvgPool2d(2)))
        super().__init__(_Shift(), layers)
        self.weights_sha256 = "kit"


class _Shift(nn.Module):
    def forward(self, x):
        return x - 0.5


def kit_backbone() -> KitBackbone:
    return KitBackbone()


def smooth_image(h: int, w: int, seed: int) -> torch.Tensor:
    """A 1x3xHxW picture in [0.05, 0.95]: gradients and waves, different for each seed."""
    gen = torch.Generator().manual_seed(seed)
    phase = torch.rand(3, generator=gen) * 6.28
    freq = 2 + torch.rand(3, generator=gen) * 6
    yy, xx = torch.meshgrid(torch.linspace(0, 1, h), torch.linspace(0, 1, w), indexing="ij")
    chans = [0.5 + 0.45 * torch.sin(freq[c] * (xx + (c + 1) * yy) * 3.14 + phase[c]) for c in range(3)]
    return torch.stack(chans).unsqueeze(0)


def noise_image(h: int, w: int, seed: int) -> torch.Tensor:
    return torch.rand(1, 3, h, w, generator=torch.Generator().manual_seed(seed))
