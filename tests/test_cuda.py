"""The CUDA path (marked ``cuda``; skipped without a GPU). ``scripts/gpu_check.sh`` runs these
first on a GPU machine, then measures."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nst_pipeline.config import make_config
from nst_pipeline.gatys.method import GatysMethod
from nst_pipeline.methods.base import FrameTask, MethodContext
from nst_pipeline.options import build_options
from nst_pipeline.specs import NoOptions

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


def method(registry, style, **options) -> GatysMethod:
    config = make_config(styles=(style,), size=64, levels=1, **options)
    return GatysMethod(MethodContext(config, build_options(NoOptions, [], "method"), registry))


def frame() -> np.ndarray:
    return np.random.default_rng(0).uniform(0, 1, (48, 64, 3)).astype(np.float32)


def test_auto_on_cuda_is_bf16_with_tf32_and_channels_last(registry, make_image):
    m = method(registry, make_image("s.png"), device="cuda", backbone="vgg19")
    assert m.job.device.type == "cuda"
    assert m.precision == ("bf16" if torch.cuda.is_bf16_supported() else "fp32")
    assert torch.backends.cuda.matmul.allow_tf32 and torch.backends.cudnn.allow_tf32
    assert torch.backends.cudnn.benchmark          # no --seed: cuDNN may autotune
    assert m.job.backbone.channels_last


def test_seed_asks_cudnn_for_repeatable_pixels(registry, make_image):
    style = make_image("s.png")
    a = method(registry, style, device="cuda", backbone="vgg19", seed=1).stylize(FrameTask(0, frame(), True, 5, "noise"))
    assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
    b = method(registry, style, device="cuda", backbone="vgg19", seed=1).stylize(FrameTask(0, frame(), True, 5, "noise"))
    assert np.array_equal(a, b)


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_cuda_and_cpu_fp32_reach_similar_losses(registry, make_image, precision):
    style = make_image("s.png")
    task = FrameTask(0, frame(), True, 10, "content")
    gpu = method(registry, style, device="cuda", backbone="vgg19", precision=precision, seed=0, tol=0.0)
    cpu = method(registry, style, device="cpu", backbone="vgg19", precision="fp32", seed=0, tol=0.0)
    gpu.stylize(task)
    cpu.stylize(task)
    assert gpu.last_record().loss == pytest.approx(cpu.last_record().loss, rel=0.1)


def test_fast_method_runs_on_the_cuda_execution_provider(make_image, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        pytest.skip("onnxruntime has no CUDA execution provider here")
    from nst_pipeline import api

    out = api.stylize_image(make_image("c.png", size=(64, 48)), make_image("s.png"), tmp_path / "o.png",
                            method="fast", device="cuda", size=64)
    assert tuple(out.shape) == (1, 3, 48, 64)
