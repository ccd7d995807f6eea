"""Shared fixtures: a tiny backbone for fast tests, paths to the shared real data."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from nst_pipeline.backbones.base import Backbone
from nst_pipeline.hookspecs import hookimpl
from nst_pipeline.registry import Registry
from nst_pipeline.specs import BackboneSpec

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SHARED_DATA = SHARED / "data"

# tests never pick up plugins installed in the environment unless they ask to
os.environ.setdefault("NST_DISABLE_PLUGIN_AUTOLOAD", "1")
torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


class TinyPreprocess(nn.Module):
    description = "rgb[0,1] -> x - 0.5"

    def forward(self, x):
        return x - 0.5


class TinyBackbone(Backbone):
    """Three small conv blocks with fixed random weights: VGG's shape, a thousandth of its cost."""

    default_content_layers = ("relu2_1",)
    default_style_layers = ("relu1_1", "relu2_1", "relu3_1")
    preprocessing = TinyPreprocess.description

    def __init__(self, seed: int = 0) -> None:
        gen = torch.Generator().manual_seed(seed)
        layers, channels = [], 3
        for block, width in enumerate((4, 8, 8), start=1):
            conv = nn.Conv2d(channels, width, 3, padding=1)
            with torch.no_grad():
                conv.weight.copy_(torch.randn(conv.weight.shape, generator=gen) * 0.5)
                conv.bias.copy_(torch.randn(conv.bias.shape, generator=gen) * 0.1)
            layers += [(f"conv{block}_1", conv), (f"relu{block}_1", nn.ReLU()), (f"pool{block}", nn.AvgPool2d(2))]
            channels = width
        super().__init__(TinyPreprocess(), layers)
        self.weights_sha256 = "tiny"


class TinyPlugin:
    """A test plugin that declares the tiny backbone through the public hook."""

    __name__ = "tests.tiny"

    @hookimpl
    def nst_backbones(self):
        return [BackboneSpec("tiny", lambda options: TinyBackbone(), "tiny random conv net for tests")]


@pytest.fixture
def tiny_backbone() -> TinyBackbone:
    return TinyBackbone()


@pytest.fixture
def registry() -> Registry:
    return Registry(autoload=False, extra_plugins=[TinyPlugin()])


@pytest.fixture
def tiny(monkeypatch, registry) -> Registry:
    """The CLI's process-wide registry, with the tiny test backbone in it (for tests through main())."""
    from nst_pipeline import registry as registry_module

    monkeypatch.setattr(registry_module, "_default", registry)
    return registry


@pytest.fixture
def ctrl_c(monkeypatch):
    """``ctrl_c.at_frame(i)``: the gatys method raises KeyboardInterrupt (as Ctrl-C does) when it
    is given frame ``i``; ``ctrl_c.off()`` lets runs finish again (a resume)."""
    from nst_pipeline.gatys.method import GatysMethod

    real = GatysMethod.stylize

    class CtrlC:
        def at_frame(self, index: int) -> None:
            def stylize(method, task, *args):
                if task.index == index:
                    raise KeyboardInterrupt
                return real(method, task, *args)

            monkeypatch.setattr(GatysMethod, "stylize", stylize)

        def off(self) -> None:
            monkeypatch.setattr(GatysMethod, "stylize", real)

    return CtrlC()


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is absent (it exists only in the project's workspace)")
    return SHARED_DATA


def write_image(path: Path, size=(48, 40), mode="RGB", seed=0) -> Path:
    """A smooth random picture (gradients + blobs) written with PIL in ``mode``."""
    w, h = size
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    rgb = np.stack([xx, yy, 0.5 + 0.5 * np.sin(6 * xx + rng.uniform(0, 6))], axis=2)
    rgb = (np.clip(rgb + rng.normal(0, 0.03, rgb.shape), 0, 1) * 255).astype(np.uint8)
    img = Image.fromarray(rgb)
    if mode != "RGB":
        img = img.convert(mode)
    img.save(path)
    return path


@pytest.fixture
def make_image(tmp_path):
    def make(name="img.png", size=(48, 40), mode="RGB", seed=0) -> Path:
        return write_image(tmp_path / name, size, mode, seed)

    return make
