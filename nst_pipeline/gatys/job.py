"""build_job: every lookup and validation happens here, before any pixel is touched."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from .. import images
from ..backbones.base import Backbone
from ..backbones.build import build_backbone
from ..config import StyleConfig
from ..errors import ConfigError
from ..options import build_options, parse_loss_selection, split_pairs
from ..registry import Registry
from .objective import Objective, WeightedTerm, make_term
from .optimize import Schedule
from .precision import Features, resolve_precision
from .probe import probe_plugin_terms


@dataclass
class Job:
    config: StyleConfig
    device: torch.device
    backbone: Backbone
    objective: Objective
    schedule: Schedule
    styles: list[torch.Tensor]
    #: computes targets (forward only); the backbone itself unless --targets picks another
    target_encoder: Callable | None = None
    #: "fp32" or "bf16": what the backbone computes in (``--precision`` resolved for the device)
    precision: str = "fp32"

    @property
    def encoder(self) -> Callable:
        return self.target_encoder or self.objective.features


def resolve_device(name: str) -> torch.device:
    """The torch device for a ``--device`` the schema has accepted (auto, cpu, cuda, cuda:N)."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name != "cpu" and not torch.cuda.is_available():
        raise ConfigError(f"--device {name}: CUDA is not available on this machine (use cpu or auto)")
    return torch.device(name)


def select_terms(config: StyleConfig, registry: Registry, video: bool = False) -> list[tuple[str, float]]:
    """Default terms, then the shorthand weights, then ``--loss NAME[:WEIGHT]`` (which wins).
    Video-only terms (the temporal one) take part only when frames follow each other."""
    chosen: dict[str, float] = {s.name: s.default_weight for s in registry.specs("loss")
                                if s.default and (video or not s.video_only)}
    shorthand = {"content": config.content_weight, "style": config.style_weight, "tv": config.tv_weight,
                 "temporal": config.temporal_weight if video else None}
    chosen.update({k: v for k, v in shorthand.items() if v is not None})
    for item in config.losses:
        name, weight = parse_loss_selection(item)
        spec = registry.loss(name)
        chosen[name] = spec.default_weight if weight is None else weight
    return [(n, w) for n, w in chosen.items()]


def build_terms(config: StyleConfig, registry: Registry, video: bool = False) -> list[WeightedTerm]:
    selected = select_terms(config, registry, video)
    per_term: dict[str, list[tuple[str, str]]] = {}
    for key, value in split_pairs(config.loss_options, "--loss-option"):
        name, dot, option = key.partition(".")
        if not dot:
            raise ConfigError(f"--loss-option {key}={value}: write it as NAME.key=value")
        registry.loss(name)  # unknown loss names fail with a suggestion
        if name not in dict(selected):
            raise ConfigError(f"--loss-option {key}: loss {name!r} is not selected")
        per_term.setdefault(name, []).append((option, value))
    terms = []
    for name, weight in selected:
        spec = registry.loss(name)
        options = build_options(spec.options, per_term.get(name, []), f"loss {name!r}")
        plugin = "" if registry.info(spec).builtin else spec.plugin  # named when the term fails
        terms.append(make_term(name, weight, spec.factory, options, plugin))
    if all(t.weight == 0 for t in terms):
        raise ConfigError("every loss weight is zero: nothing to optimize")
    return terms


def load_styles(config: StyleConfig) -> list[torch.Tensor]:
    if config.style_blend is not None and len(config.style_blend) != len(config.styles):
        raise ConfigError(f"{len(config.style_blend)} blend weights for {len(config.styles)} style images")
    return [images.load_image(p, role="style image") for p in config.styles]


def build_job(config: StyleConfig, registry: Registry, video: bool = False) -> Job:
    """Resolve every name and load every input of ``config`` (``config.size`` must be set)."""
    schedule = Schedule.from_config(config)
    device = resolve_device(config.device)
    styles = load_styles(config)
    terms = build_terms(config, registry, video)
    backbone = build_backbone(registry, config.backbone, config.backbone_options, pooling=config.pooling,
                              weights=config.weights).to(device)
    if isinstance(backbone, Backbone) and any(p.dim() == 4 for p in backbone.parameters()):
        backbone.use_channels_last()
    precision = resolve_precision(config.precision, device)
    objective = Objective(backbone, terms, Features(backbone, precision, device)).to(device)
    probe_plugin_terms(objective)  # a plugin term that does nothing, or works backwards, is said now
    target_encoder = None
    if config.targets != "torch":
        # forward-only targets through onnxruntime (optional part of the package)
        from ..onnxrt.targets import resolve_target_encoder

        target_encoder = resolve_target_encoder(config, backbone, objective.layers, device)
    return Job(config, device, backbone, objective, schedule, [s.to(device) for s in styles], target_encoder,
               precision)
