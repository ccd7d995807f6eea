"""A work folder that makes long video jobs resumable.

Layout: ``manifest.json`` (the job's settings and one record per finished frame)
and ``frames/000000.png ...`` (each stylized frame, written atomically). A frame's PNG
is written first and its record second: the manifest is the commit, so a frame counts
as finished once it has both. A kill between the two leaves a PNG without a record,
which the next open deletes (with any half-written temp file), so the manifest and the
frames agree again and a killed job loses at most the frame in flight. ``--resume``
refuses a folder made with other settings.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from .. import images
from ..errors import ConfigError, OutputError
from ..outputs import MANIFEST
FORMAT_VERSION = 1


def fingerprint(settings: dict) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:16]


def differences(old: dict, new: dict) -> list[str]:
    keys = sorted(set(old) | set(new))
    return [f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in keys if old.get(k) != new.get(k)]


class WorkDir:
    def __init__(self, path: Path, settings: dict, records: list[dict] | None = None) -> None:
        self.path = Path(path)
        #: False for a throw-away folder (frames already went to stdout: nothing to resume into)
        self.resumable = True
        #: made by this job (not reopened with --resume): removed when the job finished no frame
        self.created = False
        self.frames_dir = self.path / "frames"
        self.settings = json.loads(json.dumps(settings, default=str))  # as it reads back from disk
        self.records = records or []

    @classmethod
    def open(cls, path: Path, settings: dict, resume: bool) -> "WorkDir":
        """Start a work folder, or (``resume``) reopen one made with identical ``settings``."""
        path = Path(path)
        manifest = path / MANIFEST
        if manifest.exists():
            work = cls._load(path, manifest)
            work._recover()
            if work.done():
                return work._reopen(settings, resume)
            work.remove()  # an earlier job killed before its first frame finished blocks nothing
        from ..outputs import check_work_folder

        check_work_folder(path, "work folder")  # never a folder of the user's files: remove() deletes it
        work = cls(path, settings)
        try:
            work.frames_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create work folder {path}: {exc}") from None
        work._write_manifest()
        work.created = True
        return work

    def _reopen(self, settings: dict, resume: bool) -> "WorkDir":
        if not resume:
            raise ConfigError(
                f"work folder {self.path} holds {self.done()} finished frames of an earlier job; pass --resume "
                "to continue it, or delete the folder to start over")
        new = json.loads(json.dumps(settings, default=str))
        if self.settings != new:
            changed = "; ".join(differences(self.settings, new))
            raise ConfigError(f"cannot resume from {self.path}: it was made with other settings ({changed}). "
                              "Rerun with the original options, or delete the folder to start over")
        self.records = self.records[: self.done()]
        return self

    @classmethod
    def _load(cls, path: Path, manifest: Path) -> "WorkDir":
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
            if data.get("version") != FORMAT_VERSION:
                raise ValueError(f"unknown manifest version {data.get('version')!r}")
            return cls(path, data["settings"], list(data.get("frames", [])))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"work folder {path} has an unreadable manifest ({exc}); delete the folder") from None

    def frame_path(self, index: int) -> Path:
        return self.frames_dir / f"{index:06d}.png"

    def done(self) -> int:
        """Finished frames: the unbroken run from the first one of frames with both a PNG and a record."""
        n = 0
        while n < len(self.records) and self.frame_path(n).exists():
            n += 1
        return n

    def _recover(self) -> None:
        """After a kill: keep the finished frames, drop what a stopped save left (a PNG
        without its record, records past a missing PNG, temp files of either write)."""
        done = self.done()
        left = [p for p in self.frames_dir.glob("*.png")
                if p.name.startswith(".") or (p.stem.isdigit() and int(p.stem) >= done)]
        left += self.path.glob(f".{Path(MANIFEST).stem}.*{Path(MANIFEST).suffix}")  # temp files of atomic_write
        for p in left:
            p.unlink(missing_ok=True)
        if len(self.records) > done:
            self.records = self.records[:done]
            self._write_manifest()

    def load_frame(self, index: int) -> np.ndarray:
        with Image.open(self.frame_path(index)) as img:
            return np.asarray(img.convert("RGB"), dtype=np.uint8)

    def save_frame(self, index: int, frame: np.ndarray, record: dict) -> None:
        # the PNG before its record: the manifest never names a frame that is not there
        images.atomic_write(self.frame_path(index), lambda tmp: Image.fromarray(frame).save(tmp, format="PNG"))
        self.records = self.records[:index] + [record]
        self._write_manifest()

    def _write_manifest(self) -> None:
        data = {"version": FORMAT_VERSION, "fingerprint": fingerprint(self.settings),
                "settings": self.settings, "frames": self.records}
        text = json.dumps(data, indent=1)
        images.atomic_write(self.path / MANIFEST, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def describe_input(location: str) -> dict:
    """What identifies the input for --resume: its path and, for a file, size and mtime."""
    if location == "-":
        return {"input": "-"}
    path = Path(location)
    info = {"input": str(path.resolve()) if path.exists() else location}
    if path.is_file():
        st = os.stat(path)
        info.update(input_bytes=st.st_size, input_mtime_ns=st.st_mtime_ns)
    return info
