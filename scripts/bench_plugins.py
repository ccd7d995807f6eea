"""Cost of the example plugins against their built-in peers, measured in the same run.

One "step" is what the optimizer pays per evaluation: backbone forward over the needed
layers, every active term, and backward to the image. Variants are timed interleaved
(round-robin) so machine load hits them alike; we report medians and ratios.

    .venv/bin/python scripts/bench_plugins.py --size 256 --repeats 5
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from nst_pipeline import images
from nst_pipeline.config import make_config
from nst_pipeline.gatys.job import build_job
from nst_pipeline.losses.base import Targets
from nst_pipeline.registry import Registry

VARIANTS = {
    "vgg19 + gram (default)": dict(),
    "vgg19 + meancov instead": dict(losses=("meancov", "style:0")),
    "hed-vgg16 + gram": dict(backbone="hed-vgg16"),
    "vgg19 + gram, 1 style layer": dict(loss_options=("style.layers=relu1_1",)),
    "vgg19 + meancov, 1 style layer": dict(losses=("meancov", "style:0"), loss_options=("meancov.layers=relu1_1",)),
}


def step_timer(name: str, extra: dict, content: torch.Tensor, style: torch.Tensor, registry: Registry):
    config = make_config(styles=("/work/shared/data/images/style/starry_night.jpg",), device="cpu", **extra)
    job = build_job(config, registry)
    job.objective.prepare(Targets(job.backbone, content, [style]))

    def step() -> float:
        x = content.clone().requires_grad_(True)
        start = time.perf_counter()
        loss, _ = job.objective(x)
        loss.backward()
        return time.perf_counter() - start

    step()  # warm-up: first call allocates
    return step


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    content = images.load_image("/work/shared/data/images/content/tubingen.jpg")
    content = images.resize(content, images.fit_long_side(tuple(content.shape[-2:]), args.size))
    style = images.load_image("/work/shared/data/images/style/starry_night.jpg")
    style = images.resize(style, images.fit_long_side(tuple(style.shape[-2:]), args.size))
    registry = Registry(autoload=True)
    timers = {name: step_timer(name, extra, content, style, registry) for name, extra in VARIANTS.items()}
    times: dict[str, list[float]] = {name: [] for name in timers}
    for _ in range(args.repeats):
        for name, step in timers.items():
            times[name].append(step())
    base = statistics.median(times["vgg19 + gram (default)"])
    print(f"size {content.shape[-1]}x{content.shape[-2]}, {args.repeats} interleaved repeats, {args.threads} threads")
    print(f"{'variant':34} {'median s/step':>14} {'vs default':>10}")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"{name:34} {med:14.3f} {med / base:10.2f}")


if __name__ == "__main__":
    main()
