"""The weighted sum of loss terms, with one backbone pass per evaluation.

A term may come from any installed plugin, so what goes wrong inside one (an exception,
a value that is not a finite scalar, a gradient that is NaN or absent) is reported naming
the term and its plugin, and a non-finite loss is blamed on the learning rate only when
the image itself has diverged. A plugin term that does nothing (detached from the image) or
works against its target (sign flipped) is warned about when the job is built (probe.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from ..errors import ConfigError, NSTError, PluginError
from ..losses.base import LossTerm, Targets

#: image values beyond this mean the optimizer diverged (L-BFGS runs unclamped, but stays near [0, 1])
DIVERGED = 1e3


@dataclass(frozen=True)
class WeightedTerm:
    name: str
    weight: float
    term: LossTerm
    #: the plugin that declared the term ("" for the built-ins), named when the term fails
    plugin: str = ""

    @property
    def label(self) -> str:
        return f"loss term {self.name!r}" + (f" (plugin {self.plugin!r})" if self.plugin else "")


def make_term(name: str, weight: float, factory, options, plugin: str = "") -> WeightedTerm:
    """Build a term with its spec's factory; a plugin's failure there is one line naming it."""
    unbuilt = WeightedTerm(name, weight, None, plugin)  # type: ignore[arg-type]  (only its label is used)
    term = _guarded(unbuilt, "its factory", factory, options)
    if not isinstance(term, LossTerm):
        raise PluginError(f"{unbuilt.label}: its factory returned {type(term).__name__}, not a LossTerm")
    return WeightedTerm(name, weight, term, plugin)


class Objective(nn.Module):
    def __init__(self, backbone: nn.Module, terms: Sequence[WeightedTerm], features: Callable | None = None) -> None:
        super().__init__()
        self.backbone = backbone
        #: ``backbone(image, layers)`` as the run computes it (``--precision``), in float32
        self.features = features or backbone
        self.terms = list(terms)
        self._modules_list = nn.ModuleList(t.term for t in self.terms)
        for t in self.terms:
            _guarded(t, "bind()", t.term.bind, backbone)
        layers = {l for t in self.terms for l in t.term.layers}
        self.layers = backbone.check_layers(layers)
        self.evaluations = 0  # since the last prepare(): 1 is the start image of a level
        self._hook = None

    @property
    def active(self) -> list[WeightedTerm]:
        return [t for t in self.terms if t.weight != 0]

    def prepare(self, targets: Targets) -> None:
        with torch.no_grad():
            for t in self.terms:
                _guarded(t, "prepare()", t.term.prepare, targets)
        self.evaluations = 0

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        self.evaluations += 1
        feats = self.features(image, self.layers) if self.layers else {}
        total = image.new_zeros(())
        parts: dict[str, torch.Tensor] = {}
        for t in self.active:
            value = _value(t, feats, image)
            parts[t.name] = value.detach()
            total = total + t.weight * value
        if not bool(torch.isfinite(total)):
            raise self._nonfinite_loss(float(total.detach()), parts, image)
        if image.requires_grad and torch.is_grad_enabled():
            self._watch_gradient(image)
        return total, parts

    # -- diagnosis ---------------------------------------------------------
    def _where(self) -> str:
        return "at the start image" if self.evaluations <= 1 else f"at step {self.evaluations}"

    def _nonfinite_loss(self, total: float, parts: dict, image: torch.Tensor) -> NSTError:
        bad = [t for t in self.active if not bool(torch.isfinite(parts[t.name]))]
        gave = ", ".join(f"{t.label} gave {float(parts[t.name])}" for t in bad)
        peak = _peak(image)
        if peak > DIVERGED:
            return ConfigError(f"the loss became {total} at step {self.evaluations}: the image diverged "
                               f"(values up to {peak:.3g}){'; ' + gave if gave else ''}; lower the learning rate (--lr)")
        if bad:
            cls = PluginError if any(t.plugin for t in bad) else ConfigError
            return cls(f"{gave} {self._where()}, on an image with finite values: the term cannot be optimized")
        weights = ", ".join(f"{t.name} {t.weight:g} x {float(parts[t.name]):.3g}" for t in self.active)
        return ConfigError(f"the weighted loss overflowed to {total} {self._where()} ({weights}); lower the loss weights")

    def _watch_gradient(self, image: torch.Tensor) -> None:
        # one hook on the optimized image, replaced every evaluation: a NaN gradient is caught
        # where it appears, before the optimizer turns it into a NaN image
        if self._hook is not None:
            self._hook.remove()
        self._hook = image.register_hook(lambda grad: self._check_gradient(grad, image))

    def _check_gradient(self, grad: torch.Tensor, image: torch.Tensor) -> None:
        if bool(torch.isfinite(grad).all()):
            return
        at = image.detach().clone()
        bad = [t for t, g in self._term_gradients(at) if g is not None and not bool(torch.isfinite(g).all())]
        if _peak(at) > DIVERGED or not bad:
            raise ConfigError(f"the gradient became non-finite at step {self.evaluations} (image values up to "
                              f"{_peak(at):.3g}); lower the learning rate (--lr)")
        cls = PluginError if any(t.plugin for t in bad) else ConfigError
        names = ", ".join(t.label for t in bad)
        raise cls(f"{names} gave a non-finite (NaN or infinite) gradient {self._where()}, "
                  "so the image cannot follow it; the term is faulty there")

    def _term_gradients(self, at: torch.Tensor) -> list[tuple[WeightedTerm, torch.Tensor | None]]:
        """Each active term's own image gradient at ``at`` (value detached from the image: None)."""
        out = []
        with torch.enable_grad():  # also called from inside backward, where grad mode is off
            x = at.detach().clone().requires_grad_(True)
            feats = self.features(x, self.layers) if self.layers else {}
            for t in self.active:
                value = _value(t, feats, x)
                grad = None
                if value.requires_grad:
                    grad = torch.autograd.grad(value, x, retain_graph=True, allow_unused=True)[0]
                out.append((t, grad))
        return out

def _peak(image: torch.Tensor) -> float:
    with torch.no_grad():
        finite = bool(torch.isfinite(image).all())
        return float(image.detach().abs().max()) if finite else float("inf")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _guarded(t: WeightedTerm, stage: str, call, *args):
    """Run a term's code; a plugin's failure becomes one line naming the term and plugin."""
    try:
        return call(*args)
    except NSTError:
        raise
    except Exception as exc:
        if not t.plugin:
            raise  # a built-in failing is our bug: keep the traceback
        raise PluginError(f"{t.label} failed in {stage}: {type(exc).__name__}: {_first_line(exc)} "
                          "(--debug shows the traceback)") from exc


def _value(t: WeightedTerm, feats: dict, image: torch.Tensor) -> torch.Tensor:
    value = _guarded(t, "forward()", t.term, feats, image)
    if not isinstance(value, torch.Tensor):
        raise PluginError(f"{t.label} returned {type(value).__name__}, not a scalar tensor")
    if value.numel() != 1:
        raise PluginError(f"{t.label} returned a tensor of shape {tuple(value.shape)}, not a scalar "
                          "(one number per image)")
    return value.reshape(())
