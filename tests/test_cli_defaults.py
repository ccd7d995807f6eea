"""What `nst image`/`nst video` do when -s or -o is left out: the bundled painting, said on
stderr, and an output named after the input in the current folder (never the input itself)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst_pipeline import registry as registry_module
from nst_pipeline.cli.app import main
from nst_pipeline.cli.common import DEFAULT_STYLE, default_output

TINY = ["--backbone", "tiny", "--device", "cpu", "--size", "32", "--levels", "1", "--progress", "none"]


@pytest.fixture
def with_tiny(registry, monkeypatch):
    monkeypatch.setattr(registry_module, "_default", registry)


def _picture(path: Path) -> Path:
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (40, 48, 3), dtype=np.uint8)).save(path)
    return path


def test_default_output_names():
    assert default_output("photos/cat.JPG", video=False) == Path("cat-stylized.jpg")
    assert default_output("scan.gif", video=False) == Path("scan-stylized.png")  # not a still format we keep
    assert default_output("clips/walk.mov", video=True) == Path("walk-stylized.mp4")
    assert default_output("shots/*.png", video=True) == Path("shots-stylized")    # a glob: a folder of PNGs


def test_image_without_style_or_output(with_tiny, tmp_path, monkeypatch, capfd):
    (tmp_path / "in").mkdir()
    content = _picture(tmp_path / "in" / "cat.png")
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    assert main(["image", str(content), "--steps", "1", *TINY]) == 0
    err = capfd.readouterr().err
    assert f"no --style given, using the bundled {DEFAULT_STYLE.name}" in err
    assert "wrote cat-stylized.png (32x27)" in err
    assert Image.open(work / "cat-stylized.png").size == (32, 27)
    assert DEFAULT_STYLE.is_file()


def test_quiet_run_says_nothing_about_the_default_style(with_tiny, tmp_path, monkeypatch, capfd):
    content = _picture(tmp_path / "cat.png")
    monkeypatch.chdir(tmp_path)
    assert main(["image", str(content), "-o", "out.png", "--steps", "1", "-q", *TINY]) == 0
    assert capfd.readouterr().err == ""
    assert (tmp_path / "out.png").is_file()


def test_video_from_stdin_needs_an_output(capfd):
    assert main(["video", "-", "-s", str(DEFAULT_STYLE)]) == 2
    assert "frames from stdin need -o" in capfd.readouterr().err
