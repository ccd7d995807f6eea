"""Loss terms against hand-written formulas, and their gradients."""

from __future__ import annotations

import pytest
import torch

from nst_pipeline.losses.base import Targets
from nst_pipeline.losses.terms import ContentLoss, GramStyleLoss, TotalVariationLoss, gram, total_variation
from nst_pipeline.gatys.objective import Objective, WeightedTerm


def gram_by_hand(f: torch.Tensor) -> torch.Tensor:
    n, c, h, w = f.shape
    out = torch.zeros(n, c, c, dtype=torch.float32)
    for b in range(n):
        for i in range(c):
            for j in range(c):
                out[b, i, j] = (f[b, i] * f[b, j]).sum() / (h * w)
    return out


def test_gram_matches_definition():
    f = torch.randn(2, 3, 4, 5)
    assert torch.allclose(gram(f), gram_by_hand(f), atol=1e-6)


def test_gram_is_size_invariant_for_a_tiled_map():
    f = torch.randn(1, 4, 3, 3)
    tiled = f.repeat(1, 1, 4, 4)  # same statistics over 16x the positions
    assert torch.allclose(gram(f), gram(tiled), atol=1e-5)


def test_total_variation_formula():
    x = torch.tensor([[[[0.0, 1.0, 3.0], [2.0, 2.0, 2.0]]]])
    # vertical diffs: 2, 1, -1 -> mean of squares = 2; horizontal: 1, 2, 0, 0 -> 5/4
    assert total_variation(x).item() == pytest.approx(2.0 + 1.25)


def _targets(backbone, content, styles, blend=()):
    return Targets(backbone, content, styles, blend)


def test_content_loss_is_relative_squared_error(tiny_backbone):
    content = torch.rand(1, 3, 32, 32)
    image = torch.rand(1, 3, 32, 32)
    term = ContentLoss(["relu2_1"])
    term.bind(tiny_backbone)
    term.prepare(_targets(tiny_backbone, content, []))
    fi = tiny_backbone(image, ["relu2_1"])["relu2_1"]
    fc = tiny_backbone(content, ["relu2_1"])["relu2_1"]
    expected = ((fi - fc) ** 2).sum() / (fc**2).sum()
    assert term({"relu2_1": fi}, image).item() == pytest.approx(expected.item(), rel=1e-5)
    assert term({"relu2_1": fc}, content).item() == pytest.approx(0.0, abs=1e-9)


def test_style_loss_blends_gram_targets(tiny_backbone):
    s1, s2 = torch.rand(1, 3, 32, 32), torch.rand(1, 3, 40, 24)
    image = torch.rand(1, 3, 32, 32)
    layers = ["relu1_1", "relu3_1"]
    term = GramStyleLoss(layers, [3.0, 1.0])
    term.bind(tiny_backbone)
    term.prepare(_targets(tiny_backbone, image, [s1, s2], (1.0, 3.0)))
    feats = tiny_backbone(image, layers)
    expected = 0.0
    for layer, lw in zip(layers, [0.75, 0.25]):
        a = 0.25 * gram_by_hand(tiny_backbone(s1, [layer])[layer]) + 0.75 * gram_by_hand(tiny_backbone(s2, [layer])[layer])
        g = gram_by_hand(feats[layer])
        expected += lw * ((g - a) ** 2).sum() / (a**2).sum()
    assert term(feats, image).item() == pytest.approx(float(expected), rel=1e-4)


def test_style_loss_is_zero_at_its_target(tiny_backbone):
    style = torch.rand(1, 3, 32, 32)
    term = GramStyleLoss(["relu1_1", "relu2_1"])
    term.bind(tiny_backbone)
    term.prepare(_targets(tiny_backbone, style, [style]))
    assert term(tiny_backbone(style, term.layers), style).item() == pytest.approx(0.0, abs=1e-10)


def test_layer_weight_count_must_match(tiny_backbone):
    from nst_pipeline.errors import ConfigError

    with pytest.raises(ConfigError, match="2 layer weights for 1 layers"):
        GramStyleLoss(["relu1_1"], [1.0, 2.0]).bind(tiny_backbone)


def test_default_layers_come_from_the_backbone(tiny_backbone):
    c, s = ContentLoss(), GramStyleLoss()
    c.bind(tiny_backbone)
    s.bind(tiny_backbone)
    assert c.layers == tiny_backbone.default_content_layers
    assert s.layers == tiny_backbone.default_style_layers


@pytest.mark.parametrize("make_term", [
    lambda: ContentLoss(["relu1_1", "relu2_1"]),
    lambda: GramStyleLoss(["relu1_1", "relu2_1"]),
])
def test_gradcheck_float64_wrt_features(tiny_backbone, make_term):
    backbone = tiny_backbone.double()
    torch.manual_seed(0)
    content = torch.rand(1, 3, 8, 8, dtype=torch.float64)
    style = torch.rand(1, 3, 8, 8, dtype=torch.float64)
    term = make_term().double()
    term.bind(backbone)
    term.prepare(Targets(backbone, content, [style]))
    f1 = torch.rand(1, 4, 8, 8, dtype=torch.float64, requires_grad=True)
    f2 = torch.rand(1, 8, 4, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: term({"relu1_1": a, "relu2_1": b}, None), (f1, f2), eps=1e-6, atol=1e-6)


def test_gradcheck_float64_total_variation():
    x = torch.rand(1, 3, 5, 6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: TotalVariationLoss()({}, x), (x,), eps=1e-6, atol=1e-6)


def test_gradient_through_the_backbone_matches_finite_difference(tiny_backbone):
    """One directional derivative through backbone + Gram term, float64."""
    backbone = tiny_backbone.double()
    torch.manual_seed(1)
    term = GramStyleLoss(["relu1_1", "relu2_1"]).double()
    term.bind(backbone)
    term.prepare(Targets(backbone, torch.rand(1, 3, 8, 8, dtype=torch.float64), [torch.rand(1, 3, 8, 8, dtype=torch.float64)]))
    x = torch.rand(1, 3, 8, 8, dtype=torch.float64, requires_grad=True)
    f = lambda y: term(backbone(y, term.layers), y)  # noqa: E731
    f(x).backward()
    v = torch.randn_like(x)
    eps = 1e-6
    with torch.no_grad():
        numeric = (f(x + eps * v) - f(x - eps * v)) / (2 * eps)
    assert float((x.grad * v).sum()) == pytest.approx(float(numeric), rel=1e-5)


def test_objective_runs_the_backbone_once_over_the_union_of_layers(tiny_backbone):
    calls = []
    original = tiny_backbone.forward

    def spy(image, layers):
        calls.append(tuple(layers))
        return original(image, layers)

    tiny_backbone.forward = spy
    terms = [WeightedTerm("content", 1.0, ContentLoss(["relu2_1"])),
             WeightedTerm("style", 10.0, GramStyleLoss(["relu1_1", "relu3_1"])),
             WeightedTerm("tv", 0.5, TotalVariationLoss())]
    obj = Objective(tiny_backbone, terms)
    content, style, image = (torch.rand(1, 3, 32, 32) for _ in range(3))
    obj.prepare(Targets(tiny_backbone, content, [style]))
    calls.clear()
    total, parts = obj(image)
    assert calls == [("relu1_1", "relu2_1", "relu3_1")]
    expected = parts["content"] + 10.0 * parts["style"] + 0.5 * parts["tv"]
    assert total.item() == pytest.approx(float(expected), rel=1e-6)


def test_backbone_parameters_get_no_gradient(tiny_backbone):
    obj = Objective(tiny_backbone, [WeightedTerm("content", 1.0, ContentLoss(["relu2_1"]))])
    obj.prepare(Targets(tiny_backbone, torch.rand(1, 3, 16, 16), []))
    x = torch.rand(1, 3, 16, 16, requires_grad=True)
    obj(x)[0].backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert all(p.grad is None and not p.requires_grad for p in tiny_backbone.parameters())
