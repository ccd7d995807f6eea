"""The weighted sum of loss terms, with one backbone pass per evaluation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from .losses.base import LossTerm, Targets


@dataclass(frozen=True)
class WeightedTerm:
    name: str
    weight: float
    term: LossTerm


class Objective(nn.Module):
    def __init__(self, backbone: nn.Module, terms: Sequence[WeightedTerm]) -> None:
        super().__init__()
        self.backbone = backbone
        self.terms = list(terms)
        self._modules_list = nn.ModuleList(t.term for t in self.terms)
        for t in self.terms:
            t.term.bind(backbone)
        layers = {l for t in self.terms for l in t.term.layers}
        self.layers = backbone.check_layers(layers)

    def prepare(self, targets: Targets) -> None:
        with torch.no_grad():
            for t in self.terms:
                t.term.prepare(targets)

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        feats = self.backbone(image, self.layers) if self.layers else {}
        total = image.new_zeros(())
        parts: dict[str, torch.Tensor] = {}
        for t in self.terms:
            if t.weight == 0:
                continue
            value = t.term(feats, image)
            parts[t.name] = value.detach()
            total = total + t.weight * value
        return total, parts
