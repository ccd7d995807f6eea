"""Segments a worker finished before the frames ahead of them were written.

The driver writes the work folder's ``frames/`` strictly in order, so a segment that
comes back early (or whose tail waits for the next chunk to cross-fade) would be
lost on Ctrl-C. Each returned segment is therefore kept under ``WORK/segments/``
(one ``.npz`` per segment, written atomically) until all its frames are written,
and ``plan.json`` lists the segments cut so far and which are done. ``--resume``
loads the kept ones and reruns only the rest.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

from .. import images
from .segments import Segment


class SegmentStore:
    def __init__(self, work_path: Path) -> None:
        self.folder = Path(work_path) / "segments"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.plan: dict[int, dict] = {}

    def _path(self, index: int) -> Path:
        return self.folder / f"{index:05d}.npz"

    def planned(self, segment: Segment, done: bool = False) -> None:
        self.plan[segment.index] = {**segment.as_dict(), "done": done or self._path(segment.index).exists()}
        self._write_plan()

    def save(self, segment: Segment, frames: list[np.ndarray], records: list[dict]) -> None:
        buf = io.BytesIO()
        np.savez(buf, frames=np.stack(frames), segment=json.dumps(segment.as_dict()),
                 records=json.dumps(records, default=str))
        images.atomic_write(self._path(segment.index), lambda tmp: Path(tmp).write_bytes(buf.getvalue()))
        self.planned(segment, done=True)

    def load(self, segment: Segment) -> tuple[list[np.ndarray], list[dict]] | None:
        """The kept frames and records of ``segment``, if it was finished with the same bounds."""
        path = self._path(segment.index)
        if not path.exists():
            return None
        try:
            with np.load(path) as data:
                if json.loads(str(data["segment"])) != segment.as_dict():
                    return None
                return list(data["frames"]), json.loads(str(data["records"]))
        except (OSError, ValueError, KeyError):
            return None  # a damaged file: the segment simply runs again

    def written(self, segment: Segment) -> None:
        """All frames of ``segment`` are in the work folder: its copy here is no longer needed."""
        self._path(segment.index).unlink(missing_ok=True)
        if segment.index in self.plan:
            self.plan[segment.index]["done"] = True
            self.plan[segment.index]["written"] = True
            self._write_plan()

    def _write_plan(self) -> None:
        text = json.dumps({"segments": [self.plan[i] for i in sorted(self.plan)]}, indent=1)
        images.atomic_write(self.folder / "plan.json", lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
