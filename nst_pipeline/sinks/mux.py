"""The last step of a video file: its encoded frames remuxed with the right durations and the
source's audio track (PyAV stream copy: nothing is re-encoded).

Why a remux even without sound: an encoder with B-frames hands out packets in decoding
order, each with a duration that belongs to no shown frame in particular, and the
muxers end the video from those (MP4 from the last packet decoded, Matroska from the
largest pts + duration). Stamping each packet with how long its frame shows (and
MP4's last-decoded one with what remains until the end) makes the file end when the
last frame should stop showing, which a variable frame rate needs.
"""

from __future__ import annotations

import heapq
import math
from contextlib import nullcontext
from pathlib import Path

import av

def audio_start(path: Path) -> float | None:
    """When the first audio track starts, in seconds on its container's clock (None: no audio)."""
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        if stream.start_time is not None:
            return float(stream.start_time * stream.time_base)
        for packet in container.demux(stream):
            if packet.pts is not None and not packet.is_discard:
                return float(packet.pts * stream.time_base)
    return None


def shown_for(path: Path, end: float) -> dict[int, int]:
    """pts -> how long that frame shows (ticks of its stream), the last one until ``end`` (seconds)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        pts = sorted(p.pts for p in container.demux(stream) if p.pts is not None and p.size)
        ends = pts[1:] + [round(end / stream.time_base)]
    return {p: max(1, e - p) for p, e in zip(pts, ends)}


def _packets(container, stream, start: float = -math.inf, end: float = math.inf, origin: float = 0.0):
    """(seconds after ``origin``, packet) for the packets of ``stream`` that start in
    [start, end), their timestamps moved so that ``origin`` becomes 0. Packets before the
    start (AAC's priming packet among them: its samples are never played) are left out."""
    shift = round(origin / stream.time_base)
    for packet in container.demux(stream):
        if packet.pts is None or packet.size == 0:
            continue
        t = float(packet.pts * stream.time_base)
        if t < start - 1e-6 or t >= end - 1e-6:
            continue
        packet.pts -= shift
        if packet.dts is not None:
            packet.dts -= shift
        yield t - origin, packet


def _video_packets(container, stream, shown: dict[int, int], end: float):
    """The encoded frames, each lasting as long as it shows (see the module's docstring)."""
    held = first_dts = None
    for t, packet in _packets(container, stream):
        packet.duration = shown.get(packet.pts, packet.duration)
        first_dts = packet.dts if first_dts is None else first_dts
        if held is not None:
            yield held
        held = (t, packet)
    if held is not None:
        last, end_ticks = held[1], round(end / stream.time_base)
        until_end = end_ticks - last.pts
        if last.pts == max(shown) or last.dts is None or first_dts is None:
            last.duration = max(1, until_end)   # the last frame shown: until the end
        else:  # decoded last, shown before others: MP4 sums the dts steps for the length a reader
            # takes (and the frame rate it derives), so they should add up to the shown span
            last.duration = max(1, min(until_end, end_ticks - min(shown) - (last.dts - first_dts)))
        yield held


def remux(video: Path, video_end: float, out: Path, audio_from: Path | None = None, start: float = -math.inf,
          end: float = math.inf, origin: float = 0.0) -> int:
    """Write ``video``'s stream to ``out``, its last frame showing until ``video_end``
    (seconds), plus the packets of ``audio_from``'s first audio track that start in
    [start, end) (seconds on that file's clock), moved so that ``origin`` becomes 0, the
    time the video's timestamps count from. Returns how many audio packets went in."""
    with av.open(str(video)) as vin, av.open(str(out), mode="w") as dst:
        v_in = vin.streams.video[0]
        v_out = dst.add_stream_from_template(v_in)
        frames = _video_packets(vin, v_in, shown_for(video, video_end), video_end)
        tagged = [((t, 0, i, p, v_out) for i, (t, p) in enumerate(frames))]
        with av.open(str(audio_from)) if audio_from is not None else nullcontext() as ain:
            if ain is not None:
                if not ain.streams.audio:
                    raise ValueError("the source has no audio track")
                a_in = ain.streams.audio[0]
                a_out = dst.add_stream_from_template(a_in)
                tagged.append((t, 1, i, p, a_out) for i, (t, p) in enumerate(_packets(ain, a_in, start, end, origin)))
            copied = 0
            # interleave by time so the muxer never has to buffer a whole stream
            for _, kind, _, packet, stream in heapq.merge(*tagged, key=lambda x: x[:3]):
                packet.stream = stream
                dst.mux(packet)
                copied += kind
        return copied
