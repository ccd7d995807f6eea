"""An exported model posing as a backbone: the same calls, forward only."""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

from ..backbones.base import Backbone
from ..errors import ConfigError
from .runtime import OnnxFeatures


class OnnxBackbone(Backbone):
    """Answers ``forward(image, layers)`` through onnxruntime; has no parameters and no autograd.

    Good for targets and scoring; optimization needs image gradients and stays in torch.
    """

    #: no autograd through onnxruntime: tools that probe gradients should skip this one
    differentiable = False

    def __init__(self, features: OnnxFeatures) -> None:
        nn.Module.__init__(self)  # no torch layers to build: the graph lives in the file
        info = features.info
        self.features = features
        self.preprocess = nn.Identity()  # baked into the ONNX graph
        self.body = nn.ModuleDict()
        self.layer_names = info.layers
        self.default_content_layers = info.default_content_layers
        self.default_style_layers = info.default_style_layers
        self.preprocessing = info.preprocessing
        self.weights_sha256 = info.weights_sha256

    @property
    def label(self) -> str:
        return f"onnx:{self.features.path}"

    def check_layers(self, layers: Iterable[str]) -> list[str]:
        return self.features.info.check_layers(layers)

    def downsampling(self, layer: str) -> int:
        return self.features.info.downsampling[layer]

    def min_side(self, layers: Iterable[str]) -> int:
        return self.features.info.min_side(layers)

    def forward(self, image: torch.Tensor, layers: Iterable[str]) -> dict[str, torch.Tensor]:
        if torch.is_grad_enabled() and image.requires_grad:
            raise ConfigError(
                f"backbone {self.label} runs forward-only through onnxruntime and cannot give the "
                "image gradients that optimization needs. Optimize with a torch backbone "
                "(e.g. --backbone vgg19) and let ONNX compute only the targets: "
                f"--targets onnx --onnx-model {self.features.path}"
            )
        return self.features(image, layers)

    def truncated(self, layers: Iterable[str]) -> "OnnxBackbone":
        self.check_layers(layers)
        return self  # the file already ends at its deepest layer
