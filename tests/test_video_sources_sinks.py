"""Frame sources and sinks: round trips, natural order, audio, bad input, the pixels OpenCV decoded."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from conftest import SHARED_DATA
from PIL import Image
from test_video_helpers import dominant_frequency, moving_frames, write_clip, write_clip_with_tone
from test_video_timing import make_clip

from nst_pipeline.errors import ConfigError, InputError, OutputError
from nst_pipeline.sinks import FolderSink, RawStreamSink, check_sink, sink_kind
from nst_pipeline.sinks.video import VideoFileSink
from nst_pipeline.sources.folder import ImageFolderSource
from nst_pipeline.sources.stream import RawStreamSource, StreamOptions
from nst_pipeline.sources.video import VideoFileSource
from nst_pipeline.video.timeline import SelectedTimes


def same_order(got: list[np.ndarray], frames: list[np.ndarray]) -> bool:
    """Lossy codecs: each decoded frame is nearest to the frame written at its place."""
    def err(a, b):
        return float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean())

    return len(got) == len(frames) and all(
        min(range(len(frames)), key=lambda j: err(g, frames[j])) == i and err(g, frames[i]) < 16
        for i, g in enumerate(got))


def test_opencv_clip_reads_back(tmp_path, registry):
    frames = moving_frames(6)
    path = write_clip(tmp_path / "clip.mp4", frames, fps=12)
    src = registry.open_source(str(path))
    assert isinstance(src, VideoFileSource)
    assert (src.fps, src.frame_count, src.frame_size, src.audio_from) == (12, 6, (48, 32), None)
    got = list(src)
    assert len(got) == 6 and got[0].dtype == np.uint8 and got[0].shape == (32, 48, 3)
    assert same_order(got, frames)
    assert list(src)[3].tobytes() == got[3].tobytes()          # iterating again starts over


def test_video_sink_round_trip(tmp_path):
    frames = moving_frames(5, size=(50, 30))
    out = tmp_path / "out.mp4"
    with VideoFileSink(out, fps=7.5) as sink:
        for f in frames:
            sink.write(f)
    src = VideoFileSource(str(out))
    assert (src.frame_count, src.fps, src.frame_size) == (5, 7.5, (50, 30))
    assert same_order(list(src), frames)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


def test_video_sink_aborted_leaves_nothing(tmp_path):
    out = tmp_path / "out.mp4"
    with pytest.raises(RuntimeError):
        with VideoFileSink(out, fps=10) as sink:
            sink.write(moving_frames(1)[0])
            raise RuntimeError("stop")
    assert list(tmp_path.iterdir()) == []


def test_audio_track_is_copied_and_trimmed(tmp_path):
    frames = moving_frames(10)
    clip = write_clip_with_tone(tmp_path / "tone.mp4", frames, fps=10, tone_hz=440)
    src = VideoFileSource(str(clip))
    assert src.audio_from == clip
    out = tmp_path / "styled.mp4"
    frames = list(src)
    with VideoFileSink(out, fps=src.fps, audio_from=src.audio_from,
                       clock=SelectedTimes(src.timeline, lambda n: 3 + n)) as sink:   # --start 3
        for f in frames[3:]:
            sink.write(f)
    assert sink.notes == []
    assert VideoFileSource(str(out)).audio_from == out
    hz, seconds = dominant_frequency(out)
    assert abs(hz - 440) < 10
    assert 0.6 < seconds < 0.8  # 7 frames at 10 fps, trimmed to packet boundaries


def test_folder_sink_and_source_round_trip_in_natural_order(tmp_path):
    frames = moving_frames(12, size=(20, 16))
    with FolderSink(tmp_path / "frames") as sink:
        for f in frames:
            sink.write(f)
    names = sorted(p.name for p in (tmp_path / "frames").iterdir())
    assert names[0] == "frame_000001.png" and len(names) == 12
    # natural order, not string order: f2 comes before f10
    loose = tmp_path / "loose"
    loose.mkdir()
    for i, f in enumerate(frames):
        Image.fromarray(f).save(loose / f"f{i}.png")
    for location in (str(loose), str(loose / "f*.png"), str(tmp_path / "frames")):
        src = ImageFolderSource(location)
        got = [(np.asarray(a) * 255 + 0.5).astype(np.uint8) for a in src]
        assert src.frame_count == 12 and len(got) == 12   # counted from the listing, and by iterating
        assert all(np.array_equal(a, b) for a, b in zip(got, frames, strict=True))


def test_folder_with_frames_of_changing_size(tmp_path):
    Image.fromarray(moving_frames(1, size=(20, 16))[0]).save(tmp_path / "a1.png")
    Image.fromarray(moving_frames(1, size=(22, 16))[0]).save(tmp_path / "a2.png")
    with pytest.raises(InputError, match="change size.*a2.png is 22x16"):
        ImageFolderSource(str(tmp_path))
    with pytest.raises(InputError, match="no images"):
        ImageFolderSource(str(tmp_path / "*.jpg"))


def test_raw_stream_round_trip():
    frames = moving_frames(3, size=(10, 6))
    buf = io.BytesIO()
    with RawStreamSink(buf) as sink:
        for f in frames:
            sink.write(f)
    assert len(buf.getvalue()) == 3 * 10 * 6 * 3
    src = RawStreamSource(StreamOptions(frame_size="10x6", fps=5), io.BytesIO(buf.getvalue()))
    got = list(src)
    assert len(got) == 3 and all(np.array_equal(a, b) for a, b in zip(got, frames, strict=True))


@pytest.mark.parametrize("extra, message", [(-7, "ended inside frame 3: got 173 of 180"), (5, "frame 4: got 5 of 180")])
def test_raw_stream_with_a_wrong_byte_count(extra, message):
    data = bytes(180 * 3 + extra)
    src = RawStreamSource(StreamOptions(frame_size="10x6"), io.BytesIO(data))
    with pytest.raises(InputError, match=message):
        list(src)


def test_raw_stream_needs_a_frame_size():
    with pytest.raises(ConfigError, match="--frame-size"):
        RawStreamSource(StreamOptions(), io.BytesIO(b""))
    with pytest.raises(ConfigError, match="WIDTHxHEIGHT"):
        RawStreamSource(StreamOptions(frame_size="10by6"), io.BytesIO(b""))
    with pytest.raises(InputError, match="no frames"):
        list(RawStreamSource(StreamOptions(frame_size="10x6"), io.BytesIO(b"")))


def corrupt_codec(path: Path) -> Path:
    """An MJPG AVI whose codec tag is renamed to one nobody knows."""
    data = path.read_bytes()
    assert data.count(b"MJPG") >= 1
    path.write_bytes(data.replace(b"MJPG", b"XQZW"))
    return path


def test_unreadable_videos_say_why(tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(np.random.default_rng(0).bytes(5000))
    unknown = corrupt_codec(write_clip(tmp_path / "odd.avi", moving_frames(3)))
    truncated = tmp_path / "cut.mp4"
    truncated.write_bytes(write_clip(tmp_path / "whole.mp4", moving_frames(4)).read_bytes()[:600])
    cases = {empty: "empty", garbage: "not a readable video", unknown: "codec", truncated: "cannot read video"}
    for path, why in cases.items():
        with pytest.raises(InputError, match=why):
            VideoFileSource(str(path))
    with pytest.raises(InputError, match="not found"):
        VideoFileSource(str(tmp_path / "missing.mp4"))


def test_sink_kinds_and_refusals(tmp_path):
    assert [sink_kind(o) for o in ("-", "a.mp4", "a.MKV", "frames", str(tmp_path))] == \
        ["stdout", "video", "video", "folder", "folder"]
    with pytest.raises(OutputError, match="use a video file"):
        sink_kind("out.png")
    clip = write_clip(tmp_path / "in.mp4", moving_frames(2))
    with pytest.raises(OutputError, match="same file as input"):
        check_sink(str(clip), [str(clip)])
    with pytest.raises(OutputError, match="does not exist"):
        check_sink(str(tmp_path / "no" / "such" / "out.mp4"), [str(clip)])
    with pytest.raises(OutputError, match="not a folder"):
        check_sink(str(clip / "frames"), [str(tmp_path)])
    with pytest.raises(OutputError, match="is the input"):
        check_sink(str(tmp_path), [str(tmp_path)])


def cv2_frames(path: Path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    frames = []
    while (got := cap.read())[0]:
        frames.append(cv2.cvtColor(got[1], cv2.COLOR_BGR2RGB))
    cap.release()
    return frames


def rotated(clip: Path, degrees: int) -> Path:
    import imageio_ffmpeg

    out = clip.with_name(f"rot{degrees}.mp4")
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-display_rotation", str(degrees),
                    "-i", str(clip), "-c", "copy", str(out)], check=True)
    return out


def test_pixels_are_what_opencv_decoded(tmp_path):
    """The decoder moved from OpenCV to PyAV: a constant-rate clip must stylize exactly as before."""
    clips = [write_clip(tmp_path / "mp4v.mp4", moving_frames(4)), write_clip(tmp_path / "mjpg.avi", moving_frames(4)),
             make_clip(tmp_path / "h264.mp4", [0.04] * 4)]
    clips += [rotated(clips[-1], 90), rotated(clips[-1], 180)]
    if "libx264" in av.codecs_available:  # 10-bit: where a plain RGB conversion differs (by up to 26/255)
        clips.append(make_clip(tmp_path / "p10.mkv", [0.04] * 4, pix_fmt="yuv420p10le"))
    carphone = SHARED_DATA / "video" / "carphone_176x144.mp4"   # real footage, where present
    clips += [carphone] if carphone.is_file() else []
    for clip in clips:
        ours, theirs = list(VideoFileSource(str(clip))), cv2_frames(clip)
        assert len(ours) == len(theirs) and all(np.array_equal(a, b) for a, b in zip(ours, theirs, strict=True)), clip
