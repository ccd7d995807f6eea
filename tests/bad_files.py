"""The files of the bad-input suite: broken pictures, clips, folders and weights, made small."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from test_video_helpers import moving_frames, write_clip

from conftest import write_image


def png_header_only(path: Path, width: int, height: int) -> Path:
    """A 57-byte PNG that declares width x height px and holds no pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"") + chunk(b"IEND", b""))
    return path


class _RunsCode:
    def __reduce__(self):
        return (print, ("a pickled call ran",))


def make_files(root: Path) -> dict[str, str]:
    p = {"content": write_image(root / "content.png", (40, 32), seed=1), "style": write_image(root / "style.png", (40, 32), seed=2)}
    p["bomb_png"] = png_header_only(root / "bomb.png", 50000, 50000)
    good = (root / "content.png").read_bytes()
    (root / "trunc.png").write_bytes(good[: len(good) // 2])
    (root / "random.png").write_bytes(np.random.default_rng(0).bytes(600))
    (root / "empty.png").write_bytes(b"")
    (root / "notes.jpg").write_text("not a picture\n")
    frames = [Image.fromarray(f) for f in moving_frames(3, size=(24, 16))]
    frames[0].save(root / "bomb.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)
    gif = bytearray((root / "bomb.gif").read_bytes())
    gif[6:10] = struct.pack("<HH", 50000, 50000)
    (root / "bomb.gif").write_bytes(bytes(gif))
    frames[0].save(root / "anim.webp", save_all=True, append_images=frames[1:], duration=100, loop=0, lossless=True)
    write_clip(root / "clip.mp4", moving_frames(6, size=(32, 24)))
    (root / "random.mp4").write_bytes(np.random.default_rng(1).bytes(4096))
    (root / "empty.mp4").write_bytes(b"")
    (root / "bomb.y4m").write_bytes(b"YUV4MPEG2 W50000 H50000 F25:1 Ip A1:1 C420jpeg\nFRAME\n" + b"\x10" * 64)
    for folder, sizes in {"mixed": [(32, 24), (24, 32)], "frames": [(32, 24)] * 2}.items():
        (root / folder).mkdir()
        for i, size in enumerate(sizes):
            write_image(root / folder / f"f{i + 1}.png", size, seed=i)
    (root / "bombs").mkdir()
    write_image(root / "bombs" / "a1.png", (32, 24))
    png_header_only(root / "bombs" / "a2-bomb.png", 50000, 50000)
    (root / "stale").mkdir()
    for n in (3, 4):
        write_image(root / "stale" / f"frame_{n:06d}.png", (32, 24), seed=n)
    (root / "precious").mkdir()
    (root / "precious" / "thesis.txt").write_text("years of work\n")
    (root / "random.pth").write_bytes(np.random.default_rng(2).bytes(2048))
    torch.save({"conv1_1.weight": _RunsCode()}, root / "evil.pth")
    torch.save({"conv1_1.weight": torch.zeros(64, 3, 3, 3)}, root / "vgg19-dcbb9e9d.pth")  # not torchvision's file
    (root / "random.onnx").write_bytes(np.random.default_rng(3).bytes(512))
    _snapshot_clashes(root)
    _max_pooled_onnx(root / "maxpool.onnx")
    names = {
        "bomb_gif": "bomb.gif", "anim_webp": "anim.webp", "trunc_png": "trunc.png", "random_png": "random.png", "empty_png": "empty.png",
        "text_jpg": "notes.jpg", "clip": "clip.mp4", "random_mp4": "random.mp4", "empty_mp4": "empty.mp4",
        "bomb_y4m": "bomb.y4m", "mixed": "mixed", "folder": "frames", "bombs": "bombs", "stale": "stale",
        "precious": "precious", "random_pth": "random.pth", "evil_pth": "evil.pth", "fake_known_pth": "vgg19-dcbb9e9d.pth",
        "random_onnx": "random.onnx", "maxpool_onnx": "maxpool.onnx",
        "taken_mp4": "taken.mp4", "used_mp4": "used.mp4",  # never created; their -snapshots are
        # never created: the outputs, and names that must stay missing
        "missing_png": "missing.png", "missing_mp4": "missing.mp4", "missing_pth": "missing.pth", "nodir": "nodir",
        "out_png": "out.png", "out_mp4": "out.mp4", "out_xyz": "out.xyz", "out_txt": "out.txt", "out_onnx": "out.onnx",
    }
    p.update({k: root / v for k, v in names.items()})
    return {k: str(v) for k, v in p.items()}


def _snapshot_clashes(root: Path) -> None:
    """``taken.mp4-snapshots`` is a file; ``used.mp4-snapshots/`` holds an earlier job's snapshot."""
    (root / "taken.mp4-snapshots").write_text("a file, not a folder\n")
    (root / "used.mp4-snapshots").mkdir()
    write_image(root / "used.mp4-snapshots" / "frame000000-L1-step0001.png", (32, 24))


def _max_pooled_onnx(path: Path) -> None:
    """The tiny test backbone exported with max pooling (the registered one pools by average)."""
    from conftest import TinyBackbone
    from nst_pipeline.onnxrt.export import export_backbone

    net = TinyBackbone()
    for name in ("pool1", "pool2", "pool3"):
        net.body[name] = torch.nn.MaxPool2d(2)
    export_backbone(net, ["relu1_1", "relu2_1", "relu3_1"], path, backbone_name="tiny", check=False)
