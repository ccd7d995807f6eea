"""Loss terms: cache targets once, then map named features to one scalar."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from ..errors import ConfigError


@dataclass
class Targets:
    """What the terms compare against, plus a feature cache so each image is encoded once.

    ``previous_warped`` / ``previous_confidence`` are set for a later video frame: the
    previous result warped to this frame (1x3xHxW) and where that warp is trusted
    (1x1xHxW in [0, 1]); a term that needs them and finds None contributes zero.
    ``style_cache`` (one dict per style image) lets a caller keep style features across
    frames: the dicts are filled in place.
    """

    backbone: nn.Module
    content: torch.Tensor
    styles: Sequence[torch.Tensor] = ()
    style_blend: Sequence[float] = ()
    previous_warped: torch.Tensor | None = None
    previous_confidence: torch.Tensor | None = None
    style_cache: Sequence[dict] | None = field(default=None, repr=False)
    _cache: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for i, features in enumerate(self.style_cache or ()):
            self._cache[f"style{i}"] = features

    @torch.no_grad()
    def encode(self, key: str, image: torch.Tensor, layers: Iterable[str]) -> dict[str, torch.Tensor]:
        layers = tuple(layers)
        have = self._cache.setdefault(key, {})
        todo = [l for l in layers if l not in have]
        if todo:
            have.update({k: v.detach() for k, v in self.backbone(image, todo).items()})
        return {l: have[l] for l in layers}

    def content_features(self, layers: Iterable[str]) -> dict[str, torch.Tensor]:
        return self.encode("content", self.content, layers)

    def style_features(self, layers: Iterable[str]) -> list[dict[str, torch.Tensor]]:
        return [self.encode(f"style{i}", s, layers) for i, s in enumerate(self.styles)]

    def blend_weights(self) -> list[float]:
        weights = list(self.style_blend) or [1.0] * len(self.styles)
        total = sum(weights)
        return [w / total for w in weights]


class LossTerm(nn.Module):
    """Base class for a term. Subclasses set ``layers`` (or leave it empty and take
    the backbone's defaults in :meth:`bind`), fill caches in :meth:`prepare` and
    compute one scalar in :meth:`forward`."""

    #: "content" or "style": which backbone default layers to take when none are given
    default_layers_from: str = ""
    #: True for terms that read ``Targets.previous_warped``: the run loop computes optical
    #: flow for later frames only when an active term (or the warm start) needs it
    wants_previous: bool = False

    def __init__(self, layers: Sequence[str] | None = None, layer_weights: Sequence[float] | None = None) -> None:
        super().__init__()
        self.layers: tuple[str, ...] = tuple(layers or ())
        self._layer_weights = tuple(layer_weights) if layer_weights else None

    def bind(self, backbone) -> None:
        """Fill in default layers and check the named ones exist in ``backbone``."""
        if not self.layers and self.default_layers_from:
            self.layers = tuple(getattr(backbone, f"default_{self.default_layers_from}_layers"))
        backbone.check_layers(self.layers)
        if self._layer_weights is not None and len(self._layer_weights) != len(self.layers):
            raise ConfigError(
                f"{type(self).__name__}: {len(self._layer_weights)} layer weights for "
                f"{len(self.layers)} layers ({', '.join(self.layers)})"
            )

    def layer_weights(self) -> list[float]:
        weights = list(self._layer_weights or [1.0] * len(self.layers))
        total = sum(weights) or 1.0
        return [w / total for w in weights]

    def prepare(self, targets: Targets) -> None:  # pragma: no cover - default: nothing to cache
        pass

    def forward(self, feats: dict[str, torch.Tensor], image: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError
