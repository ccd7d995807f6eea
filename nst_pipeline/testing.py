"""Conformance kit: what a plugin's own tests call to check its spec records.

Each ``check_*`` function exercises one spec the way the pipeline will, raises
:class:`ConformanceError` (an ``AssertionError``, so pytest shows it plainly)
naming the first broken promise, and returns the list of checks that passed::

    from nst_pipeline.testing import check_loss_term
    from nst_mine import nst_loss_terms

    def test_conforms():
        for spec in nst_loss_terms():
            check_loss_term(spec)

Everything runs on the CPU at a few dozen pixels, with a tiny VGG-shaped
backbone (:func:`kit_backbone`: VGG-19 layer names, a handful of channels).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .backbones.base import Backbone
from .errors import NSTError
from .losses.base import LossTerm, Targets
from .sources.base import FrameSource
from .specs import BackboneSpec, FrameSourceSpec, LossTermSpec

VGG19_BLOCKS = (2, 2, 4, 4, 4)


class ConformanceError(AssertionError):
    """A spec broke a promise the pipeline relies on."""


class NotExercised(Exception):
    """The kit had nothing to run a spec on (a frame source that accepts none of the samples)."""


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise ConformanceError(message)


class KitBackbone(Backbone):
    """VGG-19's layer names and shape, 4-8 channels wide, fixed random weights."""

    default_content_layers = ("relu4_2",)
    default_style_layers = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
    preprocessing = "rgb[0,1] -> x - 0.5"

    def __init__(self, seed: int = 0) -> None:
        gen = torch.Generator().manual_seed(seed)
        layers, channels = [], 3
        for block, n_convs in enumerate(VGG19_BLOCKS, start=1):
            width = 4 if block == 1 else 8
            for i in range(1, n_convs + 1):
                conv = nn.Conv2d(channels, width, 3, padding=1)
                with torch.no_grad():
                    conv.weight.copy_(torch.randn(conv.weight.shape, generator=gen) * (2.0 / (9 * channels)) ** 0.5)
                    conv.bias.copy_(torch.rand(conv.bias.shape, generator=gen) * 0.1)
                layers += [(f"conv{block}_{i}", conv), (f"relu{block}_{i}", nn.ReLU())]
                channels = width
            layers.append((f"pool{block}", nn.AvgPool2d(2)))
        super().__init__(_Shift(), layers)
        self.weights_sha256 = "kit"


class _Shift(nn.Module):
    def forward(self, x):
        return x - 0.5


def kit_backbone() -> KitBackbone:
    return KitBackbone()


def smooth_image(h: int, w: int, seed: int) -> torch.Tensor:
    """A 1x3xHxW picture in [0, 1]: gradients and waves, different for each seed."""
    gen = torch.Generator().manual_seed(seed)
    phase = torch.rand(3, generator=gen) * 6.28
    freq = 2 + torch.rand(3, generator=gen) * 6
    yy, xx = torch.meshgrid(torch.linspace(0, 1, h), torch.linspace(0, 1, w), indexing="ij")
    chans = [0.5 + 0.45 * torch.sin(freq[c] * (xx + (c + 1) * yy) * 3.14 + phase[c]) for c in range(3)]
    return torch.stack(chans).unsqueeze(0)


def _options(spec: Any, options: Any) -> Any:
    return options if options is not None else spec.options()


# -- loss terms ------------------------------------------------------------
def check_loss_term(spec: LossTermSpec, options: Any = None, *, backbone: Backbone | None = None,
                    size: tuple[int, int] = (40, 48)) -> list[str]:
    """A term binds to a backbone, caches its targets, returns a finite scalar with a finite
    gradient, is smallest at its target (content or style image), and copes with two styles."""
    _require(isinstance(spec, LossTermSpec), f"expected a LossTermSpec, got {type(spec).__name__}")
    backbone = backbone or kit_backbone()
    term = spec.factory(_options(spec, options))
    _require(isinstance(term, LossTerm), f"{spec.name}: factory returned {type(term).__name__}, not a LossTerm")
    passed = ["factory returns a LossTerm"]
    term.bind(backbone)
    layers = backbone.check_layers(term.layers)
    passed.append(f"binds to the backbone (layers: {', '.join(layers) or 'none'})")
    h, w = size
    content, style, noise = smooth_image(h, w, 1), smooth_image(h, w, 2), torch.rand(1, 3, h, w, generator=torch.Generator().manual_seed(3))
    term.prepare(Targets(backbone, content, [style]))

    def value(image: torch.Tensor) -> torch.Tensor:
        feats = backbone(image, layers) if layers else {}
        out = term(feats, image)
        _require(isinstance(out, torch.Tensor) and out.numel() == 1, f"{spec.name}: forward must return a scalar tensor, got {out!r:.80}")
        _require(bool(torch.isfinite(out).all()), f"{spec.name}: value {out.item()} is not finite")
        return out.reshape(())

    x = noise.clone().requires_grad_(True)
    v_noise = value(x)
    if spec.video_only and not v_noise.requires_grad:
        passed.append("without video extras it contributes a constant, as video-only terms may")
    else:
        v_noise.backward()
        _require(x.grad is not None and bool(torch.isfinite(x.grad).all()), f"{spec.name}: gradient w.r.t. the image is missing or not finite")
        _require(spec.video_only or float(x.grad.abs().sum()) > 0, f"{spec.name}: gradient w.r.t. the image is zero everywhere")
    _require(all(p.grad is None for p in backbone.parameters()), f"{spec.name}: backbone parameters received gradients")
    passed.append(f"finite scalar with a finite image gradient (value {v_noise.item():.4g} at noise)")
    with torch.no_grad():
        which, target, at_target = _target(term, value, content, style)
        nudged = [value((target + 0.05 * torch.randn(target.shape, generator=torch.Generator().manual_seed(s))).clamp(0, 1)).item()
                  for s in (11, 12)]
    tol = 1e-4 * max(1.0, abs(v_noise.item()))
    _require(at_target <= v_noise.item() + tol, f"{spec.name}: value at its target ({at_target:.4g}) exceeds the value at noise ({v_noise.item():.4g})")
    _require(at_target <= min(nudged) + tol, f"{spec.name}: value at its target ({at_target:.4g}) exceeds the value near it ({min(nudged):.4g})")
    passed.append(f"smallest at its target, the {which} image ({at_target:.3g}; {min(nudged):.3g} near it, {v_noise.item():.3g} at noise)")
    term.prepare(Targets(backbone, content, [style, smooth_image(h, w, 4)], [0.3, 0.7]))
    with torch.no_grad():
        value(noise)
    passed.append("blends two styles")
    return passed


def _target(term: LossTerm, value: Callable, content: torch.Tensor, style: torch.Tensor) -> tuple[str, torch.Tensor, float]:
    # a style term aims at the style image, a content term at the content; others at whichever fits
    candidates = {"content": content, "style": style}
    if term.default_layers_from in candidates:
        which = term.default_layers_from
    else:
        which = min(candidates, key=lambda k: value(candidates[k]).item())
    return which, candidates[which], value(candidates[which]).item()


# -- backbones -------------------------------------------------------------
def check_backbone(spec: BackboneSpec, options: Any = None, *, backbone: Backbone | None = None) -> list[str]:
    """A backbone is frozen, returns exactly the requested layers in forward order,
    stops after the deepest one, and passes a finite gradient back to the image."""
    _require(isinstance(spec, BackboneSpec), f"expected a BackboneSpec, got {type(spec).__name__}")
    net = backbone if backbone is not None else _build_backbone(spec, options)
    _require(isinstance(net, Backbone), f"{spec.name}: factory returned {type(net).__name__}, not a Backbone")
    names = list(net.layer_names)
    _require(len(names) == len(set(names)) and names, f"{spec.name}: layer names must be unique and non-empty")
    net.check_layers([*net.default_content_layers, *net.default_style_layers])
    _require(all(not p.requires_grad for p in net.parameters()), f"{spec.name}: parameters must be frozen (requires_grad False)")
    net.train()
    _require(not net.training, f"{spec.name}: must stay in eval mode")
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
    _require(list(feats) == sorted(wanted, key=names.index), f"{spec.name}: returned {list(feats)}, asked for {wanted} (in forward order)")
    after = set(names[names.index(wanted[-1]) + 1:])
    ran_late = sorted(after & set(called), key=names.index)
    _require(not ran_late, f"{spec.name}: ran {ran_late} after the deepest requested layer {wanted[-1]}")
    passed.append(f"returns exactly {wanted} in order and stops after {wanted[-1]}")
    for name, f in feats.items():
        _require(f.dim() == 4 and f.shape[0] == 1 and bool(torch.isfinite(f).all()), f"{spec.name}: layer {name} is not a finite 1xCxHxW tensor")
    if not differentiable:
        return passed + _check_determinism(spec, net, image, wanted, feats)
    sum(f.pow(2).mean() for f in feats.values()).backward()
    _require(image.grad is not None and bool(torch.isfinite(image.grad).all()) and float(image.grad.abs().sum()) > 0,
             f"{spec.name}: no finite, non-zero gradient reaches the image")
    passed.append("finite features and a finite image gradient")
    return passed + _check_determinism(spec, net, image, wanted, feats)


def _build_backbone(spec: BackboneSpec, options: Any) -> Backbone:
    try:
        return spec.factory(_options(spec, options))
    except NSTError as exc:
        if options is not None:
            raise
        # needs a model file, or weights this machine cannot fetch: nothing to run the kit on
        raise NotExercised(f"cannot be built with default options here: {exc}") from None


def _check_determinism(spec, net, image, wanted, feats) -> list[str]:
    with torch.no_grad():
        again = net(image.detach(), wanted)
    _require(all(torch.allclose(again[k], feats[k].detach()) for k in wanted), f"{spec.name}: two calls gave different features")
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


# -- frame sources ---------------------------------------------------------
def check_frame_source(spec: FrameSourceSpec, location: str | Path, options: Any = None, *,
                       max_frames: int = 100) -> list[str]:
    """A source accepts ``location``, declines a missing file without raising, and yields
    HxWx3 RGB frames (uint8, or float32 in [0, 1]) of one stable size."""
    _require(isinstance(spec, FrameSourceSpec), f"expected a FrameSourceSpec, got {type(spec).__name__}")
    location = str(location)
    _require(bool(spec.probe(location)), f"{spec.name}: probe declines {location}")
    _require(not spec.probe(str(Path(location).with_name("does-not-exist" + Path(location).suffix))),
             f"{spec.name}: probe accepts a missing file")
    passed = ["probe accepts the sample and declines a missing file"]
    source = spec.factory(location, _options(spec, options))
    _require(isinstance(source, FrameSource), f"{spec.name}: factory returned {type(source).__name__}, not a FrameSource")
    shapes, count = set(), 0
    with source:
        for frame in source:
            _check_frame(spec.name, frame, count)
            shapes.add(frame.shape)
            count += 1
            if count >= max_frames:
                break
    _require(count >= 1, f"{spec.name}: yielded no frames from {location}")
    _require(len(shapes) == 1, f"{spec.name}: frame size changed within one source: {sorted(shapes)}")
    if source.frame_count is not None and count < max_frames:
        _require(source.frame_count == count, f"{spec.name}: frame_count says {source.frame_count}, yielded {count}")
    _require(source.fps is None or source.fps > 0, f"{spec.name}: fps must be None or positive, got {source.fps}")
    passed.append(f"{count} RGB frames of one size {shapes.pop()[:2]}")
    return passed


def _check_frame(name: str, frame: Any, index: int) -> None:
    _require(isinstance(frame, np.ndarray) and frame.ndim == 3 and frame.shape[2] == 3,
             f"{name}: frame {index} is not an HxWx3 array ({getattr(frame, 'shape', type(frame))})")
    _require(frame.dtype in (np.uint8, np.float32), f"{name}: frame {index} has dtype {frame.dtype}, want uint8 or float32")
    if frame.dtype == np.float32:
        _require(bool(np.isfinite(frame).all()) and frame.min() >= 0 and frame.max() <= 1,
                 f"{name}: float frame {index} is outside [0, 1]")


def write_samples(folder: str | Path) -> list[Path]:
    """Small media a source can be checked on: a still PNG, an animated GIF and WebP
    (6 frames, a moving square), a folder of 3 PNG frames, and an MP4 clip when OpenCV
    can write one."""
    from PIL import Image

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    frames = [_square_frame(i) for i in range(6)]
    pil = [Image.fromarray(f) for f in frames]
    paths = [folder / "still.png", folder / "anim.gif", folder / "anim.webp"]
    pil[0].save(paths[0])
    pil[0].save(paths[1], save_all=True, append_images=pil[1:], duration=80, loop=0)
    pil[0].save(paths[2], save_all=True, append_images=pil[1:], duration=80, loop=0, lossless=True)
    (folder / "frames").mkdir(exist_ok=True)
    for i, image in enumerate(pil[:3]):
        image.save(folder / "frames" / f"frame{i + 1}.png")
    clip = _write_mp4(folder / "clip.mp4", frames)
    return paths + [folder / "frames"] + ([clip] if clip else [])


def _square_frame(i: int, size: tuple[int, int] = (40, 48)) -> np.ndarray:
    h, w = size
    frame = np.zeros((h, w, 3), np.uint8)
    frame[..., 2] = np.linspace(40, 200, w, dtype=np.uint8)[None, :]
    frame[8:20, 4 + 5 * i:16 + 5 * i] = (230, 60, 40)
    return frame


def _write_mp4(path: Path, frames: list[np.ndarray]) -> Path | None:
    try:
        import cv2

        h, w = frames[0].shape[:2]
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (w, h))
        if not writer.isOpened():
            return None
        for f in frames:
            writer.write(np.ascontiguousarray(f[..., ::-1]))
        writer.release()
        return path if path.is_file() and path.stat().st_size > 0 else None
    except Exception:  # the sample is a convenience; a source is still checked on the others
        return None


def check_spec(kind: str, spec: Any, samples: Iterable[Path] = (), options: Any = None) -> list[str]:
    """Dispatch on ``kind`` (``backbone``, ``loss``, ``source``); a source is checked on every
    sample its probe accepts, and a source that accepts none fails (pass your own sample)."""
    if kind == "backbone":
        return check_backbone(spec, options)
    if kind == "loss":
        return check_loss_term(spec, options)
    samples = list(samples)
    accepted = [p for p in samples if _accepts(spec.probe, str(p))]
    if not accepted:
        names = ", ".join(Path(p).name for p in samples)
        raise NotExercised(f"{spec.name} accepts none of the samples ({names}); pass one with --sample")
    return [f"{Path(p).name}: {msg}" for p in accepted for msg in check_frame_source(spec, p, options)]


def _accepts(probe: Callable[[str], bool], location: str) -> bool:
    try:
        return bool(probe(location))
    except Exception:
        return False
