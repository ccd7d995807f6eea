"""--precision: bf16 features and gradients near fp32, losses in fp32, auto's choice, the warning on a
CPU without fast bf16, and in-range optimization (the written picture is the one the run judged)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from nst_pipeline import images
from nst_pipeline.config import make_config
from nst_pipeline.errors import NSTWarning
from nst_pipeline.gatys import precision
from nst_pipeline.gatys.job import build_job
from nst_pipeline.gatys.method import GatysMethod
from nst_pipeline.methods.base import FrameTask, MethodContext
from nst_pipeline.options import build_options
from nst_pipeline.specs import NoOptions

LAYERS = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu4_2"]


@pytest.fixture(scope="module")
def vgg():
    from nst_pipeline.backbones.build import build_backbone
    from nst_pipeline.registry import Registry

    return build_backbone(Registry(autoload=False), "vgg19").use_channels_last()


def test_bf16_features_and_gradients_are_near_fp32_and_come_back_fp32(vgg):
    x = torch.rand(1, 3, 48, 64, generator=torch.Generator().manual_seed(1), requires_grad=True)
    cpu = torch.device("cpu")
    exact = precision.Features(vgg, "fp32", cpu)(x, LAYERS)
    low = precision.Features(vgg, "bf16", cpu)(x, LAYERS)
    for name in LAYERS:
        assert low[name].dtype == torch.float32
        rel = (low[name] - exact[name]).norm() / exact[name].norm()
        assert rel < 0.03, (name, float(rel))   # bf16 keeps 8 bits of mantissa: ~0.4% per rounding
    # the image gradient of a Gram-style loss, the quantity the optimizer follows
    def gram_loss(feats):
        return sum((f.flatten(2) @ f.flatten(2).transpose(1, 2)).square().mean() for f in feats.values())

    g32 = torch.autograd.grad(gram_loss(precision.Features(vgg, "fp32", cpu)(x, LAYERS)), x)[0]
    g16 = torch.autograd.grad(gram_loss(precision.Features(vgg, "bf16", cpu)(x, LAYERS)), x)[0]
    cosine = torch.nn.functional.cosine_similarity(g32.flatten(), g16.flatten(), dim=0)
    assert g16.dtype == torch.float32 and cosine > 0.99, float(cosine)


def test_auto_follows_the_cpu_flags_and_forced_bf16_warns_where_it_is_slow(tmp_path, monkeypatch):
    fast, slow = tmp_path / "fast", tmp_path / "slow"
    fast.write_text("processor : 0\nflags : fpu sse avx512f avx512_bf16\n")
    slow.write_text("processor : 0\nflags : fpu sse avx2\n")
    assert precision.cpu_has_fast_bf16.__wrapped__(str(fast))
    assert not precision.cpu_has_fast_bf16.__wrapped__(str(slow))
    assert not precision.cpu_has_fast_bf16.__wrapped__(str(tmp_path / "absent"))
    cpu = torch.device("cpu")
    monkeypatch.setattr(precision, "cpu_has_fast_bf16", lambda: True)
    assert precision.resolve_precision("auto", cpu) == "bf16"
    monkeypatch.setattr(precision, "cpu_has_fast_bf16", lambda: False)
    assert precision.resolve_precision("auto", cpu) == "fp32"
    with pytest.warns(NSTWarning, match="no fast bfloat16"):
        assert precision.resolve_precision("bf16", cpu) == "bf16"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert precision.resolve_precision("fp32", cpu) == "fp32"


def method(registry, style, **options) -> GatysMethod:
    config = make_config(styles=(style,), size=32, backbone="tiny", device="cpu", seed=0, levels=1, **options)
    return GatysMethod(MethodContext(config, build_options(NoOptions, [], "method"), registry))


def content_frame() -> np.ndarray:
    return np.random.default_rng(3).uniform(0, 1, (24, 32, 3)).astype(np.float32)


@pytest.mark.parametrize("name", ["fp32", "bf16"])
def test_forced_precision_runs_and_losses_stay_fp32(registry, make_image, monkeypatch, name):
    monkeypatch.setattr(precision, "cpu_has_fast_bf16", lambda: False)   # a CPU without the instructions
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NSTWarning)
        m = method(registry, make_image("s.png"), precision=name)
    assert m.precision == m.job.precision == name
    seen = []
    out = m.stylize(FrameTask(0, content_frame(), True, 3, "content"), on_step=seen.append)
    assert out.shape == (24, 32, 3) and np.isfinite(out).all() and len(seen) == 3
    assert m.last_record().loss <= seen[0].loss     # the best picture judged is the one kept
    feats = m.job.objective.features(images.frame_to_tensor(out), m.job.objective.layers)
    assert all(f.dtype == torch.float32 for f in feats.values())


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_the_written_picture_has_the_loss_the_run_reported_for_it(registry, make_image, optimizer):
    m = method(registry, make_image("s.png"), optimizer=optimizer, style_weight=1e4, tol=0.0)
    out = m.stylize(FrameTask(0, content_frame(), True, 8, "content"))
    facts = m.last_record()
    assert out.min() >= 0 and out.max() <= 1
    with torch.no_grad():   # the objective still holds the targets of the frame's (only) level
        loss, parts = m.job.objective(images.frame_to_tensor(out))
    assert facts.loss == pytest.approx(float(loss), rel=1e-4)
    assert facts.terms["style"] == pytest.approx(float(parts["style"]), rel=1e-4)


def test_the_plan_says_the_precision(registry, make_image):
    from nst_pipeline.config import ClipConfig
    from nst_pipeline.methods.build import make_plan

    m = method(registry, make_image("s.png"), precision="fp32")
    plan = make_plan(m, m.job.config, ClipConfig(), (32, 24), 1)
    assert plan.precision == "fp32"


def test_job_builds_with_the_resolved_precision(registry, make_image, monkeypatch):
    monkeypatch.setattr(precision, "cpu_has_fast_bf16", lambda: True)
    config = make_config(styles=(make_image("s.png"),), size=32, backbone="tiny", device="cpu")
    assert build_job(config, registry).precision == "bf16"
    config = make_config(styles=(make_image("s.png"),), size=32, backbone="tiny", device="cpu", precision="fp32")
    assert build_job(config, registry).precision == "fp32"
