"""Each plugin loss term tried once when a job is built, on a tiny picture, as the kit does.

``nst plugins check`` (testing/losses.py) catches a term whose value is detached from the
image or whose sign is flipped, but a run only fails loudly on errors and non-finite values:
a detached term does nothing and a flipped one pushes the image away from its target, both in
silence. This probe warns about them before the first pixel, and stays cheap: built-in terms
are not probed (they are tested), and all plugin terms share one backbone pass over a batch
of two 32 px pictures, plus one target encoding and one backward per term.

The probe picture ``P`` is every target at once (content, style and warped previous frame),
so each term is at its minimum there. The batch holds ``P + d`` and ``P - d`` for a small
random step ``d``: the difference of the two slopes along ``d`` is twice the curvature
``d'Hd``, with the first-order part cancelled, as in the kit's sign check. A term that is
minimized curves up around its target; one with its sign flipped curves down.
"""

from __future__ import annotations

import warnings

import torch

from ..errors import NSTWarning
from ..losses.base import Targets
from .objective import Objective, WeightedTerm, _guarded, _value

#: side of the probe picture (deep layers of VGG-19 still get a 2x2 map)
SIDE = 32
#: size of the step away from the target (image values are in [0, 1]); the kit's NUDGE
NUDGE = 0.05
#: a curvature this far below zero, relative to the two slopes, is a flipped sign (a minimized
#: term gives +1 at its target, a flipped one -1; the margin absorbs a target that is not exact)
FLIPPED = -0.5


def probe_plugin_terms(objective: Objective) -> int:
    """Warn (:class:`NSTWarning`) about each active plugin term that does not depend on the
    image, has a zero gradient, or falls away from its target; return how many were probed.
    Errors (an exception, a value that is not a scalar) are raised, named, as in a run."""
    terms = [t for t in objective.active if t.plugin]
    if not terms:
        return 0
    backbone = objective.backbone
    layers = backbone.check_layers({l for t in terms for l in t.term.layers})
    picture, step = _picture(backbone, layers)
    _prepare(terms, backbone, picture, layers)
    x = torch.cat([picture + step, picture - step]).requires_grad_(True)  # one leaf, one backbone pass
    feats = backbone(x, layers) if layers else {}
    for t in terms:
        message = _verdict(t, feats, x, step)
        if message:
            warnings.warn(f"{t.label} {message}", NSTWarning, stacklevel=3)
    return len(terms)


def _picture(backbone, layers) -> tuple[torch.Tensor, torch.Tensor]:
    """A smooth 1x3xSxS picture in [0.1, 0.9] and a random step, on the backbone's device;
    made without the global random state (a run's pixels never depend on the probe)."""
    side = max(SIDE, backbone.min_side(layers) if layers else 1)
    device = next((p.device for p in backbone.parameters()), torch.device("cpu"))
    yy, xx = torch.meshgrid(torch.linspace(0, 1, side), torch.linspace(0, 1, side), indexing="ij")
    picture = torch.stack([0.5 + 0.4 * torch.sin(6.0 * (xx + (c + 1) * yy) + c) for c in range(3)]).unsqueeze(0)
    step = NUDGE * torch.randn(picture.shape, generator=torch.Generator().manual_seed(0))
    return picture.to(device), step.to(device)


def _prepare(terms: list[WeightedTerm], backbone, picture: torch.Tensor, layers) -> None:
    shared: dict = {}  # the style's features are the content's: one encoding serves both
    targets = Targets(backbone, picture, [picture], previous_warped=picture,
                      previous_confidence=torch.ones_like(picture[:, :1]), style_cache=[shared])
    if layers:
        shared.update(targets.content_features(layers))
    with torch.no_grad():
        for t in terms:
            _guarded(t, "prepare()", t.term.prepare, targets)


def _verdict(t: WeightedTerm, feats: dict, x: torch.Tensor, step: torch.Tensor) -> str:
    """What is wrong with ``t`` around its target, or "" when nothing is."""
    values = [_value(t, {k: f[i:i + 1] for k, f in feats.items()}, x[i:i + 1]) for i in (0, 1)]
    total = values[0] + values[1]
    grad = torch.autograd.grad(total, x, retain_graph=True, allow_unused=True)[0] if total.requires_grad else None
    if grad is None:
        return "does not depend on the image (its value is detached from it): it has no effect on the result"
    if not bool(torch.isfinite(grad).all()):
        return ""  # the run stops on a non-finite gradient with its own message
    if not bool(grad.abs().sum() > 0):
        return "has a zero gradient: it has no effect on the result"
    up, down = float((grad[0] * step[0]).sum()), float((grad[1] * step[0]).sum())
    curvature = up - down
    if curvature < FLIPPED * (abs(up) + abs(down)):
        return ("falls as the image moves away from its target (is its sign flipped?): minimizing it pushes "
                "the image away from what it aims at")
    return ""
