"""Conformance of loss-term specs: what the optimizer needs from a term.

A term must return one finite number that depends on the image, with a finite gradient
wherever a run may start (the content image, or noise), and it must be *minimized* at
its target: moving away from the target, in any direction, must not lower it.
"""

from __future__ import annotations

from typing import Any

import torch

from ..backbones.base import Backbone
from ..losses.base import LossTerm, Targets
from ..specs import LossTermSpec
from .common import call, kit_backbone, noise_image, options_for, require, smooth_image

#: size of the random step away from the target in the sign check (image values are in [0, 1])
NUDGE = 0.05


def check_loss_term(spec: LossTermSpec, options: Any = None, *, backbone: Backbone | None = None,
                    size: tuple[int, int] = (40, 48)) -> list[str]:
    """A term binds to a backbone, caches its targets, returns a finite scalar that depends on
    the image, has a finite gradient at noise and at the content image (where runs start),
    is smallest at its target and rises when moved away from it, and copes with two styles."""
    require(isinstance(spec, LossTermSpec), f"expected a LossTermSpec, got {type(spec).__name__}")
    name = spec.name
    backbone = backbone or kit_backbone()
    term = call(name, "factory", spec.factory, options_for(spec, options))
    require(isinstance(term, LossTerm), f"{name}: factory returned {type(term).__name__}, not a LossTerm")
    passed = ["factory returns a LossTerm"]
    call(name, "bind", term.bind, backbone)
    layers = backbone.check_layers(term.layers)
    passed.append(f"binds to the backbone (layers: {', '.join(layers) or 'none'})")
    h, w = size
    pictures = {"content": smooth_image(h, w, 1), "style": smooth_image(h, w, 2),
                "noise": noise_image(h, w, 3), "flat": torch.full((1, 3, h, w), 0.5)}
    call(name, "prepare", term.prepare, Targets(backbone, pictures["content"], [pictures["style"]]))

    def value(image: torch.Tensor) -> torch.Tensor:
        feats = backbone(image, layers) if layers else {}
        out = call(name, "forward", term, feats, image)
        require(isinstance(out, torch.Tensor), f"{name}: forward must return a scalar tensor, got {type(out).__name__}")
        require(out.numel() == 1, f"{name}: forward must return a scalar tensor (one number), "
                                  f"got a tensor of shape {tuple(out.shape)}")
        require(bool(torch.isfinite(out).all()), f"{name}: value {out.item()} is not finite")
        return out.reshape(())

    passed += _check_gradients(spec, backbone, value, pictures)
    with torch.no_grad():
        passed += _check_minimum(spec, term, value, pictures)
    call(name, "prepare", term.prepare, Targets(backbone, pictures["content"], [pictures["style"], smooth_image(h, w, 4)], [0.3, 0.7]))
    with torch.no_grad():
        value(pictures["noise"])
    passed.append("blends two styles")
    return passed


def _check_gradients(spec: LossTermSpec, backbone: Backbone, value, pictures: dict) -> list[str]:
    passed = []
    for where, key in (("noise", "noise"), ("the content image (where runs start by default)", "content")):
        x = pictures[key].clone().requires_grad_(True)
        v = value(x)
        if not v.requires_grad:
            require(spec.video_only, f"{spec.name}: the value does not depend on the image (it is detached from it), "
                                     "so no gradient reaches the image and the term would do nothing")
            passed.append(f"without video extras it contributes a constant at {key}, as video-only terms may")
            continue
        v.backward()
        require(x.grad is not None, f"{spec.name}: no gradient reaches the image from {where}")
        require(bool(torch.isfinite(x.grad).all()),
                f"{spec.name}: the gradient at {where} is not finite (NaN or infinite); the optimizer "
                "cannot take a step from there (e.g. sqrt or norm of a difference that is zero there)")
        if key == "noise":
            require(spec.video_only or float(x.grad.abs().sum()) > 0, f"{spec.name}: gradient w.r.t. the image is zero everywhere")
            passed.append(f"finite scalar with a finite image gradient (value {v.item():.4g} at noise)")
        else:
            passed.append("finite gradient at the content image")
    require(all(p.grad is None and not p.requires_grad for p in backbone.parameters()),
            f"{spec.name}: backbone parameters received gradients (the term unfroze them)")
    return passed


def _check_minimum(spec: LossTermSpec, term: LossTerm, value, pictures: dict) -> list[str]:
    which, at_target = _target(term, value, pictures)
    target = pictures[which]
    at_noise = value(pictures["noise"]).item()
    tol = 1e-4 * max(1.0, abs(at_noise))
    require(at_target <= at_noise + tol,
            f"{spec.name}: value at its target ({at_target:.4g}) exceeds the value at noise ({at_noise:.4g})")
    steps = [NUDGE * torch.randn(target.shape, generator=torch.Generator().manual_seed(s)) for s in (11, 12)]
    # a step and its opposite: first-order changes cancel, what is left is the curvature,
    # which is negative around the target of a term that is maximized (sign flipped)
    pairs = [(value(target + d).item(), value(target - d).item()) for d in steps]
    for up, down in pairs:
        scale = 1e-5 * max(1.0, abs(at_target), abs(up), abs(down))
        require(up + down - 2 * at_target >= -scale,
                f"{spec.name}: the value falls on both sides when moved away from its target, the {which} image "
                f"({at_target:.4g} there; {up:.4g} and {down:.4g} a step of +-{NUDGE} away): a term is minimized, "
                "so it must rise away from its target; is its sign flipped?")
    near = min(min(p) for p in pairs)
    if which in ("content", "style"):  # a target named by the term itself must be its minimum
        require(at_target <= near + tol, f"{spec.name}: value at its target ({at_target:.4g}) exceeds the value near it ({near:.4g})")
    return [f"smallest at its target, the {which} image, and rises away from it "
            f"({at_target:.3g}; {near:.3g} near it, {at_noise:.3g} at noise)"]


def _target(term: LossTerm, value, pictures: dict) -> tuple[str, float]:
    # a style term aims at the style image, a content term at the content; a layer-free term
    # (or one with its own layers) at whichever test picture it rates lowest, flat grey included
    if term.default_layers_from in ("content", "style"):
        return term.default_layers_from, value(pictures[term.default_layers_from]).item()
    values = {k: value(v).item() for k, v in pictures.items()}
    which = min(values, key=values.get)
    return which, values[which]
