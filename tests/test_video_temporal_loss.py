"""The temporal loss term: formula, gradient, extras handling, registration."""

from __future__ import annotations

import torch

from nst_pipeline.losses.base import Targets
from nst_pipeline.losses.temporal import TemporalLoss, temporal_loss


def test_formula_matches_ruder_eq5():
    gen = torch.Generator().manual_seed(0)
    x, w = torch.rand(1, 3, 7, 9, generator=gen), torch.rand(1, 3, 7, 9, generator=gen)
    c = (torch.rand(1, 1, 7, 9, generator=gen) > 0.3).float()
    expected = 0.0
    for ch in range(3):
        for i in range(7):
            for j in range(9):
                expected += float(c[0, 0, i, j]) * float(x[0, ch, i, j] - w[0, ch, i, j]) ** 2
    expected /= 3 * 7 * 9  # D = C * H * W
    assert torch.isclose(temporal_loss(x, w, c), torch.tensor(expected), rtol=1e-5)


def test_gradient_passes_gradcheck_in_float64():
    gen = torch.Generator().manual_seed(1)
    x = torch.rand(1, 3, 5, 6, generator=gen, dtype=torch.float64, requires_grad=True)
    w = torch.rand(1, 3, 5, 6, generator=gen, dtype=torch.float64, requires_grad=True)
    c = torch.rand(1, 1, 5, 6, generator=gen, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda a, b: temporal_loss(a, b, c), (x, w))
    # and the closed form: d/dx = 2 c (x - w) / D
    x.grad = None
    temporal_loss(x, w, c).backward()
    assert torch.allclose(x.grad, 2 * c * (x - w).detach() / x.numel())


def test_same_weight_means_the_same_at_any_size():
    small, large = torch.full((1, 3, 8, 8), 0.5), torch.full((1, 3, 64, 64), 0.5)
    values = [temporal_loss(x, x + 0.1, torch.ones_like(x[:, :1])) for x in (small, large)]
    assert torch.isclose(values[0], values[1]) and torch.isclose(values[0], torch.tensor(0.01))


def test_masked_pixels_do_not_count():
    x, w = torch.zeros(1, 3, 4, 4), torch.ones(1, 3, 4, 4)
    c = torch.zeros(1, 1, 4, 4)
    c[..., :2, :] = 1  # half the pixels trusted
    assert torch.isclose(temporal_loss(x, w, c), torch.tensor(0.5))


def test_term_reads_extras_and_is_zero_without_them(tiny_backbone):
    term = TemporalLoss()
    term.bind(tiny_backbone)
    assert term.layers == ()
    image = torch.rand(1, 3, 16, 16)
    term.prepare(Targets(tiny_backbone, image))
    assert float(term({}, image)) == 0.0
    warped = torch.rand(1, 3, 16, 16)
    mask = torch.ones(1, 1, 16, 16)
    term.prepare(Targets(tiny_backbone, image, previous_warped=warped, previous_confidence=mask))
    assert torch.isclose(term({}, image), ((image - warped) ** 2).mean())
    # a pyramid level of another size gets the warp and mask resized to it
    half = torch.rand(1, 3, 8, 8)
    assert term({}, half).shape == ()


def test_registered_as_a_video_only_plugin_active_in_video_jobs(registry):
    spec = registry.loss("temporal")
    assert spec.video_only and spec.default and spec.plugin == "nst_pipeline.builtins.video"
    assert spec.default_weight == 20.0
    assert {"video", "folder", "stdin"} <= set(registry.names("source"))
