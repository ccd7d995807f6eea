"""`nst eval sheet CONTENT STYLE OUT... -o sheet.png`: one picture with the photo, the painting
and the outputs side by side at one height, the measures under each; bad inputs refused with
one line, nothing written."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from conftest import TinyPlugin, write_image
from nst_pipeline import registry as registry_module
from nst_pipeline.cli.app import main
from nst_pipeline.measures import sheet
from nst_pipeline.registry import Registry


@pytest.fixture
def tiny_cli(monkeypatch):
    monkeypatch.setattr(registry_module, "_default", Registry(autoload=False, extra_plugins=[TinyPlugin()]))


@pytest.fixture
def pictures(tmp_path):
    return {"content": write_image(tmp_path / "photo.png", (64, 48), seed=1),
            "style": write_image(tmp_path / "painting.jpg", (48, 64), seed=2),
            "out1": write_image(tmp_path / "out1.png", (64, 48), seed=3),
            "out2": write_image(tmp_path / "out2.png", (32, 24), seed=4)}


def run(p, *extra, out=None) -> list[str]:
    return ["eval", "sheet", str(p["content"]), str(p["style"]), str(p["out1"]), str(p["out2"]),
            "--backbone", "tiny", "-q", "-o", str(out), *extra]


def test_writes_the_sheet_of_the_expected_layout(tiny_cli, pictures, tmp_path):
    out = tmp_path / "sheet.png"
    assert main(run(pictures, "--height", "300", out=out)) == 0
    # columns: 4:3 -> 400 px, 3:4 -> 225 px, then two 4:3 outputs; 8 px margins; 4 text lines of 18 px
    m = sheet.MARGIN
    width = m + (400 + m) + (225 + m) + 2 * (400 + m)
    height = m + 300 + sheet.TEXT_PAD + sheet.LINES * sheet.LINE_HEIGHT + m
    with Image.open(out) as img:
        assert img.format == "PNG" and img.mode == "RGB" and img.size == (width, height)
        arr = np.asarray(img)
    assert (arr[:m] == 255).all() and (arr[:, :m] == 255).all()  # the margins are paper
    assert (arr[m:m + 300, m:m + 400] != 255).any(axis=-1).mean() > 0.9  # the photo fills its tile
    text = arr[m + 300 + sheet.TEXT_PAD:height - m]
    assert (text < 128).any()  # ink under the pictures
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file left


def test_layout_keeps_narrow_pictures_a_readable_column():
    (w, h), xs = sheet.layout([(100, 400), (400, 100)], 200)
    assert xs == [sheet.MARGIN, sheet.MARGIN + sheet.MIN_COLUMN + sheet.MARGIN]
    assert w == xs[1] + 800 + sheet.MARGIN and h == sheet.MARGIN * 2 + 200 + sheet.TEXT_PAD + 4 * sheet.LINE_HEIGHT


def test_a_copy_is_outlined_and_said_in_red():
    picture = np.full((50, 100, 3), 200, np.uint8)
    tile = sheet.Tile(picture, ["out.png", "content 1  style 1", "palette 3", "copy 9.0%: COPY"],
                      alert=frozenset({3}), box=(10, 10, 40, 30))
    arr = np.asarray(sheet.compose([tile], height=100))
    red = (arr[..., 0] > 150) & (arr[..., 1] < 80) & (arr[..., 2] < 80)
    top = sheet.MARGIN + 100 + sheet.TEXT_PAD
    assert red[:top].any() and red[top + 3 * sheet.LINE_HEIGHT:].any() and not red[top:top + 3 * sheet.LINE_HEIGHT].any()


@pytest.mark.parametrize("case, message", [
    ("missing", r"output image not found: .*nothere\.png"),
    ("not-an-image", r"notes\.png is not an image file"),
    ("output-is-input", r"is the same file as input"),
    ("output-folder-missing", r"folder .*nodir does not exist"),
    ("output-is-a-folder", r"it is a folder"),
    ("output-unknown-type", r"unknown image type '\.txt'"),
    pytest.param("output-folder-read-only", r"folder .*locked is not writable",
                 marks=pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")),
])
def test_refuses_bad_inputs_with_one_line(tiny_cli, pictures, tmp_path, capsys, case, message):
    import re

    out = tmp_path / "sheet.png"
    p = dict(pictures)
    if case == "missing":
        p["out2"] = tmp_path / "nothere.png"
    elif case == "not-an-image":
        p["out2"] = tmp_path / "notes.png"
        p["out2"].write_text("not a picture")
    elif case == "output-is-input":
        out = p["out1"]
    elif case == "output-folder-missing":
        out = tmp_path / "nodir" / "sheet.png"
    elif case == "output-is-a-folder":
        out = tmp_path / "folder.png"
        out.mkdir()
    elif case == "output-unknown-type":
        out = tmp_path / "sheet.txt"
    elif case == "output-folder-read-only":
        (tmp_path / "locked").mkdir(mode=0o500)
        out = tmp_path / "locked" / "sheet.png"
    before = {q.name: q.read_bytes() for q in tmp_path.iterdir() if q.is_file()}
    assert main(run(p, out=out)) == 2
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and re.search(message, errors[0]), captured.err
    assert "Traceback" not in captured.out + captured.err
    assert {q.name: q.read_bytes() for q in tmp_path.iterdir() if q.is_file()} == before  # nothing written


def test_needs_at_least_one_output(tiny_cli, pictures, tmp_path, capsys):
    rc = main(["eval", "sheet", str(pictures["content"]), str(pictures["style"]), "-o", str(tmp_path / "s.png")])
    assert rc == 2 and "Traceback" not in capsys.readouterr().err
