"""What ``-o`` names for ``nst video``: a trailing slash is a folder, dots in its name or not."""

from __future__ import annotations

import pytest
from test_video_helpers import single_thread  # noqa: F401  (fixture)
from test_video_helpers import moving_frames, write_clip

from nst_pipeline import registry as registry_module
from nst_pipeline.cli.app import main
from nst_pipeline.errors import OutputError
from nst_pipeline.sinks import sink_kind


@pytest.mark.parametrize("output, kind", [
    ("out.v1/", "folder"), ("runs/2024.05.01/", "folder"), ("out.mp4/", "folder"), ("frames", "folder"),
    ("out.mp4", "video"), ("-", "stdout"),
])
def test_a_trailing_slash_makes_a_folder(output, kind):
    assert sink_kind(output) == kind


def test_a_dotted_name_without_the_slash_says_how_to_mean_a_folder():
    with pytest.raises(OutputError, match=r"end it with '/': out\.v1/"):
        sink_kind("out.v1")


@pytest.mark.usefixtures("single_thread")
def test_video_into_a_dotted_folder(monkeypatch, registry, make_image, tmp_path):
    monkeypatch.setattr(registry_module, "_default", registry)
    clip = write_clip(tmp_path / "in.mp4", moving_frames(2, size=(24, 16)))
    style = make_image("style.png", size=(24, 24))
    argv = ["video", str(clip), "-o", f"{tmp_path / 'out.v1'}/", "-s", str(style), "--backbone", "tiny",
            "--device", "cpu", "--first-steps", "1", "--steps", "1", "--levels", "1", "-q"]
    assert main(argv) == 0
    assert sorted(p.name for p in (tmp_path / "out.v1").iterdir()) == ["frame_000001.png", "frame_000002.png"]
    assert not (tmp_path / "out.v1.nst-work").exists()
