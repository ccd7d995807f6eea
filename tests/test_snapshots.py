"""``nst video --save-every``: snapshots beside the output, never in the output folder nor in
the work folder, kept after the job, named in a closing line; --resume still works with them."""

from __future__ import annotations

import io
import sys

import pytest
from test_video_helpers import single_thread  # noqa: F401  (fixture)
from test_video_helpers import moving_frames, write_clip

from nst_pipeline.cli.app import main
from nst_pipeline.outputs import FRAME_FILE

pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.fixture
def style(make_image):
    return str(make_image("style.png", size=(32, 32), seed=3))


def args(inp, out, style, *extra):
    return ["video", str(inp), "-o", str(out), "-s", style, "--backbone", "tiny", "--device", "cpu", "--size", "24",
            "--first-steps", "2", "--steps", "2", "--levels", "1", "--seed", "0", "-q", "--save-every", "2", *extra]


def snapshots(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_frame_folder_stays_resumable_and_the_snapshots_sit_beside_it(tiny, style, tmp_path, ctrl_c, monkeypatch, capsys):
    clip = write_clip(tmp_path / "in.mp4", moving_frames(4, size=(24, 16)))
    out = tmp_path / "frames"
    ctrl_c.at_frame(2)
    assert main(args(clip, f"{out}/", style)) == 130
    err = capsys.readouterr().err
    beside = tmp_path / "frames-snapshots"
    assert f"snapshots in {beside} (2 images)" in err
    assert snapshots(beside) == ["frame000000-L1-step0002.png", "frame000001-L1-step0002.png"]
    assert all(FRAME_FILE.fullmatch(n) for n in snapshots(out))   # only frames: --resume accepts the folder

    ctrl_c.off()
    assert main(args(clip, f"{out}/", style, "--resume")) == 0
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1] == f"snapshots in {beside} (2 images)"   # the two new frames
    assert len(snapshots(out)) == 4 and len(snapshots(beside)) == 4


def test_a_video_output_keeps_its_snapshots_after_success(tiny, style, tmp_path, capsys):
    clip = write_clip(tmp_path / "in.mp4", moving_frames(2, size=(24, 16)))
    assert main(args(clip, tmp_path / "out.mp4", style)) == 0
    assert not (tmp_path / "out.mp4.nst-work").exists()       # the work folder goes, the snapshots stay
    assert snapshots(tmp_path / "out.mp4-snapshots") == ["frame000000-L1-step0002.png", "frame000001-L1-step0002.png"]
    assert capsys.readouterr().err.strip() == f"snapshots in {tmp_path / 'out.mp4-snapshots'} (2 images)"


@pytest.mark.parametrize("work_dir", [None, "job"])
def test_stdout_snapshots_have_a_clear_name_and_no_stray_folder(tiny, style, tmp_path, monkeypatch, work_dir):
    monkeypatch.chdir(tmp_path)
    frames = moving_frames(2, size=(16, 16))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"".join(f.tobytes() for f in frames))))
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BytesIO()))
    extra = ["--frame-size", "16x16"] + (["--work-dir", work_dir] if work_dir else [])
    assert main(args("-", "-", style, *extra)) == 0
    expected = f"{work_dir}-snapshots" if work_dir else "stdout-snapshots"
    made = sorted(set(snapshots(tmp_path)) - {"style.png"})   # no "-.nst-work", no temp folder left here
    assert made == [expected] and len(snapshots(tmp_path / expected)) == 2


def test_a_new_job_refuses_the_snapshots_of_an_earlier_one(tiny, style, tmp_path, capsys):
    clip = write_clip(tmp_path / "in.mp4", moving_frames(2, size=(24, 16)))
    (tmp_path / "out.mp4-snapshots").mkdir()
    (tmp_path / "out.mp4-snapshots" / "frame000000-L1-step0002.png").write_bytes(b"old")
    assert main(args(clip, tmp_path / "out.mp4", style)) == 2
    assert "already holds files of an earlier job" in capsys.readouterr().err
    assert not (tmp_path / "out.mp4").exists() and not (tmp_path / "out.mp4.nst-work").exists()
