"""``nst eval sheet``: the photo, the painting and the outputs side by side, each output's
measures printed under it (content and style distance, palette distance, copy share), so
people look at the pictures instead of reading numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from . import common as c


def _check(content: Path, style: Path, outputs: list[Path], target: Path) -> dict:
    """Every refusal before any work: ``-o`` first (cheap), then each picture decoded once.
    Returns ``{path: HxWx3 uint8}``."""
    from .. import images

    images.check_output_path(target, [content, style, *outputs])
    pictures = {}
    for path, role in [(content, "content image"), (style, "style image"), *[(o, "output image") for o in outputs]]:
        if path not in pictures:
            pictures[path] = (images.load_array(path, role) * 255.0 + 0.5).astype("uint8")
    return pictures


def output_tile(path: Path, picture, m):
    """An output's tile: its name, distances, palette distance, and the copy verdict (in red,
    with the copied region outlined, when flagged)."""
    from ..measures.sheet import Tile

    d, cp = m.distances, m.copying
    verdict = f"copy {100 * cp.share:.1f}%: " + ("COPY" if cp.copied else "no copy")
    return Tile(picture, [path.name, f"content {d.content:.3g}  style {d.style:.3g}",
                          f"palette {m.palette:.3g} (photo {m.palette_content:.3g})", verdict],
                alert=frozenset({3}) if cp.copied else frozenset(), box=cp.box if cp.copied else None)


def sheet_command(
    content: Annotated[Path, typer.Argument(help="The content image (the photo).")],
    style: Annotated[Path, typer.Argument(help="The style image (the painting).")],
    outputs: Annotated[list[Path], typer.Argument(help="Finished images made from them.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the sheet (.png, .jpg, ...).")],
    height: Annotated[int, typer.Option("--height", min=64, max=2048, help="Height of every picture on the sheet, px.")] = 256,
    onnx: Annotated[Optional[Path], typer.Option("--onnx", help="Score through this exported model (nst export onnx).")] = None,
    backbone: Annotated[Optional[str], typer.Option("--backbone", help="Torch feature extractor (default vgg19).")] = None,
    backbone_option: c.BackboneOption = None,
    pooling: c.Pooling = None,
    weights: c.Weights = None,
    quiet: c.Quiet = False,
) -> None:
    """Write a contact sheet: CONTENT, STYLE and each OUTPUT side by side at one height, with
    the measures of `nst eval style` under each output."""
    pictures = _check(content, style, outputs, output)
    from .. import images
    from ..measures.palette import palette_distance
    from ..measures.sheet import Tile, compose
    from ..scoring import measure
    from .eval_style import load_inputs, pick_encoder

    enc = pick_encoder(onnx, backbone, backbone_option, pooling, weights)
    tiles = []
    for path in outputs:
        image, content_t, style_ts = load_inputs(path, content, [style])
        m = measure(enc.encode, image, content_t, style_ts, enc.content_layers, enc.style_layers)
        tiles.append(output_tile(path, pictures[path], m))
    photo, painting = pictures[content] / 255.0, pictures[style] / 255.0
    tiles[:0] = [Tile(pictures[content], [content.name, "content (the photo)",
                                          f"palette {palette_distance(photo, [painting]):.3g} to the painting"]),
                 Tile(pictures[style], [style.name, "style (the painting)"])]
    sheet = compose(tiles, height)
    fmt = images.WRITABLE_SUFFIXES[output.suffix.lower()]
    images.atomic_write(output, lambda tmp: sheet.save(tmp, format=fmt))
    if not quiet:
        c.console.print(f"wrote {output} ({sheet.width}x{sheet.height}: {len(outputs)} outputs)")
