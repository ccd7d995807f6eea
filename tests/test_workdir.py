"""The work folder after a kill at any point of a frame's save: the manifest and the frames agree."""

from __future__ import annotations

import os

import numpy as np
import pytest

from nst_pipeline import images
from nst_pipeline.video.workdir import WorkDir

SETTINGS = {"job": "kill-test"}
#: the file-system steps of one save_frame: temp PNG made, PNG renamed in, temp manifest made, manifest renamed in
STEPS_PER_SAVE = 4


def frame(value: int) -> np.ndarray:
    return np.full((4, 6, 3), value, np.uint8)


def save_killed_after(work: WorkDir, index: int, steps: int) -> None:
    """``work.save_frame(index)`` in a forked child that dies like kill -9 (no cleanup, no
    ``finally``) after ``steps`` of its file-system steps."""
    pid = os.fork()
    if pid == 0:  # the child: count the steps of atomic_write, die at the chosen one
        done = [0]
        temp_beside, replace = images.temp_beside, os.replace

        def step():
            done[0] += 1
            if done[0] == steps:
                os._exit(9)

        def counted_temp(*a, **k):
            path = temp_beside(*a, **k)
            step()
            return path

        def counted_replace(*a, **k):
            replace(*a, **k)
            step()

        images.temp_beside, os.replace = counted_temp, counted_replace
        try:
            work.save_frame(index, frame(index), {"frame": index})
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) in (0, 9)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the kill is simulated with fork")
@pytest.mark.parametrize("steps", range(1, STEPS_PER_SAVE + 1))
def test_a_kill_anywhere_in_a_save_leaves_manifest_and_frames_in_line(tmp_path, steps):
    work = WorkDir.open(tmp_path / "w", SETTINGS, resume=False)
    for i in range(2):
        work.save_frame(i, frame(i), {"frame": i})
    save_killed_after(work, 2, steps)

    again = WorkDir.open(tmp_path / "w", SETTINGS, resume=True)
    done = again.done()
    finished = 3 if steps == STEPS_PER_SAVE else 2  # the frame counts once its record is in
    assert done == finished
    assert [r["frame"] for r in again.records] == list(range(done))
    assert sorted(p.name for p in again.frames_dir.iterdir()) == [f"{i:06d}.png" for i in range(done)]
    assert sorted(p.name for p in again.path.iterdir()) == ["frames", "manifest.json"]  # no temp file left
    # the next frames line up with their records
    for i in range(done, 4):
        again.save_frame(i, frame(i), {"frame": i})
    last = WorkDir.open(tmp_path / "w", SETTINGS, resume=True)
    assert last.done() == 4 and [r["frame"] for r in last.records] == [0, 1, 2, 3]
    assert [int(last.load_frame(i)[0, 0, 0]) for i in range(4)] == [0, 1, 2, 3]


def test_a_frame_file_without_its_record_is_not_a_finished_frame(tmp_path):
    work = WorkDir.open(tmp_path / "w", SETTINGS, resume=False)
    work.save_frame(0, frame(0), {"frame": 0})
    from PIL import Image

    Image.fromarray(frame(1)).save(work.frame_path(1))
    assert work.done() == 1
    again = WorkDir.open(tmp_path / "w", SETTINGS, resume=True)
    assert again.done() == 1 and not again.frame_path(1).exists()
