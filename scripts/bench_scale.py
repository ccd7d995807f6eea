"""Scale-out benchmark: `nst video --workers 1` vs `--workers 2` on one machine, seams vs inside.

Builds a two-shot clip (carphone frames, then Big Buck Bunny frames resized to the same
176x144), runs the real command with one and two workers (threads split fairly: the
in-process run uses every core, each Ray worker cores/N), and reports frames/s, the
warping error of each output (``nst eval temporal``'s code), and, for a run cut into
short overlapping chunks, the warping error of the frame pairs at the seams vs inside
the chunks vs the same pairs of the sequential run. Ends with a projection for a
5-minute 720p clip on K workers from the measured per-frame step counts.

    .venv/bin/python scripts/bench_scale.py [--shot 12] [--size 64] [--out /tmp/bench_scale]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
NST = str(Path(sys.executable).with_name("nst"))


def make_clip(folder: Path, shot: int) -> Path:
    """``shot`` carphone frames, then ``shot`` Big Buck Bunny frames (from frame 60) at 176x144."""
    import cv2
    from PIL import Image

    from nst_pipeline.registry import get_registry

    open_source = get_registry().open_source

    folder.mkdir(parents=True, exist_ok=True)
    frames = []
    for path, skip in (("carphone_176x144.mp4", 0), ("bigbuckbunny_1280x720.mp4", 60)):
        with open_source(str(DATA / "video" / path)) as src:
            for i, frame in enumerate(src):
                if i >= skip:
                    frames.append(cv2.resize(frame, (176, 144), interpolation=cv2.INTER_AREA))
                if i + 1 - skip == shot:
                    break
    for i, frame in enumerate(frames):
        Image.fromarray(frame).save(folder / f"{i:04d}.png")
    return folder


def nst_video(clip: Path, out: Path, args, *extra: str) -> dict:
    log = out.with_suffix(".jsonl")
    log.unlink(missing_ok=True)
    cmd = [NST, "video", str(clip), "-s", str(args.style), "-o", str(out), "--size", str(args.size),
           "--first-steps", str(args.first_steps), "--steps", str(args.steps), "--levels", "1", "--fps", "12",
           "--seed", "0", "--log-json", str(log), "--quiet", *extra]
    began = time.perf_counter()
    subprocess.run(cmd, check=True)
    wall = time.perf_counter() - began
    frames = [json.loads(line) for line in log.read_text().splitlines() if '"frame"' in line]
    frames = [f for f in frames if f.get("event", "frame") == "frame" and "source_frame" in f]
    return {"wall": wall, "frames": frames, "out": out}


def pair_errors(clip: Path, out: Path) -> list[float]:
    from nst_pipeline.registry import get_registry

    open_source = get_registry().open_source
    from nst_pipeline.video.metric import warping_error

    with open_source(str(clip)) as orig, open_source(str(out)) as styl:
        return warping_error(orig, styl).per_pair


def report_run(name: str, run: dict, clip: Path) -> dict:
    errors = pair_errors(clip, run["out"])
    n = len(run["frames"])
    segments = sorted({f.get("segment") for f in run["frames"]} - {None})
    workers = sorted({f.get("worker") for f in run["frames"]} - {None})
    starts = sorted({f["frame"] for f in run["frames"] if f.get("first")})
    row = {"name": name, "frames": n, "wall_s": round(run["wall"], 1), "fps": round(n / run["wall"], 4),
           "warping_error": float(np.mean(errors)), "segments": len(segments), "workers": len(workers),
           "first_frames": starts, "errors": errors}
    print(f"{name:28s} {n} frames {row['wall_s']:7.1f} s  {row['fps']:.3f} frames/s  warping error "
          f"{row['warping_error']:.5f}  segments {len(segments)}  workers {len(workers)}  first frames {starts}")
    return row


def seams(row: dict, frames: list[dict], cut: int) -> dict:
    """Mean pair error at the seams (pairs touching a cross-faded or chunk-start frame) vs inside."""
    seam_frames = {f["frame"] for f in frames if f.get("seam") is not None or f.get("first")}
    pairs = range(1, len(row["errors"]) + 1)   # pair p = frames (p-1, p)
    at = [p for p in pairs if p != cut and (p in seam_frames or p - 1 in seam_frames)]
    inside = [p for p in pairs if p != cut and p not in at]
    return {"seam_pairs": at, "inside_pairs": inside}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shot", type=int, default=12)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--first-steps", type=int, default=4)
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--style", type=Path, default=DATA / "images" / "style" / "starry_night.jpg")
    ap.add_argument("--out", type=Path, default=Path("/tmp/bench_scale"))
    args = ap.parse_args()
    clip = make_clip(args.out / "clip", args.shot)
    cut = args.shot
    print(f"clip {clip}: 2 shots x {args.shot} frames; {os.cpu_count()} cores")
    seq = report_run("workers 1", nst_video(clip, args.out / "w1", args, "--workers", "1"), clip)
    two = report_run("workers 2", nst_video(clip, args.out / "w2", args, "--workers", "2"), clip)
    chunk_args = ("--workers", "2", "--segment-frames", "8", "--overlap", "3")
    chunked_run = nst_video(clip, args.out / "w2c", args, *chunk_args)
    chunked = report_run("workers 2, chunks 8 overlap 3", chunked_run, clip)
    split = seams(chunked, chunked_run["frames"], cut)
    mean = lambda row, ps: float(np.mean([row["errors"][p - 1] for p in ps]))  # noqa: E731
    print(f"cut pair ({cut - 1},{cut}) left out; seam pairs {split['seam_pairs']}")
    for label, row in (("chunked", chunked), ("sequential", seq)):
        print(f"  {label:10s} seams {mean(row, split['seam_pairs']):.5f}  inside {mean(row, split['inside_pairs']):.5f}")
    print(f"ratio workers 2 / workers 1: warping error {two['warping_error'] / seq['warping_error']:.3f}, "
          f"frames/s {two['fps'] / seq['fps']:.3f}")
    projection(seq, chunked_run["frames"])


def projection(seq: dict, frames: list[dict]) -> None:
    """Wall time of a 5-minute 720p clip on K workers, in units of one optimizer step."""
    fps, minutes, shot_s = 24, 5, 4.0   # assumptions: 24 fps, a cut every 4 s on average
    n = fps * 60 * minutes
    first_steps, later_steps = 150, 40  # nst video's defaults; 720p first frames: 3 levels
    first = first_steps * (1 + 1 / 4 + 1 / 16)   # pyramid levels at 1/2 and 1/4 the pixels
    shots = int(n / (fps * shot_s))
    for seg_frames, overlap in ((100, 8),):
        chunks_per_shot = max(1, int(np.ceil((fps * shot_s - overlap) / (seg_frames - overlap))))
        extra = shots * (chunks_per_shot - 1) * overlap
        cold = shots * chunks_per_shot
        work = cold * first + (n + extra - cold) * later_steps
        print(f"projection: {n} frames, {shots} shots, {cold} segments, {extra} overlap frames: "
              f"{work:.0f} steps = {work / (n * later_steps):.3f}x the later-frame work")
        for k in (1, 2, 4, 8, 16):
            # whole segments per worker: the longest queue bounds the wall time
            print(f"  K={k:2d}: {work / k:9.0f} step-times (at 50 ms/step on one GPU: {work / k * 0.05 / 3600:.2f} h)")


if __name__ == "__main__":
    main()
