"""Benchmark video mode: steadiness and speed of three ways to stylize a clip.

(a) per-frame: every later frame starts from its content, no temporal term
(b) warm start from the previous stylized frame (no flow, no temporal term)
(c) flow-warped previous frame as the start + the temporal loss
All three share the first frame (same pyramid and --first-steps) and give every
later frame the same number of steps. Reports seconds per later frame, the warping
error (Lai et al. 2018, `nst eval temporal`'s code), and how fast later frames
converge: the content+style+tv loss after 1 step of (c) against the loss (a)
reaches after all its steps.

    .venv/bin/python scripts/bench_video.py [--frames 30] [--first-steps 40] [--steps 8]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from nst_pipeline.builtins.video import TEMPORAL_WEIGHT
from nst_pipeline.config import make_config
from nst_pipeline.job import build_job
from nst_pipeline.sinks.base import FrameSink
from nst_pipeline.sources.video import VideoFileSource
from nst_pipeline.stylize import Stylizer
from nst_pipeline.video.metric import warping_error
from nst_pipeline.video.pipeline import FrameLoop, VideoSettings

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT.parent / "shared" / "data" / "video" / "carphone_176x144.mp4"
STYLE = ROOT / "nst_pipeline" / "samples" / "style" / "starry_night.jpg"


class ListSink(FrameSink):
    def __init__(self, frames: list | None = None) -> None:
        super().__init__()
        self.kept = frames if frames is not None else []

    def _write(self, frame):
        self.kept.append(frame)


class ReplayFirst(Stylizer):
    """A Stylizer that hands out an already stylized first frame, so every variant shares it."""

    first: torch.Tensor | None = None

    def stylize(self, content, *, frame=0, **kw):
        if frame == 0 and self.first is not None:
            return self.first
        return super().stylize(content, frame=frame, **kw)


def base_loss(report, weights) -> float:
    return sum(weights[k] * v for k, v in report.terms.items() if k != "temporal")


def run_variant(name, frames, args, init, temporal_weight, first):
    config = make_config(styles=(STYLE,), size=max(frames[0].shape[:2]), steps=args.first_steps, seed=0, device="cpu")
    job = build_job(config, extra_terms=[("temporal", temporal_weight)])
    weights = {t.name: t.weight for t in job.objective.terms}
    stylizer = ReplayFirst(job)
    stylizer.first = first
    curves: dict[int, list[float]] = {}
    times: list[float] = []
    cpu: list[float] = []
    clock = [time.process_time()]

    def on_frame(r):
        now = time.process_time()
        if r.index > 0:
            times.append(r.seconds)
            cpu.append(now - clock[0])
        clock[0] = now

    out = []
    settings = VideoSettings(args.first_steps, args.steps, init, temporal_weight)
    loop = FrameLoop(stylizer, settings)
    loop.run(frames, ListSink(out), len(frames),
             on_step=lambda r: curves.setdefault(r.frame, []).append(base_loss(r, weights)),
             on_frame=on_frame)
    err = warping_error(frames, out)
    later = [c for f, c in curves.items() if f > 0]
    return out, {
        "variant": name, "init": init, "temporal_weight": temporal_weight,
        "sec_per_later_frame": float(np.mean(times)), "cpu_sec_per_later_frame": float(np.mean(cpu)),
        "warping_error": err.mean,
        "loss_after_1_step": float(np.mean([c[0] for c in later])),
        "loss_after_all_steps": float(np.mean([c[-1] for c in later])),
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--frames", type=int, default=30)
    p.add_argument("--first-steps", type=int, default=40)
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--temporal-weight", type=float, default=TEMPORAL_WEIGHT)
    p.add_argument("--variants", default="abc", help="which of a, b, c to run (ratios are against the first)")
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads (1: CPU seconds stay comparable on a shared machine)")
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    src = VideoFileSource(str(CLIP))
    frames = [f for f, _ in zip(src, range(args.frames))]

    # the shared first frame: pyramid + full budget, timed once
    config = make_config(styles=(STYLE,), size=max(frames[0].shape[:2]), steps=args.first_steps, seed=0, device="cpu")
    first_losses: list[float] = []
    start = time.perf_counter()
    stylizer = Stylizer(build_job(config))
    first = stylizer.stylize(torch.from_numpy(frames[0]).permute(2, 0, 1)[None].float().div(255).contiguous(),
                             on_step=lambda r: first_losses.append(r.loss))
    first_seconds = time.perf_counter() - start

    rows = []
    variants = {"a": ("a per-frame", "content", 0.0), "b": ("b warm start", "prev", 0.0),
                "c": ("c flow warp + temporal", "prev-warped", args.temporal_weight)}
    for name, init, w in (variants[k] for k in args.variants):
        _, row = run_variant(name, frames, args, init, w, first)
        rows.append(row)
        print(json.dumps(row), flush=True)
    orig_err = warping_error(frames, frames).mean
    a = rows[0]
    print(f"\nfirst frame: {args.first_steps} steps in {first_seconds:.1f} s, final loss {first_losses[-1]:.4g}")
    c1 = rows[-1]["loss_after_1_step"]
    reach = next((i + 1 for i, v in enumerate(first_losses) if v <= c1), None)
    print(f"(c)'s later frames start at loss {c1:.4g}; the first frame got there after {reach} of {args.first_steps} steps")
    print(f"original clip warping error: {orig_err:.5f}")
    print("| variant | wall s / later frame | CPU s / later frame | vs (a) | warping error | vs (a) | loss after 1 step | after all steps |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['variant']} | {r['sec_per_later_frame']:.2f} | {r['cpu_sec_per_later_frame']:.2f} "
              f"| {r['cpu_sec_per_later_frame'] / a['cpu_sec_per_later_frame']:.2f}x "
              f"| {r['warping_error']:.5f} | {r['warping_error'] / a['warping_error']:.2f}x "
              f"| {r['loss_after_1_step']:.4g} | {r['loss_after_all_steps']:.4g} |")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "first_seconds": first_seconds, "first_losses": first_losses,
                                         "original_error": orig_err,
                                         "args": {k: str(v) for k, v in vars(args).items()}}, indent=1))


if __name__ == "__main__":
    main()
