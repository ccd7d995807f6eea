"""Conformance of backbone specs: frozen, exact layers in order, early stop, gradients."""

from __future__ import annotations

from typing import Any

import torch

from ..backbones.base import Backbone
from ..errors import NSTError
from ..specs import BackboneSpec
from .common import NotExercised, options_for, require, smooth_image


def check_backbone(spec: BackboneSpec, options: Any = None, *, backbone: Backbone | None = None) -> list[str]:
    """A backbone is frozen, returns exactly the requested layers in forward order,
    stops after the deepest one, and passes a finite gradient back to the image."""
    require(isinstance(spec, BackboneSpec), f"expected a BackboneSpec, got {type(spec).__name__}")
    net = backbone if backbone is not None else _build_backbone(spec, options)
    require(isinstance(net, Backbone), f"{spec.name}: factory returned {type(net).__name__}, not a Backbone")
    names = list(net.layer_names)
    require(len(names) == len(set(names)) and names, f"{spec.name}: layer names must be unique and non-empty")
    net.check_layers([*net.default_content_layers, *net.default_style_layers])
    require(all(not p.requires_grad for p in net.parameters()), f"{spec.name}: parameters must be frozen (requires_grad False)")
    net.train()
    require(not net.training, f"{spec.name}: must stay in eval mode")
    passed = ["factory returns a frozen Backbone with unique layer names and valid defaults"]
    wanted = _probe_layers(names)
    side = max(32, net.min_side(wanted))
    differentiable = getattr(net, "differentiable", True)  # forward-only nets (onnxruntime) refuse grad
    image = smooth_image(side, side + 8, 5).requires_grad_(differentiable)
    called, handles = _record_calls(net)
    try:
        feats = net(image, list(reversed(wanted)))
    finally:
        for handle in handles:
            handle.remove()
    require(list(feats) == sorted(wanted, key=names.index), f"{spec.name}: returned {list(feats)}, asked for {wanted} (in forward order)")
    after = set(names[names.index(wanted[-1]) + 1:])
    ran_late = sorted(after & set(called), key=names.index)
    require(not ran_late, f"{spec.name}: ran {ran_late} after the deepest requested layer {wanted[-1]}")
    passed.append(f"returns exactly {wanted} in order and stops after {wanted[-1]}")
    for name, f in feats.items():
        require(f.dim() == 4 and f.shape[0] == 1 and bool(torch.isfinite(f).all()), f"{spec.name}: layer {name} is not a finite 1xCxHxW tensor")
    if not differentiable:
        return passed + _check_determinism(spec, net, image, wanted, feats)
    sum(f.pow(2).mean() for f in feats.values()).backward()
    require(image.grad is not None and bool(torch.isfinite(image.grad).all()) and float(image.grad.abs().sum()) > 0,
             f"{spec.name}: no finite, non-zero gradient reaches the image")
    passed.append("finite features and a finite image gradient")
    return passed + _check_determinism(spec, net, image, wanted, feats)


def _build_backbone(spec: BackboneSpec, options: Any) -> Backbone:
    try:
        return spec.factory(options_for(spec, options))
    except NSTError as exc:
        if options is not None:
            raise
        # needs a model file, or weights this machine cannot fetch: nothing to run the kit on
        raise NotExercised(f"cannot be built with default options here: {exc}") from None


def _check_determinism(spec, net, image, wanted, feats) -> list[str]:
    with torch.no_grad():
        again = net(image.detach(), wanted)
    require(all(torch.allclose(again[k], feats[k].detach()) for k in wanted), f"{spec.name}: two calls gave different features")
    return ["deterministic"]


def _probe_layers(names: list[str]) -> list[str]:
    # the first, one early and one middle layer: enough to see order and early stop
    picks = {names[0], names[len(names) // 4], names[len(names) // 2]}
    return sorted(picks, key=names.index)


def _record_calls(net: Backbone) -> tuple[list[str], list[Any]]:
    called: list[str] = []
    handles = [module.register_forward_hook(lambda m, i, o, name=name: called.append(name))
               for name, module in net.body.items()]
    return called, handles
