"""The conformance kit passes good specs and catches each broken promise with a clear message."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nst_pipeline import testing as kit
from nst_pipeline.builtins.losses import nst_loss_terms as builtin_losses
from nst_pipeline.builtins.sources import nst_frame_sources as builtin_sources
from nst_pipeline.plugin import BackboneSpec, FrameSource, FrameSourceSpec, LossTerm, LossTermSpec
from nst_pipeline.testing import ConformanceError


def term_spec(forward, name="t", **kw):
    class Term(LossTerm):
        default_layers_from = "style"

        def prepare(self, targets):
            self.target = targets.style_features(self.layers)[0]

        def forward(self, feats, image):
            return forward(self, feats, image)

    return LossTermSpec(name, lambda o: Term(), "test term", **kw)


def feature_distance(self, feats, image):
    return sum((feats[l] - self.target[l]).pow(2).mean() for l in self.layers)


@pytest.mark.parametrize("spec", builtin_losses(), ids=lambda s: s.name)
def test_builtin_terms_pass(spec):
    passed = kit.check_loss_term(spec)
    assert passed[0] == "factory returns a LossTerm" and any("smallest at its target" in p for p in passed)


def test_kit_backbone_has_vgg19_names_and_stops_early():
    net = kit.kit_backbone()
    assert net.layer_names[:5] == ("conv1_1", "relu1_1", "conv1_2", "relu1_2", "pool1")
    assert "relu5_4" in net.layer_names
    kit.check_backbone(BackboneSpec("kit", lambda o: kit.kit_backbone(), "kit"))


@pytest.mark.parametrize("forward,message", [
    (lambda self, f, x: torch.stack([feature_distance(self, f, x)] * 2), "must return a scalar"),
    (lambda self, f, x: feature_distance(self, f, x) * float("nan"), "is not finite"),
    (lambda self, f, x: feature_distance(self, f, x).detach() + 0 * x.sum(), "gradient w.r.t. the image is zero"),
    (lambda self, f, x: -feature_distance(self, f, x), "exceeds the value at noise"),
])
def test_broken_terms_are_caught(forward, message):
    with pytest.raises(ConformanceError, match=message):
        kit.check_loss_term(term_spec(forward))


def test_a_term_asking_for_a_missing_layer_fails_naming_it():
    spec = LossTermSpec("t", lambda o: type("T", (LossTerm,), {"forward": feature_distance})(["relu9_9"]), "x")
    with pytest.raises(Exception, match="relu9_9"):
        kit.check_loss_term(spec)


class RunsEverything(kit.KitBackbone):
    def forward(self, image, layers):
        wanted = self.check_layers(layers)
        x, out = self.preprocess(image), {}
        for name, module in self.body.items():
            x = module(x)
            if name in wanted:
                out[name] = x
        return out


class Unordered(kit.KitBackbone):
    def forward(self, image, layers):
        out = super().forward(image, layers)
        return dict(reversed(out.items()))


class Trainable(kit.KitBackbone):
    def __init__(self):
        super().__init__()
        next(self.parameters()).requires_grad_(True)


@pytest.mark.parametrize("cls,message", [
    (RunsEverything, "after the deepest requested layer"),
    (Unordered, "in forward order"),
    (Trainable, "must be frozen"),
])
def test_broken_backbones_are_caught(cls, message):
    with pytest.raises(ConformanceError, match=message):
        kit.check_backbone(BackboneSpec("b", lambda o: cls(), "broken backbone"))


def test_builtin_sources_pass_on_the_samples(tmp_path):
    samples = kit.write_samples(tmp_path)
    image = next(s for s in builtin_sources() if s.name == "image")
    assert "still.png: 1 RGB frames of one size (40, 48)" in kit.check_spec("source", image, samples)


class ListSource(FrameSource):
    def __init__(self, frames, frame_count=None):
        self.frames, self.frame_count = frames, frame_count

    def __iter__(self):
        yield from self.frames


def source_spec(frames, frame_count=None, probe=None):
    return FrameSourceSpec("s", lambda loc, o: ListSource(frames, frame_count),
                           probe or (lambda loc: loc.endswith("still.png")), "test source")


@pytest.mark.parametrize("frames,count,message", [
    ([np.zeros((4, 4, 3), np.uint8), np.zeros((4, 5, 3), np.uint8)], None, "frame size changed"),
    ([np.zeros((4, 4), np.uint8)], None, "not an HxWx3 array"),
    ([np.zeros((4, 4, 3), np.float64)], None, "dtype float64"),
    ([np.full((4, 4, 3), 2.0, np.float32)], None, "outside"),
    ([np.zeros((4, 4, 3), np.uint8)] * 2, 3, "frame_count says 3, yielded 2"),
    ([], None, "yielded no frames"),
])
def test_broken_sources_are_caught(tmp_path, frames, count, message):
    (sample,) = [p for p in kit.write_samples(tmp_path) if p.name == "still.png"]
    with pytest.raises(ConformanceError, match=message):
        kit.check_frame_source(source_spec(frames, count), sample)


def test_a_probe_that_accepts_missing_files_is_caught(tmp_path):
    (sample,) = [p for p in kit.write_samples(tmp_path) if p.name == "still.png"]
    with pytest.raises(ConformanceError, match="accepts a missing file"):
        kit.check_frame_source(source_spec([np.zeros((4, 4, 3), np.uint8)], probe=lambda loc: True), sample)


def test_a_source_that_accepts_no_sample_is_not_exercised(tmp_path):
    spec = source_spec([np.zeros((4, 4, 3), np.uint8)], probe=lambda loc: loc == "camera:0")
    with pytest.raises(kit.NotExercised, match="pass one with --sample"):
        kit.check_spec("source", spec, kit.write_samples(tmp_path))
