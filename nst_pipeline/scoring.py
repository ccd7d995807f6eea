"""Content and style distances of a finished image, for judging quality, and the measures
that see what they miss (:func:`measure`: palette distance and copy detector).

One fixed yardstick: relative feature distance at the content layers and relative
Gram distance at the style layers (averaged over layers), the same quantities the
default loss terms minimize, computed without weights or normalization tricks.
``encode`` is any callable ``(image, layers) -> {layer: features}``: a torch
backbone or an ONNX-backed one, so both give the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import torch

from .losses.terms import gram, relative_sq_error
from .measures import copying
from .measures.copying import Copying
from .measures.palette import palette_distance

Encode = Callable[[torch.Tensor, Sequence[str]], dict]


@dataclass(frozen=True)
class Distances:
    content: float
    style: float
    per_layer: dict[str, float]

    def as_dict(self) -> dict:
        return asdict(self)


@torch.no_grad()
def distances(encode: Encode, image: torch.Tensor, content: torch.Tensor, styles: Sequence[torch.Tensor],
              content_layers: Sequence[str], style_layers: Sequence[str], blend: Sequence[float] | None = None) -> Distances:
    """All images are 1x3xHxW RGB in [0, 1]; ``content`` must have ``image``'s size."""
    blend = list(blend or [1.0] * len(styles))
    blend = [b / sum(blend) for b in blend]
    layers = list(dict.fromkeys([*content_layers, *style_layers]))
    fi = {k: torch.as_tensor(v) for k, v in encode(image, layers).items()}
    fc = {k: torch.as_tensor(v) for k, v in encode(content, list(content_layers)).items()}
    fs = [{k: torch.as_tensor(v) for k, v in encode(s, list(style_layers)).items()} for s in styles]
    per_layer = {}
    for l in content_layers:
        per_layer[f"content:{l}"] = float(relative_sq_error(fi[l], fc[l]))
    for l in style_layers:
        target = sum(b * gram(f[l]) for b, f in zip(blend, fs))
        per_layer[f"style:{l}"] = float(relative_sq_error(gram(fi[l]), target))
    content_d = sum(per_layer[f"content:{l}"] for l in content_layers) / len(content_layers)
    style_d = sum(per_layer[f"style:{l}"] for l in style_layers) / len(style_layers)
    return Distances(content_d, style_d, per_layer)


@dataclass(frozen=True)
class Measures:
    """Everything ``nst eval style`` reports: the feature distances, the Lab palette distance to
    the painting (and, for comparison, to the photo), and the copy detector's verdict."""

    distances: Distances
    palette: float
    palette_content: float
    copying: Copying
    copy_features: str

    def as_dict(self) -> dict:
        return {**self.distances.as_dict(), "palette": self.palette, "palette_content": self.palette_content,
                "copy": self.copying.as_dict(), "copy_features": self.copy_features}


def _frame(image: torch.Tensor):
    return image.detach().clamp(0, 1)[0].permute(1, 2, 0).cpu().numpy()


@torch.no_grad()
def copy_check(encode: Encode, image: torch.Tensor, content: torch.Tensor, styles: Sequence[torch.Tensor],
               layer: str) -> Copying:
    """The copy detector on ``encode``'s ``layer``, at most
    :data:`~nst_pipeline.measures.copying.WORK_SIDE` px on the long side; of several
    paintings, the most copied one is reported."""
    from .images import resize

    factor = min(1.0, copying.WORK_SIDE / max(image.shape[-2:]))
    small = [resize(t, (max(1, round(t.shape[-2] * factor)), max(1, round(t.shape[-1] * factor))))
             for t in (image, content, *styles)]
    feats = [torch.as_tensor(encode(t, [layer])[layer])[0].float().cpu().numpy() for t in small]
    stride = small[0].shape[-2] / feats[0].shape[-2] / factor
    return max((copying.detect(feats[0], f, feats[1], stride) for f in feats[2:]), key=lambda c: c.share)


def measure(encode: Encode, image: torch.Tensor, content: torch.Tensor, styles: Sequence[torch.Tensor],
            content_layers: Sequence[str], style_layers: Sequence[str], blend: Sequence[float] | None = None,
            copy_layer: str | None = None) -> Measures:
    """:func:`distances`, :func:`~nst_pipeline.measures.palette.palette_distance` to the styles
    (mixed by ``blend``) and to the content, and :func:`copy_check` on ``copy_layer`` (default:
    the first content layer, VGG-19's relu4_2: where the photo's content is held, so where a
    pasted object shows as content replaced by the painting's)."""
    copy_layer = copy_layer or content_layers[0]
    result = distances(encode, image, content, styles, content_layers, style_layers, blend)
    frame = _frame(image)
    to_style = palette_distance(frame, [_frame(s) for s in styles], blend)
    to_content = palette_distance(frame, [_frame(content)])
    return Measures(result, to_style, to_content, copy_check(encode, image, content, styles, copy_layer), copy_layer)
