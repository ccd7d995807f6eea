"""Backbone: a frozen feature extractor with named layers in forward order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch
from torch import nn

from ..errors import ConfigError, InputError, unknown_name_message


class Backbone(nn.Module):
    """A frozen stack of named layers.

    Input is always RGB float in [0, 1], NCHW; the backbone applies its own
    preprocessing. ``forward(image, layers)`` returns exactly the requested
    layers and stops after the deepest one.
    """

    #: the layers a content / style term uses when the user names none
    default_content_layers: tuple[str, ...] = ()
    default_style_layers: tuple[str, ...] = ()
    #: human-readable preprocessing, recorded in exported models
    preprocessing: str = ""
    #: sha256 of the weights file the parameters came from ("" when unknown)
    weights_sha256: str = ""
    #: torch preprocessing module applied before the first layer
    preprocess: nn.Module

    def __init__(self, preprocess: nn.Module, layers: Sequence[tuple[str, nn.Module]]) -> None:
        super().__init__()
        self.preprocess = preprocess
        self.layer_names: tuple[str, ...] = tuple(name for name, _ in layers)
        self.body = nn.ModuleDict(dict(layers))
        self.channels_last = False
        self.freeze()

    def use_channels_last(self) -> "Backbone":
        """Store weights and activations NHWC: CPU (oneDNN) and cuDNN convolutions run
        ~20% faster that way (scripts/bench_image.py); results are unchanged."""
        self.to(memory_format=torch.channels_last)
        self.channels_last = True
        return self

    def freeze(self) -> "Backbone":
        # Parameters never need grad: backward then computes only the image gradient.
        for p in self.parameters():
            p.requires_grad_(False)
        return self.eval()

    def train(self, mode: bool = True) -> "Backbone":
        return super().train(False)  # frozen: no dropout/batch-norm updates, ever

    def check_layers(self, layers: Iterable[str]) -> list[str]:
        """Return ``layers`` in forward order, or raise naming the unknown one."""
        layers = list(dict.fromkeys(layers))
        for name in layers:
            if name not in self.body:
                raise ConfigError(unknown_name_message("layer", name, self.layer_names))
        return sorted(layers, key=self.layer_names.index)

    def downsampling(self, layer: str) -> int:
        """How many times the input is halved before ``layer`` is computed."""
        upto = self.layer_names[: self.layer_names.index(layer) + 1]
        return sum(1 for n in upto if n.startswith("pool"))

    def min_side(self, layers: Iterable[str]) -> int:
        """The smallest image side that still gives the deepest of ``layers`` a 1-px map."""
        layers = self.check_layers(layers)
        return 2 ** self.downsampling(layers[-1]) if layers else 1

    def forward(self, image: torch.Tensor, layers: Iterable[str]) -> dict[str, torch.Tensor]:
        wanted = self.check_layers(layers)
        if not wanted:
            return {}
        need = self.min_side(wanted)
        if min(image.shape[-2:]) < need:
            raise InputError(
                f"image of {image.shape[-1]}x{image.shape[-2]} px is too small for layer "
                f"{wanted[-1]!r}: each side must be at least {need} px"
            )
        deepest = wanted[-1]
        remaining = set(wanted)
        out: dict[str, torch.Tensor] = {}
        x = self.preprocess(image)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        for name, module in self.body.items():
            x = module(x)
            if name in remaining:
                out[name] = x
                remaining.discard(name)
            if name == deepest:
                break
        return out

    def truncated(self, layers: Iterable[str]) -> "Backbone":
        """A copy holding only the layers up to the deepest of ``layers``."""
        wanted = self.check_layers(layers)
        keep = self.layer_names[: self.layer_names.index(wanted[-1]) + 1]
        clone = type(self).__new__(type(self))
        Backbone.__init__(clone, self.preprocess, [(n, self.body[n]) for n in keep])
        for attr in ("default_content_layers", "default_style_layers", "preprocessing", "weights_sha256",
                     "channels_last"):
            setattr(clone, attr, getattr(self, attr))
        return clone
