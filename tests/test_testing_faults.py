"""Faulty third-party loss terms (tests/faulty_terms.py, written from docs/plugins.md): the kit
rejects each one naming the broken promise, and a run names the term and its plugin."""

from __future__ import annotations

import re

import warnings

import pytest
import torch

import faulty_terms as F
from nst_pipeline.gatys import optimize
from nst_pipeline import testing as kit
from nst_pipeline.builtins.losses import nst_loss_terms
from nst_pipeline.errors import ConfigError, NSTWarning, PluginError
from nst_pipeline.losses.base import Targets
from nst_pipeline.gatys.objective import Objective, WeightedTerm
from nst_pipeline.gatys.probe import probe_plugin_terms


@pytest.mark.parametrize("name,message", [
    ("perchannel", "must return a scalar tensor (one number), got a tensor of shape (1, 4)"),
    ("frozen", "does not depend on the image (it is detached from it)"),
    ("root", "gradient at the content image (where runs start by default) is not finite"),
    ("crisp", "falls on both sides when moved away from its target, the noise image"),
    ("vivid", "falls on both sides when moved away from its target"),
    ("crashes", "forward raised KeyError: 'relu9_9'"),
])
def test_the_kit_catches_each_fault(name, message):
    with pytest.raises(kit.ConformanceError) as err:
        kit.check_loss_term(F.spec(name))
    assert str(err.value).startswith(f"{name}: ") and message in str(err.value)


def test_the_sign_check_lets_layer_free_builtins_pass():
    tv = next(s for s in nst_loss_terms() if s.name == "tv")
    assert any("the flat image" in p for p in kit.check_loss_term(tv))  # flat grey: TV's own minimum


def test_plugins_check_reports_each_fault_in_one_line(monkeypatch, capsys):
    from nst_pipeline import registry as registry_module
    from nst_pipeline.cli.app import main
    from nst_pipeline.registry import Registry

    monkeypatch.setattr(registry_module, "_default", Registry(autoload=False, extra_plugins=[F.FaultyPlugin()]))
    assert main(["plugins", "check", "faulty"]) != 0
    err = capsys.readouterr()
    text = err.out + err.err
    for name in F.FAULTS:
        assert f"FAIL loss term {name}" in text
    assert "Traceback" not in text


def _objective(tiny_backbone, fault: str, weight: float = 1.0) -> tuple[Objective, torch.Tensor]:
    builtin = {s.name: s for s in nst_loss_terms()}
    terms = [WeightedTerm(n, w, builtin[n].factory(builtin[n].options())) for n, w in (("content", 1.0), ("style", 10.0))]
    terms.append(WeightedTerm(fault, weight, F.FAULTS[fault](), plugin="faulty"))
    content, style = kit.smooth_image(32, 40, 1), kit.smooth_image(32, 40, 2)
    objective = Objective(tiny_backbone, terms)
    objective.prepare(Targets(tiny_backbone, content, [style]))
    return objective, content


def _run(objective, start, optimizer="lbfgs", steps=3):
    return optimize.run(start, objective, steps, optimize.Schedule(optimizer, None, 0, 0.5)).image


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
@pytest.mark.parametrize("fault,message", [
    ("perchannel", "loss term 'perchannel' (plugin 'faulty') returned a tensor of shape (1, 4), not a scalar"),
    ("crashes", "loss term 'crashes' (plugin 'faulty') failed in forward(): KeyError: 'relu9_9'"),
    ("root", "loss term 'root' (plugin 'faulty') gave a non-finite (NaN or infinite) gradient at the start image"),
])
def test_a_run_names_the_faulty_term_and_its_plugin(tiny_backbone, optimizer, fault, message):
    objective, content = _objective(tiny_backbone, fault)
    with pytest.raises(PluginError) as err:
        _run(objective, content, optimizer)
    assert message in str(err.value) and "learning rate" not in str(err.value)


def _probed(objective, content) -> None:
    """The job's build-time probe, then the run's own targets (the probe prepared its own)."""
    probe_plugin_terms(objective)
    objective.prepare(Targets(objective.backbone, content, [kit.smooth_image(32, 40, 2)]))


def test_a_detached_term_is_warned_about_once_and_the_run_goes_on(tiny_backbone):
    objective, content = _objective(tiny_backbone, "frozen")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        _probed(objective, content)
        out = _run(objective, content)
    notes = [str(w.message) for w in seen if issubclass(w.category, NSTWarning)]
    assert notes == ["loss term 'frozen' (plugin 'faulty') does not depend on the image "
                     "(its value is detached from it): it has no effect on the result"]
    assert torch.isfinite(out).all()


def test_a_term_with_zero_gradient_is_warned_about(tiny_backbone):
    class Zero(F.StyleMeans):
        def forward(self, feats, image):
            return 0 * image.sum() + 1.0

    objective, content = _objective(tiny_backbone, "perchannel")
    objective.terms[-1] = WeightedTerm("zero", 1.0, Zero(), plugin="faulty")
    objective.terms[-1].term.bind(tiny_backbone)
    with pytest.warns(NSTWarning, match="loss term 'zero' .plugin 'faulty'. has a zero gradient"):
        _probed(objective, content)


def test_a_content_like_plugin_term_at_its_minimum_is_not_called_dead(tiny_backbone):
    class Squared(F.Root):  # the fixed Root: zero gradient at the content image, and that is fine
        def forward(self, feats, image):
            return sum((feats[l] - self.targets[l]).pow(2).mean() for l in self.layers)

    objective, content = _objective(tiny_backbone, "root")
    objective.terms[-1] = WeightedTerm("squared", 1.0, Squared(), plugin="faulty")
    objective.terms[-1].term.bind(tiny_backbone)
    with warnings.catch_warnings():
        warnings.simplefilter("error", NSTWarning)
        _probed(objective, content)
        _run(objective, content, steps=2)


def test_a_diverged_image_blames_the_learning_rate_and_names_the_terms(tiny_backbone):
    builtin = {s.name: s for s in nst_loss_terms()}
    terms = [WeightedTerm(n, w, builtin[n].factory(builtin[n].options())) for n, w in (("content", 1.0), ("style", 1e4))]
    objective = Objective(tiny_backbone, terms)
    content = kit.smooth_image(32, 40, 1)
    objective.prepare(Targets(tiny_backbone, content, [kit.smooth_image(32, 40, 2)]))
    with pytest.raises(ConfigError) as err:
        optimize.run(content, objective, 20, optimize.Schedule("lbfgs", 1e6, 0, 0.5))
    # the objective sees the picture in range: the iterate's overflow shows as a non-finite value
    assert "the image diverged" in str(err.value)
    assert re.search(r"loss term 'style' gave (inf|nan)", str(err.value))
    assert "lower the learning rate (--lr)" in str(err.value)


def test_a_non_finite_value_on_a_sane_image_names_the_term_not_the_learning_rate(tiny_backbone):
    class Nan(F.StyleMeans):
        def forward(self, feats, image):
            return image.mean() * float("nan")

    objective, content = _objective(tiny_backbone, "perchannel")
    objective.terms[-1] = WeightedTerm("nan", 1.0, Nan(), plugin="faulty")
    with pytest.raises(PluginError, match=r"loss term 'nan' \(plugin 'faulty'\) gave nan at the start image"):
        _run(objective, content)
