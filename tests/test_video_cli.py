"""``nst video`` and ``nst eval temporal`` as a user runs them: outputs, logs, bad input, Ctrl-C."""

from __future__ import annotations

import io
import json
import sys

import numpy as np
import pytest
from PIL import Image
from test_video_helpers import single_thread  # noqa: F401  (fixture)
from test_video_helpers import dominant_frequency, moving_frames, write_clip, write_clip_with_tone

from nst_pipeline.cli.app import main
from nst_pipeline.sources.folder import ImageFolderSource
from nst_pipeline.sources.video import VideoFileSource

pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.fixture
def style(make_image):
    return str(make_image("style.png", size=(40, 40), seed=3))


def args(inp, out, style, *extra):
    return ["video", str(inp), "-o", str(out), "-s", style, "--backbone", "tiny", "--device", "cpu",
            "--first-steps", "3", "--steps", "2", "--seed", "0", "-q", *extra]


def test_video_to_video_with_audio_and_log(tiny, style, tmp_path, capsys):
    clip = write_clip_with_tone(tmp_path / "in.mp4", moving_frames(8, size=(40, 24)), fps=10)
    out, log = tmp_path / "out.mp4", tmp_path / "log.jsonl"
    assert main(args(clip, out, style, "--start", "2", "--max-frames", "5", "--log-json", str(log))) == 0
    src = VideoFileSource(str(out))
    assert (src.frame_count, src.frame_size, src.fps) == (5, (40, 24), 10)
    hz, seconds = dominant_frequency(out)
    assert abs(hz - 440) < 10 and 0.4 < seconds < 0.6    # the 5 frames' half second of tone
    records = [json.loads(line) for line in log.read_text().splitlines()]
    frames = [r for r in records if r.get("event") == "frame"]
    assert [r["frame"] for r in frames] == [0, 1, 2, 3, 4] and [r["source_frame"] for r in frames] == [2, 3, 4, 5, 6]
    assert all({"content", "style", "temporal"} <= set(r["terms"]) for r in frames)
    assert sum(1 for r in records if "event" not in r) == 3 + 4 * 2   # per-step records
    assert not (tmp_path / "out.mp4.nst-work").exists()               # removed after success
    assert capsys.readouterr().out == ""


def test_folder_in_folder_out_every_other_frame(tiny, style, tmp_path):
    frames = moving_frames(6, size=(32, 24))
    (tmp_path / "in").mkdir()
    for i, f in enumerate(frames):
        Image.fromarray(f).save(tmp_path / "in" / f"f{i + 1}.png")
    assert main(args(tmp_path / "in", tmp_path / "out", style, "--every", "2", "--keep-work")) == 0
    got = ImageFolderSource(str(tmp_path / "out"))
    assert got.frame_count == 3 and got.frame_size == (32, 24)
    assert (tmp_path / "out.nst-work" / "manifest.json").exists()


def test_raw_frames_on_stdin_and_stdout(tiny, style, tmp_path, monkeypatch, capfdbinary):
    frames = moving_frames(3, size=(16, 16))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"".join(f.tobytes() for f in frames))))
    assert main(args("-", "-", style, "--frame-size", "16x16", "--fps", "5")) == 0
    out = capfdbinary.readouterr().out
    assert len(out) == 3 * 16 * 16 * 3  # frames and nothing else


@pytest.mark.parametrize("data, message", [
    (bytes(16 * 16 * 3 * 2 + 100), "stdin ended inside frame 3: got 100 of 768 bytes"),
    (b"", "no frames"),
])
def test_stdin_byte_count_that_does_not_match(tiny, style, tmp_path, monkeypatch, capsys, data, message):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    rc = main(args("-", tmp_path / "o.mp4", style, "--frame-size", "16x16"))
    err = capsys.readouterr().err
    assert rc == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "o.mp4").exists()


def bad_inputs(tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(np.random.default_rng(1).bytes(3000))
    odd = write_clip(tmp_path / "odd.avi", moving_frames(2))
    odd.write_bytes(odd.read_bytes().replace(b"MJPG", b"XQZW"))
    sizes = tmp_path / "sizes"
    sizes.mkdir()
    Image.fromarray(moving_frames(1, size=(16, 16))[0]).save(sizes / "1.png")
    Image.fromarray(moving_frames(1, size=(18, 16))[0]).save(sizes / "2.png")
    return [
        (tmp_path / "missing.mp4", "video input not found"),
        (empty, "the file is empty"),
        (corrupt, "not a readable video"),
        (odd, "unsupported codec"),
        (sizes, "frames change size"),
    ]


def test_bad_inputs_give_one_clear_line(tiny, style, tmp_path, capsys):
    for path, message in bad_inputs(tmp_path):
        rc = main(args(path, tmp_path / "out.mp4", style))
        err = capsys.readouterr().err
        assert rc == 2, path
        assert message in err and err.startswith("error: ") and "Traceback" not in err, err
        assert not (tmp_path / "out.mp4").exists()


def test_bad_outputs_are_refused_before_any_work(tiny, style, tmp_path, capsys):
    clip = write_clip(tmp_path / "in.mp4", moving_frames(3))
    before = clip.read_bytes()
    cases = [(clip, "same file as input"), (tmp_path / "nowhere" / "o.mp4", "does not exist"),
             (clip / "frames", "not a folder"), (tmp_path / "o.png", "use a video file")]
    for out, message in cases:
        assert main(args(clip, out, style)) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
    assert clip.read_bytes() == before


def test_ctrl_c_keeps_finished_frames_and_resume_finishes(tiny, style, tmp_path, ctrl_c, monkeypatch, capsys):
    clip = write_clip(tmp_path / "in.mp4", moving_frames(5))
    out = tmp_path / "out.mp4"
    ctrl_c.at_frame(2)
    assert main(args(clip, out, style)) == 130
    err = capsys.readouterr().err
    assert "interrupted after 2 finished frames" in err and "--resume" in err and "Traceback" not in err
    assert not out.exists() and len(list((tmp_path / "out.mp4.nst-work" / "frames").glob("*.png"))) == 2
    assert main(args(clip, out, style)) == 2                      # no silent restart over kept work
    assert "pass --resume" in capsys.readouterr().err
    assert main(args(clip, out, style, "--steps", "5", "--resume")) == 2
    assert "other settings" in capsys.readouterr().err

    ctrl_c.off()
    assert main(args(clip, out, style, "--resume")) == 0
    assert VideoFileSource(str(out)).frame_count == 5


def test_eval_temporal_prints_the_warping_error(tmp_path, capsys):
    frames = moving_frames(5, size=(48, 32), step=2)
    orig = write_clip(tmp_path / "orig.mp4", frames)
    (tmp_path / "flicker").mkdir()
    rng = np.random.default_rng(0)
    for i, f in enumerate(frames):  # the same clip with per-frame noise: it flickers
        noisy = np.clip(f.astype(np.int16) + rng.integers(-40, 40, f.shape), 0, 255).astype(np.uint8)
        Image.fromarray(noisy).save(tmp_path / "flicker" / f"{i}.png")
    assert main(["eval", "temporal", str(orig), str(orig), "--json"]) == 0
    steady = json.loads(capsys.readouterr().out)
    assert main(["eval", "temporal", str(orig), str(tmp_path / "flicker"), "--json"]) == 0
    flicker = json.loads(capsys.readouterr().out)
    assert steady["pairs"] == flicker["pairs"] == 4 and steady["size"] == [48, 32]
    # two independent noises of variance (80^2/12)/255^2 per channel, three channels
    expected = 3 * 2 * (80 ** 2 / 12) / 255 ** 2
    assert steady["warping_error"] < 0.1 * expected
    assert abs(flicker["warping_error"] - expected) < 0.35 * expected
    assert main(["eval", "temporal", str(orig), str(orig)]) == 0
    assert capsys.readouterr().out.startswith("warping error ")


def test_ffmpeg_pipe_through_the_real_command(tmp_path, shared_data):
    """ffmpeg -> nst video - ... -o - -> ffmpeg, with the real VGG-19, as the issue promises."""
    import os
    import shlex
    import subprocess
    from pathlib import Path

    import imageio_ffmpeg

    ffmpeg = shlex.quote(imageio_ffmpeg.get_ffmpeg_exe())
    nst = shlex.quote(str(Path(sys.executable).with_name("nst")))
    clip = shared_data / "video" / "carphone_176x144.mp4"
    style = shared_data / "images" / "style" / "starry_night.jpg"
    out = tmp_path / "piped.mp4"
    cmd = (f"set -o pipefail; {ffmpeg} -v error -i {clip} -frames:v 3 -vf scale=32:26 -f rawvideo -pix_fmt rgb24 - "
           f"| {nst} video - --frame-size 32x26 --fps 29.97 -s {style} --first-steps 2 --steps 1 --device cpu -o - "
           f"| {ffmpeg} -v error -f rawvideo -pix_fmt rgb24 -s 32x26 -r 29.97 -i - -pix_fmt yuv420p {out}")
    env = {**os.environ, "NST_DISABLE_PLUGIN_AUTOLOAD": "1", "OMP_NUM_THREADS": "1"}
    run = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "wrote stdout (3 frames)" in run.stderr
    src = VideoFileSource(str(out))
    assert (src.frame_count, src.frame_size) == (3, (32, 26))
