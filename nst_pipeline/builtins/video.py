"""Video built-ins: frame sources (video file, image folder, raw stdin) and the temporal loss."""

from __future__ import annotations

from ..hookspecs import hookimpl
from ..sources.stream import StreamOptions
from ..specs import FrameSourceSpec, LossTermSpec, NoOptions
from . import lazy

# imported on first use: PyAV (video), torch (temporal loss) stay out of `nst plugins list`
TemporalLoss = lazy(".losses.temporal", "TemporalLoss")
ImageFolderSource, probe_folder = lazy(".sources.folder", "ImageFolderSource"), lazy(".sources.folder", "probe_folder")
RawStreamSource, probe_stream = lazy(".sources.stream", "RawStreamSource"), lazy(".sources.stream", "probe_stream")
VideoFileSource, probe_video = lazy(".sources.video", "VideoFileSource"), lazy(".sources.video", "probe_video")

#: default --temporal-weight (active by default in video jobs, never for a still): twice the
#: default style weight (10), the ratio measured in
#: docs/benchmarks.md "## Video"; the term is a masked pixel MSE (see losses/temporal.py)
TEMPORAL_WEIGHT = 20.0


@hookimpl
def nst_frame_sources():
    return [
        FrameSourceSpec("stdin", lambda loc, o: RawStreamSource(o), probe_stream,
                        "raw RGB24 frames on stdin ('-'; needs --frame-size WxH)", StreamOptions, priority=20),
        FrameSourceSpec("video", lambda loc, o: VideoFileSource(loc), probe_video,
                        "a video file or animated GIF/PNG, each frame at its own time (PyAV: MP4, MKV, MOV, WebM, ...)",
                        priority=5),
        FrameSourceSpec("folder", lambda loc, o: ImageFolderSource(loc), probe_folder,
                        "a folder or glob of images, in natural order (frame2 before frame10)", priority=5),
    ]


@hookimpl
def nst_loss_terms():
    return [
        LossTermSpec("temporal", lambda o: TemporalLoss(), "pull each video frame towards the flow-warped "
                     "previous result where the flow is trusted (Ruder et al. 2016)", NoOptions,
                     default_weight=TEMPORAL_WEIGHT, default=True, video_only=True),
    ]
