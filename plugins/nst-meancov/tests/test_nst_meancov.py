"""nst-meancov: values against hand-written formulas, gradcheck in float64, the conformance kit."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import nst_meancov as mc
from nst_pipeline.plugin import LossTermSpec, Targets
from nst_pipeline.testing import check_loss_term, kit_backbone


def gaussian_w2_numpy(m1, s1, m2, s2) -> float:
    """W2^2 by another route: tr((S2^1/2 S1 S2^1/2)^1/2) = sum sqrt(eig(S1 S2)) (same spectrum)."""
    cross = np.linalg.eigvals(s1 @ s2).real.clip(min=0)
    return float(((m1 - m2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.sqrt(cross).sum())


def moments_numpy(f: np.ndarray):
    flat = f.transpose(1, 0, 2, 3).reshape(f.shape[1], -1)
    mean = flat.mean(axis=1)
    return mean, np.cov(flat, bias=True)


def test_moments_match_numpy():
    f = torch.randn(1, 5, 6, 7, dtype=torch.float64)
    mean, cov = mc.feature_moments(f)
    ref_mean, ref_cov = moments_numpy(f.numpy())
    np.testing.assert_allclose(mean.numpy(), ref_mean, rtol=1e-12)
    np.testing.assert_allclose(cov.numpy(), ref_cov, rtol=1e-10, atol=1e-12)


def test_w2_matches_formula_for_random_gaussians():
    gen = torch.Generator().manual_seed(0)
    a, b = torch.randn(6, 6, generator=gen, dtype=torch.float64), torch.randn(6, 6, generator=gen, dtype=torch.float64)
    s1, s2 = a @ a.T + 0.1 * torch.eye(6, dtype=torch.float64), b @ b.T + 0.1 * torch.eye(6, dtype=torch.float64)
    m1, m2 = torch.randn(6, generator=gen, dtype=torch.float64), torch.randn(6, generator=gen, dtype=torch.float64)
    got = mc.wasserstein2_sq(m1, s1, m2, s2, mc.sym_sqrt(s2)).item()
    assert got == pytest.approx(gaussian_w2_numpy(m1.numpy(), s1.numpy(), m2.numpy(), s2.numpy()), rel=1e-9)


def test_w2_of_diagonal_gaussians_is_mean_gap_plus_std_gap():
    # commuting covariances: W2^2 = |m1 - m2|^2 + sum (sqrt(v1) - sqrt(v2))^2
    v1, v2 = torch.tensor([1.0, 4.0, 9.0], dtype=torch.float64), torch.tensor([4.0, 1.0, 0.25], dtype=torch.float64)
    m1, m2 = torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64), torch.tensor([1.0, 1.0, 0.0], dtype=torch.float64)
    got = mc.wasserstein2_sq(m1, torch.diag(v1), m2, torch.diag(v2), torch.diag(v2.sqrt())).item()
    expected = (1 + 0 + 4) + ((1 - 2) ** 2 + (2 - 1) ** 2 + (3 - 0.5) ** 2)
    assert got == pytest.approx(expected, rel=1e-12)


def _term_with_targets(layers=("relu1_1", "relu2_1"), dtype=torch.float32, styles=1, blend=()):
    backbone = kit_backbone().to(dtype)
    term = mc.MeanCovStyleLoss(list(layers))
    term.bind(backbone)
    gen = torch.Generator().manual_seed(1)
    images = [torch.rand(1, 3, 16, 20, generator=gen, dtype=dtype) for _ in range(styles + 1)]
    term.prepare(Targets(backbone, images[0], images[1:], blend))
    return backbone, term, images


def test_term_value_is_relative_w2_averaged_over_layers():
    backbone, term, (content, style) = _term_with_targets(dtype=torch.float64)
    x = torch.rand(1, 3, 16, 20, dtype=torch.float64, generator=torch.Generator().manual_seed(7))
    feats = backbone(x, term.layers)
    style_feats = backbone(style, term.layers)
    expected = 0.0
    for layer in term.layers:
        m, s = moments_numpy(feats[layer].numpy())
        mt, st = moments_numpy(style_feats[layer].numpy())
        expected += 0.5 * gaussian_w2_numpy(m, s, mt, st) / ((mt ** 2).sum() + np.trace(st))
    assert term(feats, x).item() == pytest.approx(expected, rel=1e-6)
    assert term(style_feats, style).item() == pytest.approx(0.0, abs=1e-6)


def test_two_styles_blend_as_a_mixture():
    backbone, term, (content, s1, s2) = _term_with_targets(layers=("relu1_1",), dtype=torch.float64, styles=2, blend=(1.0, 3.0))
    f1, f2 = (backbone(s, ["relu1_1"])["relu1_1"] for s in (s1, s2))
    pooled = [f1.reshape(f1.shape[1], -1)] + [f2.reshape(f2.shape[1], -1)] * 3  # weights 1:3 as repeats
    flat = torch.cat(pooled, dim=1).numpy()
    mean_ref, cov_ref = flat.mean(axis=1), np.cov(flat, bias=True)
    mean, cov, _, _ = term.targets["relu1_1"]
    np.testing.assert_allclose(mean.numpy(), mean_ref, rtol=1e-10)
    np.testing.assert_allclose(cov.numpy(), cov_ref, rtol=1e-8, atol=1e-12)


def test_gradcheck_float64():
    backbone, term, _ = _term_with_targets(layers=("relu1_1",), dtype=torch.float64)
    x = torch.rand(1, 3, 8, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(3), requires_grad=True)
    assert torch.autograd.gradcheck(lambda img: term(backbone(img, term.layers), img), (x,), eps=1e-6, atol=1e-5)


def test_gradient_stays_finite_with_dead_channels():
    term = mc.MeanCovStyleLoss(["f"])
    target = torch.zeros(1, 4, 6, 6)
    target[:, :2] = torch.rand(1, 2, 6, 6)  # half the channels never fire, as relu layers do
    term.targets = {}
    mean, cov = mc.feature_moments(target.double())
    scale = mean.pow(2).sum() + cov.trace()
    term.targets["f"] = tuple(t.float() for t in (mean, cov, mc.sym_sqrt(cov), scale))
    term.layers = ("f",)
    x = target.clone().requires_grad_(True)
    term({"f": x}, x).backward()
    assert torch.isfinite(x.grad).all()


def test_hook_declares_one_spec():
    (spec,) = mc.nst_loss_terms()
    assert isinstance(spec, LossTermSpec) and spec.name == "meancov"
    assert spec.options().eps == 1e-6


def test_conformance_kit():
    for spec in mc.nst_loss_terms():
        passed = check_loss_term(spec)
        assert any("smallest at its target" in p for p in passed)
