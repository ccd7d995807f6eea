"""``nst eval style``: how far a finished image is from its content and its style.

Relative feature distance at the content layers, relative Gram distance at the
style layers (see :mod:`nst_pipeline.scoring`), through torch or an exported model; the
Lab palette distance to the painting and the copy detector (:mod:`nst_pipeline.measures`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, NamedTuple, Optional

import typer

from ..errors import ConfigError
from . import common as c


def load_inputs(output: Path, content: Path, styles: list[Path]):
    """The output as is; content at the output's size; styles at the output's long side
    (what ``nst image`` does with the default --style-scale 1)."""
    from .. import images  # torch: only when scoring

    for path, what in [(output, "output image"), (content, "content image"), *[(s, "style image") for s in styles]]:
        c.fail_if_missing(path, what)
    image = images.load_image(output)
    hw = tuple(image.shape[-2:])
    content_t = images.resize(images.load_image(content), hw)
    style_ts = []
    for path in styles:
        style = images.load_image(path)
        style_ts.append(images.resize(style, images.fit_long_side(tuple(style.shape[-2:]), max(hw))))
    return image, content_t, style_ts


class Encoder(NamedTuple):
    encode: object                 # (image, layers) -> {layer: features}
    content_layers: tuple
    style_layers: tuple
    label: str                     # "torch:vgg19", "onnx:FILE"


def pick_encoder(onnx: Path | None, backbone: str | None, backbone_option, pooling, weights) -> Encoder:
    """``(encode, content_layers, style_layers, label)`` for torch or an exported model."""
    if onnx is not None:
        if backbone is not None or backbone_option or pooling or weights:
            raise ConfigError("--onnx replaces --backbone/--backbone-option/--pooling/--weights: give one or the other")
        from ..onnxrt.runtime import OnnxFeatures

        model = OnnxFeatures(onnx)
        info = model.info
        if not info.default_content_layers or not info.default_style_layers:
            raise ConfigError(f"{onnx} lacks the default content or style layers of {info.backbone} "
                              "(it has " + ", ".join(info.layers) + "); export it without --layers")
        return Encoder(model, info.default_content_layers, info.default_style_layers, f"onnx:{onnx}")
    from ..backbones.build import build_backbone
    from ..registry import get_registry

    name = backbone or "vgg19"
    net = build_backbone(get_registry(), name, backbone_option or (), pooling=pooling, weights=weights)
    return Encoder(net, net.default_content_layers, net.default_style_layers, f"torch:{name}")


def describe(m) -> list[str]:
    """The lines ``nst eval style`` prints for :class:`~nst_pipeline.scoring.Measures` ``m``
    below the distances."""
    c = m.copying
    where = f" at x {c.box[0]}..{c.box[2]}, y {c.box[1]}..{c.box[3]}" if c.copied else ""
    return [f"palette distance {m.palette:.3g} to the painting, {m.palette_content:.3g} to the photo "
            "(sliced Wasserstein of Lab colours; a uniform shift by dE reads dE)",
            f"copy share {100 * c.share:.1f}% ({m.copy_features}): {'COPY' + where if c.copied else 'no copy'} "
            f"(flagged above {100 * c.threshold:g}%)"]


def style_command(
    output: Annotated[Path, typer.Argument(help="The finished (stylized) image.")],
    content: Annotated[Path, typer.Option("--content", "-c", help="The content image it was made from.")],
    style: c.Styles = None,
    style_blend: c.StyleBlend = None,
    onnx: Annotated[Optional[Path], typer.Option("--onnx", help="Score through this exported model (nst export onnx).")] = None,
    backbone: Annotated[Optional[str], typer.Option("--backbone", help="Torch feature extractor (default vgg19).")] = None,
    backbone_option: c.BackboneOption = None,
    pooling: c.Pooling = None,
    weights: c.Weights = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")] = False,
) -> None:
    """Content and style distances of OUTPUT (lower is closer; 0 is identical), its palette
    distance to the painting and whether it copies pieces of the painting."""
    if not style:
        raise typer.BadParameter("at least one --style image is required", param_hint="--style")
    if style_blend and len(style_blend) != len(style):
        raise ConfigError(f"{len(style_blend)} --style-blend weights for {len(style)} --style images")
    from ..scoring import measure

    image, content_t, style_ts = load_inputs(output, content, style)
    enc = pick_encoder(onnx, backbone, backbone_option, pooling, weights)
    m = measure(enc.encode, image, content_t, style_ts, enc.content_layers, enc.style_layers, style_blend)
    result = m.distances
    if as_json:
        record = {"output": str(output), "encoder": enc.label, "size": [image.shape[-1], image.shape[-2]],
                  "content_layers": list(enc.content_layers), "style_layers": list(enc.style_layers), **m.as_dict()}
        typer.echo(json.dumps(record))
        return
    typer.echo(f"content distance {result.content:.6g}  style distance {result.style:.6g}  "
               f"({enc.label}, {image.shape[-1]}x{image.shape[-2]})")
    for line in describe(m):
        typer.echo(line)
    for name, value in result.per_layer.items():
        typer.echo(f"  {name:<16} {value:.6g}")
