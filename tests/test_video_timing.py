"""A clip comes out as long as it went in, frame for frame and second for second (issue 19):
a variable frame rate, a video stream that starts after its audio, --every/--start/
--max-frames, a resumed run; animated GIFs are clips for ``nst video``. Clips are built
here with PyAV: 48x32 px, a few frames, a second or so of sine tone."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image
from test_video_helpers import single_thread  # noqa: F401  (fixture)
from test_video_helpers import moving_frames

from nst_pipeline.cli.app import main
from nst_pipeline.config import ClipConfig
from nst_pipeline.errors import InputError
from nst_pipeline.sinks.video import VideoFileSink
from nst_pipeline.sources.still import StillImageSource
from nst_pipeline.sources.video import VideoFileSource
from nst_pipeline.video.timeline import clip_clock

pytestmark = pytest.mark.usefixtures("single_thread")
TB = Fraction(1, 90000)
RATE = 16000
#: a phone clip in small: 4 frames of 0.2 s, then 6 of 0.04 s (1.04 s), with 1.04 s of tone
PHONE = [0.2] * 4 + [0.04] * 6


def make_clip(path: Path, durations: list[float], *, audio: float | None = None, video_start: float = 0.0,
              size: tuple[int, int] = (48, 32), pix_fmt: str = "yuv420p") -> Path:
    """Frames shown for ``durations`` seconds each from ``video_start`` on, and ``audio``
    seconds of a 440 Hz sine from 0 (AAC)."""
    frames = moving_frames(len(durations), size=size)
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264" if "libx264" in av.codecs_available else "mpeg4", rate=25)
        video.width, video.height, video.pix_fmt = size[0], size[1], pix_fmt
        video.codec_context.time_base = video.time_base = TB
        sound = out.add_stream("aac", rate=RATE) if audio else None
        if sound is not None:
            sound.layout = "mono"
        t = video_start
        for frame, d in zip(frames, durations, strict=True):
            vf = av.VideoFrame.from_ndarray(frame, format="rgb24")
            vf.pts, vf.time_base, vf.duration = round(t / TB), TB, round(d / TB)
            out.mux(video.encode(vf))
            t += d
        out.mux(video.encode(None))
        if sound is not None:
            samples = (0.4 * np.sin(2 * np.pi * 440 * np.arange(int(audio * RATE)) / RATE)).astype(np.float32)
            for i in range(0, len(samples), 1024):
                af = av.AudioFrame.from_ndarray(samples[None, i:i + 1024], format="flt", layout="mono")
                af.sample_rate, af.pts, af.time_base = RATE, i, Fraction(1, RATE)
                out.mux(sound.encode(af))
            out.mux(sound.encode(None))
    return path


def measure(path: Path) -> dict:
    """What ffprobe would say: each frame's time, the video's end, the audio's start and length."""
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        times = [float(f.pts * f.time_base) for f in c.decode(v)]
        # the track's end as MP4 stores it (packet durations follow decoding order, B-frames first)
        found = {"times": times, "end": float((v.start_time + v.duration) * v.time_base)}
    with av.open(str(path)) as c:
        if c.streams.audio:
            a = c.streams.audio[0]
            decoded = list(c.decode(a))
            found["audio_start"] = float(decoded[0].pts * decoded[0].time_base)
            found["audio_seconds"] = sum(f.samples for f in decoded) / a.rate
    return found


@pytest.fixture
def style(make_image):
    return str(make_image("style.png", size=(32, 32), seed=3))


def nst_video(inp, out, style, *extra) -> int:
    return main(["video", str(inp), "-o", str(out), "-s", style, "--backbone", "tiny", "--device", "cpu",
                 "--first-steps", "1", "--steps", "1", "--init", "content", "--seed", "0", "-q", *extra])


def test_variable_frame_rate_clip_keeps_its_times_and_all_its_audio(tiny, style, tmp_path, capsys):
    clip = make_clip(tmp_path / "phone.mp4", PHONE, audio=1.04)
    source = VideoFileSource(str(clip))
    assert source.frame_count == 10 and source.timeline.end == pytest.approx(1.04)
    out = tmp_path / "out.mp4"
    assert nst_video(clip, out, style) == 0
    assert "warning" not in capsys.readouterr().err
    before, after = measure(clip), measure(out)
    assert after["times"] == pytest.approx(before["times"], abs=1e-4)
    assert after["end"] == pytest.approx(before["end"], abs=1e-4) == pytest.approx(1.04)
    assert after["audio_seconds"] == pytest.approx(before["audio_seconds"], abs=1e-3)


def test_frames_are_counted_not_estimated(tmp_path):
    # Matroska declares no frame count: OpenCV guesses duration x rate (21 here), we count packets
    clip = make_clip(tmp_path / "phone.mkv", [0.2] * 3 + [0.04] * 5)
    source = VideoFileSource(str(clip))
    assert source.frame_count == 8 == len(list(source))
    assert source.timeline.times == pytest.approx([0, 0.2, 0.4, 0.6, 0.64, 0.68, 0.72, 0.76])


def test_a_late_video_stream_keeps_its_delay_against_the_sound(tiny, style, tmp_path):
    clip = make_clip(tmp_path / "late.mp4", [0.04] * 12, audio=0.96, video_start=0.48)
    out = tmp_path / "out.mp4"
    assert nst_video(clip, out, style) == 0
    before, after = measure(clip), measure(out)
    assert before["times"][0] == pytest.approx(0.48)
    offset = lambda m: m["times"][0] - m["audio_start"]  # noqa: E731
    assert offset(after) == pytest.approx(offset(before), abs=1e-3)
    assert after["times"] == pytest.approx(before["times"], abs=1e-4)
    assert after["audio_seconds"] == pytest.approx(before["audio_seconds"], abs=1e-3)


@pytest.mark.parametrize("start, every, max_frames", [(1, 2, None), (2, 1, 3), (0, 3, None)])
def test_selected_frames_keep_their_own_times_and_the_audio_of_their_interval(tmp_path, start, every, max_frames):
    clip = make_clip(tmp_path / "phone.mp4", PHONE, audio=1.04)
    source = VideoFileSource(str(clip))
    frames = list(source)
    select = ClipConfig(start=start, every=every, max_frames=max_frames)
    kept = list(range(len(frames)))[start::every][:max_frames]
    out = tmp_path / "out.mp4"
    with VideoFileSink(out, fps=source.fps, audio_from=source.audio_from,
                       clock=clip_clock(source, select, None)) as sink:
        for k in kept:
            sink.write(frames[k])
    times = source.timeline.times
    following = kept[-1] + every
    stop = times[following] if following < len(times) else source.timeline.end
    origin = 0.0 if start == 0 else times[start]  # the whole clip keeps the audio from 0
    got = measure(out)
    assert got["times"] == pytest.approx([times[k] - origin for k in kept], abs=1e-4)
    assert got["end"] == pytest.approx(stop - origin, abs=1e-4)
    assert got["audio_start"] == pytest.approx(0.0, abs=0.07)                # within an AAC packet
    assert got["audio_seconds"] == pytest.approx(stop - times[start], abs=0.07)


def test_a_resumed_run_has_the_times_of_an_uninterrupted_one(tiny, style, tmp_path, ctrl_c, monkeypatch):
    clip = make_clip(tmp_path / "phone.mp4", PHONE, audio=1.04)
    whole, resumed = tmp_path / "whole.mp4", tmp_path / "resumed.mp4"
    assert nst_video(clip, whole, style, "--every", "2") == 0
    ctrl_c.at_frame(2)
    assert nst_video(clip, resumed, style, "--every", "2") == 130
    ctrl_c.off()
    assert nst_video(clip, resumed, style, "--every", "2", "--resume") == 0
    a, b = measure(whole), measure(resumed)
    assert b["times"] == pytest.approx(a["times"], abs=1e-6) and len(a["times"]) == 5
    assert (b["end"], b["audio_seconds"]) == pytest.approx((a["end"], a["audio_seconds"]), abs=1e-6)


def test_avi_says_it_cannot_keep_variable_times(tmp_path):
    clip = make_clip(tmp_path / "phone.mp4", PHONE)
    source = VideoFileSource(str(clip))
    out = tmp_path / "out.avi"
    with VideoFileSink(out, fps=source.fps, clock=clip_clock(source, ClipConfig(), None)) as sink:
        for frame in source:
            sink.write(frame)
    assert len(sink.notes) == 1 and "constant frame rate" in sink.notes[0]
    assert len(measure(out)["times"]) == 10


def save_animation(path: Path, n: int = 4, **kwargs) -> list[np.ndarray]:
    frames = moving_frames(n, size=(40, 24), step=6)
    Image.fromarray(frames[0]).save(path, save_all=True, append_images=[Image.fromarray(f) for f in frames[1:]],
                                    duration=[200, 100, 40, 300][:n], loop=0, **kwargs)
    return frames


@pytest.mark.parametrize("suffix", [".gif", ".png"])
def test_an_animation_is_a_clip_for_nst_video_and_a_still_for_nst_image(registry, tmp_path, suffix):
    path = tmp_path / f"anim{suffix}"
    frames = save_animation(path)
    source = registry.open_source(str(path))   # no plugins loaded: the built-in sources alone
    assert isinstance(source, VideoFileSource)
    got = list(source)
    assert source.frame_count == 4 and len(got) == 4
    tolerance = 0 if suffix == ".png" else 40     # GIF: a 256-colour palette
    assert all(np.abs(g.astype(int) - f.astype(int)).mean() <= tolerance for g, f in zip(got, frames, strict=True))
    assert source.timeline.times == pytest.approx([0, 0.2, 0.3, 0.34]) and source.timeline.end == pytest.approx(0.64)
    still = registry.open_source(str(path), kind="image")   # what nst image opens
    assert isinstance(still, StillImageSource) and still.frame_count == 1
    single = tmp_path / f"single{suffix}"
    save_animation(single, n=1)
    assert isinstance(registry.open_source(str(single)), StillImageSource)


def test_nst_video_of_a_gif_writes_every_frame_for_its_own_delay(tiny, style, tmp_path):
    gif = tmp_path / "anim.gif"
    save_animation(gif)
    out = tmp_path / "out.mp4"
    assert nst_video(gif, out, style) == 0
    got = measure(out)
    assert got["times"] == pytest.approx([0, 0.2, 0.3, 0.34], abs=1e-4) and got["end"] == pytest.approx(0.64)


def test_an_animated_webp_is_read_whole_or_refused_with_a_hint(registry, tmp_path):
    path = tmp_path / "anim.webp"
    save_animation(path, lossless=True)
    try:
        source = registry.open_source(str(path))
    except InputError as exc:   # FFmpeg decodes only still WebP (so far)
        assert "animated WebP" in str(exc) and "nst-gif" in str(exc)
    else:
        assert len(list(source)) == 4
