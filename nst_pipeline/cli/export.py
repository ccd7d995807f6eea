"""``nst export onnx``: the frozen, truncated feature extractor as a checked ONNX file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import ConfigError, OutputError
from ..onnxrt.metadata import MIN_OPSET, OPSET
from . import common as c

export_app = typer.Typer(help="Export models for other runtimes.", no_args_is_help=True)


def parse_layers(text: str | None) -> list[str]:
    if text is None:
        return []
    layers = [l.strip() for l in text.split(",") if l.strip()]
    if not layers:
        raise ConfigError("--layers is empty; give comma-separated layer names, e.g. relu1_1,relu2_1")
    return layers


def build_torch_backbone(name: str, backbone_option, pooling, weights):
    """The named torch backbone with its options (the ONNX one cannot be exported again)."""
    from ..backbones.build import build_backbone
    from ..registry import get_registry

    if name.partition(":")[0] == "onnx":
        raise ConfigError("--backbone onnx:FILE is already an ONNX model; export a torch backbone such as vgg19")
    return build_backbone(get_registry(), name, backbone_option or (), pooling=pooling, weights=weights)


@export_app.command("onnx")
def onnx_command(
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the model (.onnx).")],
    backbone: Annotated[str, typer.Option("--backbone", help="Feature extractor (see `nst plugins list`).")] = "vgg19",
    layers: Annotated[Optional[str], typer.Option(
        "--layers", help="Comma-separated layers, one output each (default: the backbone's content and style layers).")] = None,
    backbone_option: c.BackboneOption = None,
    pooling: c.Pooling = None,
    weights: c.Weights = None,
    opset: Annotated[int, typer.Option("--opset", help=f"ONNX opset ({MIN_OPSET} or newer).")] = OPSET,
    verify: Annotated[bool, typer.Option("--verify/--no-verify", help="Compare with torch at two sizes before writing.")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")] = False,
) -> None:
    """Export the backbone, truncated after its deepest layer, preprocessing included.

    Input: RGB float in [0, 1], NCHW, any batch, height and width. One output per layer.
    """
    from ..onnxrt.export import export_backbone

    if output.suffix.lower() != ".onnx":
        raise OutputError(f"cannot write {output}: an ONNX model's file name must end in .onnx")
    from .. import images  # torch: only when exporting

    out = images.check_output_path(output, [weights] if weights else [], suffixes={".onnx": "ONNX"})
    wanted = parse_layers(layers)
    net = build_torch_backbone(backbone, backbone_option, pooling, weights)
    if not wanted:
        wanted = list(dict.fromkeys([*net.default_content_layers, *net.default_style_layers]))
    net.check_layers(wanted)  # unknown names fail before the (slow) export, listing the valid ones
    info, check = export_backbone(net, wanted, out, backbone_name=backbone, opset=opset, check=verify)
    if quiet:
        return
    import onnx

    model = onnx.load(str(out), load_external_data=False)
    written = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=opset)
    c.console.print(f"wrote {out}: {info.backbone}, layers {', '.join(info.layers)}, opset {written}, "
                    f"input RGB [0,1] NCHW (min side {info.min_side(info.layers)} px)")
    if check is not None:
        sizes = " and ".join(f"{n}x3x{h}x{w}" for n, h, w in check.sizes)
        c.console.print(f"verified against torch at {sizes}: max relative error {check.worst:.2g} ({check.worst_layer})")
    else:
        c.console.print("not compared with torch (--no-verify)")
