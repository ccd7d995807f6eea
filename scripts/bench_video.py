"""Benchmark video mode: steadiness, missing content and speed of three ways to stylize a clip.

(a) per-frame: every later frame starts from its content, no temporal term
    (`nst video --init content --temporal-weight 0`)
(o) the warm start before issue 14: previous result warped by flow everywhere, temporal term
    wherever the forward-backward check trusts the flow (no brightness check, no fresh pixels)
(c) the default: as (o), but pixels with no predecessor (out of frame, or unlike their
    flow-warped predecessor) start from the content frame, the temporal term is off there,
    the frame gets extra steps for its fresh share, and a frame under 25% trusted is a cut

Metrics, side by side in one run:
- warping error (Lai et al. 2018, `nst eval temporal`'s code): steadiness; blind to missing content
- content distance on fresh pixels: the content term's relative squared feature error (default
  backbone, its content layers) against the input frame, only where the frame has new content
  (the fresh mask, resized to the feature map), averaged over later frames: a ghost scores high
- disk contrast (--clip disk): mean luminance of a ring around the entering disk minus its inside,
  frames 7+ (the issue's test: the disk must show)

    .venv/bin/python scripts/bench_video.py --clip disk [--first-steps 40 --steps 20]
    .venv/bin/python scripts/bench_video.py --clip carphone --frames 8 --steps 8
"""

from __future__ import annotations

import argparse
import json
import time
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np
import torch

from nst_pipeline.methods.build import build_method
from nst_pipeline.config import make_clip, make_config
from nst_pipeline.pipeline import stylize_frames
from nst_pipeline.registry import get_registry
from nst_pipeline.sources.video import VideoFileSource
from nst_pipeline.video import warm
from nst_pipeline.video.flow import FlowEstimator, frame_pair
from nst_pipeline.video.metric import warping_error

ROOT = Path(__file__).resolve().parents[1]
VIDEO = ROOT.parent / "shared" / "data" / "video"
STYLE = ROOT / "nst_pipeline" / "samples" / "style" / "starry_night.jpg"
DISK = dict(w=96, h=80, r=12, speed=5, frames=14, first_inside=7)


def disk_clip() -> list[np.ndarray]:
    """The issue's clip: a dark disk slides in from the right edge over a still carphone frame."""
    first = next(iter(VideoFileSource(str(VIDEO / "carphone_176x144.mp4"))))
    back = cv2.resize(first, (DISK["w"], DISK["h"]), interpolation=cv2.INTER_AREA)
    frames = []
    for t in range(DISK["frames"]):
        f = back.copy()
        cv2.circle(f, (disk_x(t), DISK["h"] // 2), DISK["r"], (25, 25, 25), -1, lineType=cv2.LINE_AA)
        frames.append(f)
    return frames


def disk_x(t: int) -> int:
    return DISK["w"] + DISK["r"] - DISK["speed"] * t


def disk_contrast(frames: list[np.ndarray]) -> float:
    h, w, r = DISK["h"], DISK["w"], DISK["r"]
    yy, xx = np.mgrid[:h, :w]
    out = []
    for t in range(DISK["first_inside"], len(frames)):
        dist = np.hypot(xx - disk_x(t), yy - h // 2)
        lum = frames[t].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32) / 255
        out.append(lum[(dist >= r + 2) & (dist <= r + 6)].mean() - lum[dist <= r - 2].mean())
    return float(np.mean(out))


@contextmanager
def before_issue_14():
    """Today's masks as they were: trust = the flow check alone, nothing fresh."""
    real = warm.frame_pair

    def old(estimator, previous, current):
        pair = real(estimator, previous, current)
        pair.trust, pair.fresh = pair.mask, np.zeros_like(pair.mask)
        return pair

    warm.frame_pair = old
    try:
        yield
    finally:
        warm.frame_pair = real


def fresh_content_distance(method, originals, outputs) -> float:
    """Relative squared content-feature error of the output against its input, on fresh pixels."""
    backbone, est = method.job.backbone, FlowEstimator()
    layers = list(backbone.default_content_layers)
    out = []
    for t in range(1, len(outputs)):
        fresh = frame_pair(est, originals[t - 1], originals[t]).fresh
        if fresh.sum() == 0:
            continue
        with torch.no_grad():
            fx = backbone(_tensor(outputs[t]), layers)
            fc = backbone(_tensor(originals[t]), layers)
        for layer in layers:
            m = torch.from_numpy(cv2.resize(fresh, fx[layer].shape[-1:-3:-1], interpolation=cv2.INTER_AREA))
            out.append(float((m * (fx[layer] - fc[layer]).pow(2)).sum() / ((m * fc[layer].pow(2)).sum() + 1e-8)))
    return float(np.mean(out)) if out else float("nan")


def _tensor(frame: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(frame).permute(2, 0, 1)[None].float().div(255).contiguous()


def run_variant(key: str, frames, args) -> tuple[list[np.ndarray], dict]:
    per_frame = key == "a"
    config = make_config(styles=(STYLE,), size=max(frames[0].shape[:2]), seed=0, device="cpu", levels=args.levels,
                         temporal_weight=0.0 if per_frame else None)
    clip = make_clip(first_steps=args.first_steps, steps=args.steps,
                     warm_start="content" if per_frame else "prev-warped")
    method = build_method(config, get_registry(), video=True)
    outputs, cpu, steps, firsts = [], [], [], 0
    clock = time.process_time()
    with before_issue_14() if key == "o" else _nothing():
        for result, report in stylize_frames(method, frames, clip):
            now = time.process_time()
            if report.index > 0:
                cpu.append(now - clock)
                steps.append(report.steps)
                firsts += report.first
            clock = now
            outputs.append(result)
    row = {"variant": key, "cpu_sec_per_later_frame": float(np.mean(cpu)), "steps_per_later_frame": float(np.mean(steps)),
           "cuts_found": firsts, "warping_error": warping_error(frames, outputs).mean,
           "fresh_content_distance": fresh_content_distance(method, frames, outputs)}
    if args.clip == "disk":
        row["disk_contrast"] = disk_contrast(outputs)
    return outputs, row


@contextmanager
def _nothing():
    yield


def save_strip(path: Path, frames, results: dict[str, list[np.ndarray]], picks=(3, 7, 10, 13)) -> None:
    """Original | each variant, one row per picked frame, 2x nearest: to look at."""
    picks = [t for t in picks if t < len(frames)] or [len(frames) - 1]
    rows = [np.hstack([frames[t]] + [results[k][t] for k in results]) for t in picks]
    strip = cv2.resize(np.vstack(rows), None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)
    cv2.imwrite(str(path), cv2.cvtColor(strip, cv2.COLOR_RGB2BGR))


def ratio(row: dict, base: dict, key: str) -> str:
    return f"{row[key] / base[key]:.2f}x" if base[key] else "-"


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--clip", choices=("disk", "carphone", "bigbuckbunny"), default="disk")
    p.add_argument("--frames", type=int, default=14)
    p.add_argument("--size", type=int, default=None, help="long side for the real clips (default: native, max 256)")
    p.add_argument("--first-steps", type=int, default=40)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--levels", type=int, default=1)
    p.add_argument("--variants", default="aoc", help="which of a, o, c to run (ratios are against a)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (1: CPU seconds comparable on a shared box)")
    p.add_argument("--json", type=Path)
    p.add_argument("--strip", type=Path, help="write a side-by-side PNG strip here")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    if args.clip == "disk":
        frames = disk_clip()
    else:
        name = {"carphone": "carphone_176x144.mp4", "bigbuckbunny": "bigbuckbunny_1280x720.mp4"}[args.clip]
        frames = [f for f, _ in zip(VideoFileSource(str(VIDEO / name)), range(args.frames))]
        long_side = args.size or min(256, max(frames[0].shape[:2]))
        scale = long_side / max(frames[0].shape[:2])
        size = (round(frames[0].shape[1] * scale), round(frames[0].shape[0] * scale))
        frames = [cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in frames]
    results, rows = {}, []
    for key in args.variants:
        results[key], row = run_variant(key, frames, args)
        rows.append(row)
        print(json.dumps(row), flush=True)
    a = rows[0]
    print(f"\n{args.clip}: {len(frames)} frames at {frames[0].shape[1]}x{frames[0].shape[0]}, "
          f"--first-steps {args.first_steps} --steps {args.steps} --levels {args.levels}; "
          f"original clip's warping error {warping_error(frames, frames).mean:.5f}")
    print("| variant | CPU s / later frame | steps / later frame | warping error | vs (a) | content distance on fresh px "
          "| vs (a) |" + (" disk contrast | vs (a) |" if args.clip == "disk" else ""))
    print("|---|---|---|---|---|---|---|" + ("---|---|" if args.clip == "disk" else ""))
    for r in rows:
        line = (f"| ({r['variant']}) | {r['cpu_sec_per_later_frame']:.2f} | {r['steps_per_later_frame']:.1f} "
                f"| {r['warping_error']:.5f} | {ratio(r, a, 'warping_error')} "
                f"| {r['fresh_content_distance']:.4f} | {ratio(r, a, 'fresh_content_distance')} |")
        if args.clip == "disk":
            line += f" {r['disk_contrast']:.3f} | {ratio(r, a, 'disk_contrast')} |"
        print(line)
    if args.strip:
        save_strip(args.strip, frames, results)
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "args": {k: str(v) for k, v in vars(args).items()}}, indent=1))


if __name__ == "__main__":
    main()
