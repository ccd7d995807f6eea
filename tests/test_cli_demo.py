"""``nst demo``: its options reach the run, and both runs go end to end (tiny backbone, tiny budget)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from nst_pipeline.cli import demo
from nst_pipeline.cli.app import main


@pytest.fixture
def calls(monkeypatch):
    seen = []
    monkeypatch.setattr(demo, "run_demo", lambda out_dir, **kw: seen.append((out_dir, kw)))
    return seen


def test_options_reach_the_run(calls, tmp_path):
    assert main(["demo", "-o", str(tmp_path / "d"), "--size", "64", "--device", "cpu"]) == 0
    assert calls == [(tmp_path / "d", {"size": 64, "device": "cpu"})]
    assert main(["demo"]) == 0
    assert calls[-1] == (Path("demo-output"), {"size": 512, "device": "auto"})


def test_a_bad_option_is_a_usage_error(calls, capsys):
    assert main(["demo", "--size", "big"]) == 2
    assert "--size" in capsys.readouterr().err and calls == []


def test_the_bundled_inputs_exist():
    for path in (demo.PHOTO, demo.CLIP, demo.DEFAULT_STYLE):
        assert path.is_file(), path


def test_both_runs_end_to_end(tmp_path, registry):
    tiny = {"backbone": "tiny"}
    picture, clip, frames = demo.run_demo(
        tmp_path / "out", size=32, device="cpu", registry=registry,
        picture={**tiny, "steps": 2, "levels": 1}, clip={**tiny, "size": 32, "first_steps": 2, "steps": 1, "max_frames": 3})
    assert picture.parent == clip.parent == tmp_path / "out"
    assert max(Image.open(picture).size) == 32
    assert frames == 3
    with registry.open_source(str(clip), role="demo clip") as source:
        written = list(source)
    assert len(written) == 3 and max(written[0].shape[:2]) == 32
