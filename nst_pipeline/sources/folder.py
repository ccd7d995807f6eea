"""A folder (or glob pattern) of images, in natural order: frame2.png before frame10.png."""

from __future__ import annotations

import glob
import re
from pathlib import Path

from .. import images
from ..decoding import header_size
from ..errors import InputError
from .base import FrameSource
from .still import STILL_SUFFIXES

GLOB_CHARS = set("*?[")


def natural_key(path: Path) -> list:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


def list_images(location: str) -> list[Path]:
    if any(ch in GLOB_CHARS for ch in location):
        found = [Path(p) for p in glob.glob(location)]
        where = f"pattern {location!r}"
    else:
        folder = Path(location)
        found = list(folder.iterdir())
        where = f"folder {folder}"
    files = sorted((p for p in found if p.is_file() and p.suffix.lower() in STILL_SUFFIXES), key=natural_key)
    if not files:
        raise InputError(f"no images in {where} (looked for {', '.join(sorted(STILL_SUFFIXES))})")
    return files


class ImageFolderSource(FrameSource):
    name = "folder"

    def __init__(self, location: str) -> None:
        self.files = list_images(location)
        self.frame_count = len(self.files)
        self.frame_size = header_size(self.files[0])
        # check every size now: a clip must not fail on frame 900 of 1000
        for path in self.files[1:]:
            size = header_size(path)
            if size != self.frame_size:
                raise InputError(
                    f"frames change size: {path} is {size[0]}x{size[1]} but {self.files[0]} is "
                    f"{self.frame_size[0]}x{self.frame_size[1]}; every frame of a clip must have one size")

    def __iter__(self):
        for path in self.files:
            frame = images.load_array(path)
            if (frame.shape[1], frame.shape[0]) != self.frame_size:
                raise InputError(f"frames change size: {path} is {frame.shape[1]}x{frame.shape[0]}, "
                                 f"expected {self.frame_size[0]}x{self.frame_size[1]}")
            yield frame


def probe_folder(location: str) -> bool:
    if any(ch in GLOB_CHARS for ch in location):
        return bool(glob.glob(location))
    return Path(location).is_dir()
