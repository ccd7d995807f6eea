"""Plugin loss terms are probed once when a job is built: a detached or sign-flipped term gets a
warning naming it and its plugin, a sound one none, and the probe is one small evaluation."""

from __future__ import annotations

import warnings

import pytest
import torch

import faulty_terms as F
from conftest import TinyPlugin
from nst_pipeline import registry as registry_module
from nst_pipeline.builtins.losses import nst_loss_terms
from nst_pipeline.cli.app import main
from nst_pipeline.errors import NSTWarning
from nst_pipeline.gatys import probe
from nst_pipeline.gatys.objective import Objective, WeightedTerm
from nst_pipeline.registry import Registry
from nst_pipeline.testing.common import kit_backbone

BUILTIN = {s.name: s for s in nst_loss_terms()}
DETACHED = "does not depend on the image (its value is detached from it)"
FLIPPED = "falls as the image moves away from its target (is its sign flipped?)"


def builtin(name: str):
    return BUILTIN[name].factory(BUILTIN[name].options())


def negated(name: str):
    """A built-in term with its sign flipped, as a careless port might have it."""
    term = builtin(name)
    forward = term.forward
    term.forward = lambda feats, image: -forward(feats, image)
    return term


def notes(backbone, term, name="mine") -> list[str]:
    objective = Objective(backbone, [WeightedTerm(name, 1.0, term, plugin="theirs")])
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        probe.probe_plugin_terms(objective)
    return [str(w.message) for w in seen if issubclass(w.category, NSTWarning)]


@pytest.mark.parametrize("backbone", [pytest.param(lambda: None, id="tiny"), pytest.param(kit_backbone, id="kit")])
def test_the_verdicts(tiny_backbone, backbone):
    net = backbone() or tiny_backbone
    assert notes(net, F.Frozen()) == [f"loss term 'mine' (plugin 'theirs') {DETACHED}: it has no effect on the result"]
    for flipped in (F.Crisp(), F.Vivid(), negated("content"), negated("style"), negated("tv")):
        [note] = notes(net, flipped)
        assert note.startswith(f"loss term 'mine' (plugin 'theirs') {FLIPPED}")
    for sound in ("content", "style", "tv"):   # the built-ins, as if a plugin declared them
        assert notes(net, builtin(sound)) == [], sound
    assert notes(net, F.Root()) == []           # its NaN gradient is the run's error, at the content image


def test_built_in_terms_are_not_probed(tiny_backbone):
    objective = Objective(tiny_backbone, [WeightedTerm(n, 1.0, builtin(n)) for n in ("content", "style", "tv")])
    assert probe.probe_plugin_terms(objective) == 0


def test_the_probe_is_one_small_evaluation_and_leaves_the_random_state(tiny_backbone, monkeypatch):
    calls = []
    forward = type(tiny_backbone).forward

    def counted(self, image, layers):
        calls.append((tuple(image.shape), torch.is_grad_enabled() and image.requires_grad))
        return forward(self, image, layers)

    monkeypatch.setattr(type(tiny_backbone), "forward", counted)
    terms = [WeightedTerm("a", 1.0, builtin("style"), "theirs"), WeightedTerm("b", 1.0, negated("content"), "theirs")]
    objective = Objective(tiny_backbone, [WeightedTerm("content", 1.0, builtin("content")), *terms])
    before = torch.random.get_rng_state()
    with pytest.warns(NSTWarning, match="loss term 'b'"):
        assert probe.probe_plugin_terms(objective) == 2
    assert torch.equal(torch.random.get_rng_state(), before)       # a run's pixels never depend on it
    side = probe.SIDE
    # two plugin terms: one target encoding (no gradient) and one backbone pass over a batch of two
    assert calls == [((1, 3, side, side), False), ((2, 3, side, side), True)]


@pytest.fixture
def cli(monkeypatch):
    registry = Registry(autoload=False, extra_plugins=[TinyPlugin(), F.FaultyPlugin()])
    monkeypatch.setattr(registry_module, "_default", registry)
    return registry


@pytest.mark.parametrize("term, message", [("frozen", DETACHED), ("crisp", FLIPPED), ("vivid", FLIPPED)])
def test_nst_image_warns_about_a_faulty_plugin_term(cli, make_image, tmp_path, capsys, term, message):
    content, style = make_image("c.png", size=(32, 24), seed=1), make_image("s.png", size=(32, 24), seed=2)
    argv = ["image", str(content), "-s", str(style), "-o", str(tmp_path / "out.png"), "--backbone", "tiny",
            "--device", "cpu", "--size", "32", "--steps", "2", "-q", "--loss", f"{term}:10"]
    assert main(argv) == 0
    warned = [l for l in capsys.readouterr().err.splitlines() if l.startswith("warning:")]
    assert warned == [l for l in warned if f"loss term '{term}' (plugin 'faulty') {message}" in l] and len(warned) == 1

