"""VGG networks with layers named the way the style-transfer literature names them.

``conv3_2`` is the second convolution of block 3, ``relu3_2`` its activation,
``pool3`` the pooling that closes the block.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from ..errors import ConfigError
from .base import Backbone

# convolutions per block
VGG_BLOCKS = {"vgg16": (2, 2, 3, 3, 3), "vgg19": (2, 2, 4, 4, 4)}
VGG_WIDTHS = (64, 128, 256, 512, 512)

DEFAULT_CONTENT_LAYERS = ("relu4_2",)
DEFAULT_STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")


class CaffePreprocess(nn.Module):
    """RGB [0, 1] -> BGR [0, 255] minus the ImageNet mean pixel, as the original VGG weights expect."""

    description = "rgb[0,1] -> bgr*255 - mean_bgr(103.939,116.779,123.68)"

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("mean_bgr", torch.tensor([103.939, 116.779, 123.68]).view(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flip(1) * 255.0 - self.mean_bgr


class ImageNetPreprocess(nn.Module):
    """RGB [0, 1] normalized by ImageNet mean/std, as torchvision weights expect."""

    description = "rgb[0,1] -> (x - mean(0.485,0.456,0.406)) / std(0.229,0.224,0.225)"

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


def vgg_layers(arch: str, pooling: str = "max") -> list[tuple[str, nn.Module]]:
    if pooling not in ("max", "avg"):
        raise ConfigError(f"unknown pooling {pooling!r}; use 'max' or 'avg'")
    pool_cls = nn.MaxPool2d if pooling == "max" else nn.AvgPool2d
    layers: list[tuple[str, nn.Module]] = []
    channels = 3
    for block, (n_convs, width) in enumerate(zip(VGG_BLOCKS[arch], VGG_WIDTHS), start=1):
        for i in range(1, n_convs + 1):
            layers.append((f"conv{block}_{i}", nn.Conv2d(channels, width, 3, padding=1)))
            # not in-place: a conv output tapped as a feature must survive its ReLU
            layers.append((f"relu{block}_{i}", nn.ReLU(inplace=False)))
            channels = width
        layers.append((f"pool{block}", pool_cls(2, 2)))
    return layers


def conv_names(arch: str) -> list[str]:
    return [n for n, m in vgg_layers(arch) if n.startswith("conv")]


class VGG(Backbone):
    default_content_layers = DEFAULT_CONTENT_LAYERS
    default_style_layers = DEFAULT_STYLE_LAYERS

    def __init__(self, arch: str, preprocess: nn.Module, pooling: str = "max") -> None:
        super().__init__(preprocess, vgg_layers(arch, pooling))
        self.arch = arch
        self.preprocessing = getattr(preprocess, "description", "")

    def load_conv_weights(self, weights: Mapping[str, tuple[torch.Tensor, torch.Tensor]]) -> None:
        """Copy ``{conv_name: (weight, bias)}`` into the network, checking every shape."""
        missing = [n for n in conv_names(self.arch) if n not in weights]
        if missing:
            raise ValueError(f"weights lack layers: {', '.join(missing)}")
        with torch.no_grad():
            for name in conv_names(self.arch):
                conv = self.body[name]
                w, b = weights[name]
                if tuple(w.shape) != tuple(conv.weight.shape) or tuple(b.shape) != tuple(conv.bias.shape):
                    raise ValueError(f"{name}: shape {tuple(w.shape)} does not fit {tuple(conv.weight.shape)}")
                conv.weight.copy_(w)
                conv.bias.copy_(b)
